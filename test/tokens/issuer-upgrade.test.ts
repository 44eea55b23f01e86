import { Writable } from 'node:stream';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/**
 * JWT_ISSUER's default became APP_URL (it was `tessera`). Refresh tokens carry the issuer as `iss`
 * and `aud`: without care, the upgrade would have refused every refresh token issued before it,
 * signing every user out. A server on the default keeps accepting them, and rotates each into a
 * pair under the new issuer; one that sets JWT_ISSUER accepts only its own.
 */
const SECRETS = {
  JWT_REFRESH_SECRET: 'an-upgrade-test-refresh-secret-of-48-characters!!',
  KEY_ENCRYPTION_SECRET: 'an-upgrade-test-key-encryption-secret-of-48-chars',
};

describe('upgrading past the old JWT_ISSUER default', () => {
  let before: TestApp;
  let after: Runtime | undefined;
  afterEach(async () => {
    await after?.close();
    after = undefined;
    await before.close();
  });

  /** The same database and secrets, restarted with `env` instead of JWT_ISSUER=tessera. */
  const restart = async (env: Record<string, string>) => {
    const config = loadConfig({ NODE_ENV: 'test', COOKIE_SECURE: 'false', DATABASE_URL: before.config.database.url, ...SECRETS, ...env });
    const logger = createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }));
    after = await openRuntime(config, before.clock, logger);
    return { app: createApp({ config, ...after, clock: before.clock, logger }), config };
  };

  it('on the default: a refresh token issued under `tessera` still rotates, into tokens under APP_URL', async () => {
    before = await createTestApp({ ...SECRETS, JWT_ISSUER: 'tessera' });
    const session = await signupAndLogin(before.app);
    const { app, config } = await restart({ APP_URL: 'https://auth.example.com' });
    expect(config.jwt.issuer).toBe('https://auth.example.com');

    const rotated = await request(app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken });
    expect(rotated.status).toBe(200);
    const payload = JSON.parse(Buffer.from((rotated.body.refreshToken as string).split('.')[1]!, 'base64url').toString()) as {
      iss: string;
    };
    expect(payload.iss).toBe('https://auth.example.com');
    await request(app)
      .get('/api/protected')
      .set('Authorization', `Bearer ${rotated.body.accessToken as string}`)
      .expect(200);
    await request(app).post('/api/auth/refresh').send({ refreshToken: rotated.body.refreshToken }).expect(200);
  });

  it('with JWT_ISSUER set to something else: only its own refresh tokens', async () => {
    before = await createTestApp({ ...SECRETS, JWT_ISSUER: 'tessera' });
    const session = await signupAndLogin(before.app);
    const { app } = await restart({ JWT_ISSUER: 'https://auth.example.com' });
    const refused = await request(app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
  });
});
