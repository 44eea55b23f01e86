import type { Server } from 'node:http';
import { loadConfig } from './config/load-config.ts';
import { readEnv } from './config/read-env.ts';
import { ConfigError } from './config/errors.ts';
import { systemClock } from './lib/clock.ts';
import { createLogger } from './lib/logger.ts';
import { createApp } from './app.ts';
import { openRuntime } from './runtime.ts';

/** Entry point: load config, open the database and keys, build the app, listen; drain on SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(readEnv());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`tessera: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);

  const runtime = await openRuntime(config, systemClock, logger);
  const app = createApp({ config, ...runtime, clock: systemClock, logger });
  const server: Server = app.listen(config.port, () => {
    logger.info({ port: config.port, database: runtime.database.dialect, algorithm: config.jwt.algorithm }, 'tessera listening');
  });
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'server failed');
    process.exit(1);
  });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close(() => {
      void runtime.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('tessera: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
