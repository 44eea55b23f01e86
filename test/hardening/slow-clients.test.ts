import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { httpServerPerTest } from '../helpers/http-server.ts';

/**
 * Sends `head`, then one byte of `body` every `gapMs` (at most `maxBytes` of them), and resolves
 * with whatever the server answered once it closes the connection or the bytes run out.
 */
function dribble(
  port: number,
  head: string,
  body: string,
  gapMs: number,
  maxBytes: number,
): Promise<{ answer: string; bytesSent: number; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearInterval(timer);
      socket.destroy();
      resolve({ answer, bytesSent: sent, closed });
    };
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => finish(true));
    socket.on('error', () => {});
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= maxBytes || sent >= body.length) return finish(false);
        socket.write(body[sent]!);
        sent += 1;
      }, gapMs);
    });
  });
}

describe('slow clients (HTTP_HEADERS_TIMEOUT, HTTP_REQUEST_TIMEOUT)', () => {
  const servers = httpServerPerTest();
  const start = async (env: Record<string, string>) => (await servers.start(env)).port;

  it('a body sent one byte at a time is cut off with 408 once HTTP_REQUEST_TIMEOUT has passed', async () => {
    const port = await start({ HTTP_HEADERS_TIMEOUT: '1s', HTTP_REQUEST_TIMEOUT: '2s' });
    const body = JSON.stringify({ email: 'slow@example.com', password: 'x'.repeat(60) });
    const head = `POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    // 250 ms a byte: the whole body would take ~22 s; the server must close long before.
    const result = await dribble(port, head, body, 250, body.length);
    expect(result.closed).toBe(true);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(result.bytesSent).toBeLessThan(body.length);
  });

  it('headers sent too slowly are cut off with 408 after HTTP_HEADERS_TIMEOUT', async () => {
    const port = await start({ HTTP_HEADERS_TIMEOUT: '1s', HTTP_REQUEST_TIMEOUT: '5s' });
    const headers = 'X-Slow: ' + 'a'.repeat(200) + '\r\n\r\n';
    const result = await dribble(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n', headers, 100, headers.length);
    expect(result.closed).toBe(true);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(result.bytesSent).toBeLessThan(headers.length);
  });

  it('a normal client is not affected', async () => {
    const port = await start({ HTTP_HEADERS_TIMEOUT: '1s', HTTP_REQUEST_TIMEOUT: '2s' });
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  });
});
