import { createServer, type RequestListener } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { gracefulClose } from '../../src/http/graceful-close.ts';

/** A plain node:http server with gracefulClose installed, on an ephemeral port. */
async function serve(handler: RequestListener) {
  const server = createServer(handler);
  const closer = gracefulClose(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, closer, port: (server.address() as AddressInfo).port };
}

/**
 * A raw connection, so the test decides when each request goes out (an HTTP client would not
 * pipeline, nor keep a connection the server said it closes). `all` is every byte the server
 * sent, once it has closed the connection.
 */
function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
    for (const waiter of waiters.filter((w) => received.includes(w.text))) waiter.resolve();
  });
  const all = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  return {
    send: (path: string) => socket.write(`GET ${path} HTTP/1.1\r\nHost: tessera.test\r\n\r\n`),
    /** Resolves once the server has sent `text`. */
    seen: (text: string) => new Promise<void>((resolve) => (received.includes(text) ? resolve() : waiters.push({ text, resolve }))),
    all,
    destroy: () => socket.destroy(),
  };
}

/** Fails with `what` instead of running into the test's timeout when the server keeps the connection. */
const within = <T>(promise: Promise<T>, what: string): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within 2 s`)), 2000).unref())]);

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return done;
};

function deferred() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return { release, released };
}

describe('gracefulClose', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('closes a kept-alive connection with nothing in flight at once, and then resolves', async () => {
    const { closer, port } = await serve((_req, res) => res.end('ok'));
    const client = rawConnection(port);
    cleanups.push(client.destroy);
    client.send('/');
    await client.seen('ok');
    await within(closer.close(), 'close()');
    expect(await within(client.all, 'the idle connection closed')).toMatch(/Connection: keep-alive/i);
  });

  it('answers a request in flight in full with Connection: close, closes its connection, and resolves only then', async () => {
    const gate = deferred();
    const started = deferred();
    const { closer, port } = await serve((_req, res) => {
      started.release();
      void gate.released.then(() => res.end('done'));
    });
    const client = rawConnection(port);
    cleanups.push(client.destroy);
    client.send('/');
    await started.released;
    const closed = closer.close();
    expect(closer.inFlight()).toBe(1);
    expect(await settled(closed)).toBe(false);
    // No new connection is accepted meanwhile.
    await expect(
      new Promise((resolve, reject) => connect(port, '127.0.0.1').on('connect', resolve).on('error', reject)),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    gate.release();
    const answer = await within(client.all, 'the connection closed after its answer');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toMatch(/Connection: close/i);
    expect(answer.endsWith('done')).toBe(true);
    await within(closed, 'close()');
  });

  it('answers a request read after close() on a connection still busy, then closes that connection', async () => {
    const gate = deferred();
    const streaming = deferred();
    const { closer, port } = await serve((req, res) => {
      if (req.url === '/next') return void res.end('next');
      // Headers out as keep-alive before close(): this answer cannot say Connection: close.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part;');
      streaming.release();
      void gate.released.then(() => res.end('end'));
    });
    const client = rawConnection(port);
    cleanups.push(client.destroy);
    client.send('/stream');
    await streaming.released;
    await client.seen('part;');
    const closed = closer.close();
    // Pipelined behind the running answer: read after close(), before the connection is closed.
    client.send('/next');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closer.readAfterClose()).toBe(1);
    gate.release();
    const answers = (await within(client.all, 'the connection closed after both answers')).split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/Connection: keep-alive/i);
    expect(answers[0]).toMatch(/part;\r\n.*\r\nend\r\n0\r\n\r\n$/s);
    expect(answers[1]).toMatch(/Connection: close/i);
    expect(answers[1]!.endsWith('next')).toBe(true);
    await within(closed, 'close()');
  });
});
