import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import request from 'supertest';
import { createApp, type AppDeps } from '../../src/app.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { createClientsService } from '../../src/clients/clients.service.ts';
import { createServiceClientRepository } from '../../src/clients/service-client.repository.ts';
import type { Config } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { fakeClock, type FakeClock } from './clock.ts';
import { freshDatabase } from './database.ts';

export interface TestApp {
  app: Express;
  config: Config;
  runtime: Runtime;
  clock: FakeClock;
  /** Every log line the app wrote, for assertions (and leak checks). */
  logs: string[];
  close(): Promise<void>;
}

/** Test defaults: throwaway secrets, high limits so only rate-limit tests hit them. */
const BASE_ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  RATE_LIMIT_IP_MAX: '100000',
  RATE_LIMIT_ACCOUNT_MAX: '1000',
  COOKIE_SECURE: 'false',
};

/**
 * An isolated app on its own fresh database (a SQLite file in a temp directory, or a new
 * PostgreSQL database in the postgres project), with a frozen clock.
 * `env` overrides settings exactly as the environment would.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: { clock?: FakeClock; app?: Pick<AppDeps, 'feedHeartbeatMs' | 'shutdown' | 'mail'> } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const database = await freshDatabase(dir);
  const config = loadConfig({ DATABASE_URL: database.url, DATA_DIR: dir, ...BASE_ENV, ...env });
  const clock = options.clock ?? fakeClock();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const runtime = await openRuntime(config, clock, logger);
  const app = createApp({ config, ...runtime, clock, logger, ...options.app });
  return {
    app,
    config,
    runtime,
    clock,
    logs,
    async close() {
      await runtime.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
      assertNoSecretsLogged(logs);
    },
  };
}

/**
 * Another instance of the server on the same database and configuration as `t` (and `clock`,
 * by default t's), as a second process behind a load balancer would be.
 */
export async function openSecondInstance(t: TestApp, clock: FakeClock = t.clock): Promise<{ app: Express; runtime: Runtime }> {
  const logger = createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }));
  const runtime = await openRuntime(t.config, clock, logger);
  return { app: createApp({ config: t.config, ...runtime, clock, logger }), runtime };
}

export const PASSWORD = 'correct horse battery staple';

const JWT_PATTERN = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/;
/** A TOTP secret as Tessera makes them (160 bits, base32) and a recovery code (`XXXXX-XXXXX`, Crockford base32). */
const TOTP_SECRET_PATTERN = /(?<![A-Za-z0-9])[A-Z2-7]{32}(?![A-Za-z0-9])/;
const RECOVERY_CODE_PATTERN = /(?<![\w-])[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}(?![\w-])/;

/**
 * Every test app checks its own log when it closes: no JWT (access or refresh token), no TOTP
 * secret or recovery code, and not the shared test password may appear in any line. Across the
 * suite that covers every flow the tests drive.
 */
function assertNoSecretsLogged(logs: string[]): void {
  const leak = logs.find(
    (line) => JWT_PATTERN.test(line) || TOTP_SECRET_PATTERN.test(line) || RECOVERY_CODE_PATTERN.test(line) || line.includes(PASSWORD),
  );
  if (leak) throw new Error(`a token or password reached the log: ${leak.slice(0, 300)}`);
}

let counter = 0;
export const uniqueEmail = (prefix = 'user') => `${prefix}-${process.pid}-${++counter}@example.com`;

/** Signs up and logs in; returns the login body and the cookies it set. */
export async function signupAndLogin(app: Express, email = uniqueEmail(), password = PASSWORD) {
  const signup = await request(app).post('/api/auth/signup').send({ email, password });
  if (signup.status !== 201) throw new Error(`signup failed: ${signup.status} ${JSON.stringify(signup.body)}`);
  const login = await request(app).post('/api/auth/login').send({ email, password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return {
    email,
    password,
    userId: login.body.user.id as string,
    accessToken: login.body.accessToken as string,
    refreshToken: login.body.refreshToken as string,
    cookies: ([] as string[]).concat(login.headers['set-cookie'] ?? []),
    body: login.body as Record<string, unknown>,
  };
}

/** Makes a user an admin directly in the database (as the CLI would) and logs in again. */
export async function loginAsAdmin(t: TestApp) {
  const email = uniqueEmail('admin');
  const signup = await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD });
  await t.runtime.database.db
    .updateTable('users')
    .set({ roles: JSON.stringify(['user', 'admin']) })
    .where('id', '=', signup.body.user.id)
    .execute();
  const login = await request(t.app).post('/api/auth/login').send({ email, password: PASSWORD });
  return { email, userId: signup.body.user.id as string, accessToken: login.body.accessToken as string };
}

/** A service client (as `tessera client create` makes one) and its HTTP Basic header. */
export async function createServiceClient(t: TestApp, name = 'orders-api') {
  const db = t.runtime.database.db;
  const service = createClientsService({
    clients: createServiceClientRepository(db),
    audit: createAuditLog(db, t.clock, createLogger('silent')),
    clock: t.clock,
  });
  const { client, secret } = await service.create(name, { actorId: null, via: 'cli' });
  return { id: client.id, secret, basic: `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}`, service };
}
