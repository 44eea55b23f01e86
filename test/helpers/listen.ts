import type { AddressInfo } from 'node:net';
import { createServer, Server } from 'node:http';
import type { Express } from 'express';

export interface Listening {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/**
 * Listens on an ephemeral port of 127.0.0.1: an app (on a plain server, as `app.listen` makes
 * one), or a server already built around one (createHttpServer, as production runs it). Returns
 * the base URL and a closer that also drops open connections.
 */
export async function listen(target: Express | Server): Promise<Listening> {
  const server = target instanceof Server ? target : createServer(target);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
