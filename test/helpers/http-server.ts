import type { Server } from 'node:http';
import { afterEach } from 'vitest';
import { createHttpServer } from '../../src/http-server.ts';
import { listen, type Listening } from './listen.ts';
import { createTestApp, type TestApp } from './test-app.ts';

/**
 * A test app behind createHttpServer, as production serves it, listening on an ephemeral port;
 * whatever a test starts is closed after it. `prepare` sees the server before it listens.
 */
export function httpServerPerTest() {
  let started: { t: TestApp; running?: Listening } | undefined;
  afterEach(async () => {
    await started?.running?.close();
    await started?.t.close();
    started = undefined;
  });
  return {
    async start(env: Record<string, string> = {}, prepare?: (server: Server) => void) {
      const t = await createTestApp(env);
      started = { t }; // closed after the test even if listening fails
      const server = createHttpServer(t.app, t.config.httpTimeouts);
      prepare?.(server);
      const running = (started.running = await listen(server));
      return { t, url: running.url, port: running.port };
    },
  };
}
