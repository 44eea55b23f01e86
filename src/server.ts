import cluster from 'node:cluster';
import { realpathSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config/config.ts';
import { loadConfig } from './config/load-config.ts';
import { readEnv } from './config/read-env.ts';
import { ConfigError } from './config/errors.ts';
import { systemClock } from './lib/clock.ts';
import { createLogger } from './lib/logger.ts';
import { createApp } from './app.ts';
import { createHttpServer } from './http-server.ts';
import { gracefulClose } from './http/graceful-close.ts';
import { listeningUrl } from './http/listening-url.ts';
import { DatabaseStartupError } from './db/startup-errors.ts';
import { openDatabase, openKeystore, openRuntime } from './runtime.ts';

/**
 * The last resort of a drain: a process still not done this long after SIGTERM exits with
 * status 1, cutting what is still in flight. A drain normally ends within one request's time.
 */
const DRAIN_TIMEOUT_MS = 10_000;
/** How long, once the last connection is closed, background work of requests may still finish. */
const BACKGROUND_GRACE_MS = 2_000;
/** A worker that cannot bind its port will not do better on a second try (EX_CONFIG). */
const EXIT_CANNOT_LISTEN = 78;

/** One process serving HTTP: open the database and keys, build the app, listen; drain on SIGTERM. */
async function serve(config: Config, logger: Logger): Promise<void> {
  // A signal while the process is still opening (a worker whose primary stops before it is up) is
  // kept and acted on once it serves: with no handler yet, SIGTERM's default action would kill it
  // by signal, which its primary reads as a failed drain (exit 1).
  let early: NodeJS.Signals | undefined;
  const onEarly = (signal: NodeJS.Signals) => {
    early ??= signal;
  };
  process.on('SIGTERM', onEarly);
  process.on('SIGINT', onEarly);
  const runtime = await openRuntime(config, systemClock, logger);
  const stopping = new AbortController();
  const app = createApp({ config, ...runtime, clock: systemClock, logger, shutdown: stopping.signal });
  const server: Server = createHttpServer(app, config.httpTimeouts);
  const connections = gracefulClose(server);
  server.listen(config.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = listeningUrl(config.appUrl, port);
    const docs = `${url}/docs`;
    logger.info(
      {
        port,
        url,
        docs,
        database: runtime.database.dialect,
        algorithm: config.jwt.algorithm,
        mail: runtime.mail.describe(),
        pid: process.pid,
      },
      // Starts with 'tessera listening': scripts and tests wait for that.
      `tessera listening on ${url} (API reference: ${docs})`,
    );
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
      // One line an operator can act on, no stack; the primary does not respawn a worker for it.
      const why = error.code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges this process does not have';
      logger.fatal({ port: config.port }, `port ${config.port} ${why}: stop the process using it, or set PORT to a free port`);
      process.exit(EXIT_CANNOT_LISTEN);
    }
    logger.fatal({ err: error }, 'server failed');
    process.exit(1);
  });

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    // One drain, whatever arrives: with workers, SIGTERM can come from the primary and from
    // the service manager (the whole process group) at once, and Ctrl-C sends SIGINT too.
    if (shuttingDown) return;
    shuttingDown = true;
    const started = performance.now();
    logger.info({ signal, inFlight: connections.inFlight() }, 'shutting down: finishing in-flight requests');
    stopping.abort(); // revocation feed streams end; subscribers resume on another instance
    setTimeout(() => {
      logger.error({ inFlight: connections.inFlight() }, 'drain deadline reached; exiting with requests in flight');
      process.exit(1);
    }, DRAIN_TIMEOUT_MS).unref();
    void connections
      .close()
      .then(async () => {
        logger.info(
          { ms: Math.round(performance.now() - started), readAfterSignal: connections.readAfterClose() },
          'every connection closed; closing the database and Redis',
        );
        // Work a request handed on (a password-reset lookup, a mail) may still use the database.
        await Promise.race([runtime.mail.idle(), delay(BACKGROUND_GRACE_MS)]);
        await runtime.close();
      })
      .catch((error: unknown) => logger.error({ err: error }, 'closing the runtime failed'))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.off('SIGTERM', onEarly);
  process.off('SIGINT', onEarly);
  if (early) shutdown(early);
}

/**
 * TESSERA_WORKERS > 1: the primary migrates and makes sure a signing key exists (once, so
 * workers do not race to create keys), then forks workers that share the port. A worker
 * that dies is replaced; SIGTERM drains every worker before the primary exits.
 */
async function supervise(config: Config, logger: Logger): Promise<void> {
  const database = await openDatabase(config, logger);
  try {
    await openKeystore(config, database.db, systemClock);
  } finally {
    await database.close();
  }
  let stopping = false;
  // Counted here: Node drops a worker from cluster.workers only once both its 'exit' and its
  // 'disconnect' have come, in either order, so the last 'exit' may still find it listed.
  let running = 0;
  const fork = () => {
    running += 1;
    cluster.fork();
  };
  for (let i = 0; i < config.workers; i += 1) fork();
  cluster.on('exit', (worker, code, signal) => {
    running -= 1;
    if (stopping) {
      // Exit 0 only if every worker drained: one that hit its deadline (or was killed) cut requests.
      if (code !== 0) {
        logger.error({ pid: worker.process.pid, code, signal }, 'worker did not drain cleanly');
        process.exitCode = 1;
      }
      if (running === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    if (code === EXIT_CANNOT_LISTEN) {
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      process.exitCode = 1;
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    fork();
  });
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: config.workers }, 'stopping workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), DRAIN_TIMEOUT_MS + 1000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Loads the configuration and serves (one process, or a primary with TESSERA_WORKERS workers). */
export async function startServer(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(readEnv());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`tessera: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, undefined, { pretty: config.logFormat === 'pretty', batched: true });
  if (cluster.isPrimary) for (const warning of config.warnings) logger.warn(warning);
  try {
    if (config.workers > 1 && cluster.isPrimary) await supervise(config, logger);
    else await serve(config, logger);
  } catch (error) {
    // One line an operator can act on (DATABASE_URL, the cause, the fix), no stack.
    if (!(error instanceof DatabaseStartupError)) throw error;
    logger.fatal({ reason: error.reason }, error.message);
    process.exit(1);
  }
}

/** Failures before the logger exists are one line on stderr, never a stack. */
export function failedToStart(error: unknown): never {
  console.error('tessera: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
}

/**
 * Whether this module is the program Node was asked to run (`node dist/server.js`, `npm start`,
 * a symlinked release folder, `node dist/server` without the extension), rather than imported
 * by `tessera serve`. Node runs the real path, so compare real paths.
 */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  const self = fileURLToPath(import.meta.url);
  for (const candidate of [script, `${script}.js`, `${script}.ts`]) {
    try {
      if (realpathSync(candidate) === self) return true;
    } catch {
      // Not this spelling of the path.
    }
  }
  return false;
}

if (isEntry()) startServer().catch(failedToStart);
