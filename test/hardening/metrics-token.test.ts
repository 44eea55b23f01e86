import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const TOKEN = 'metrics-token-for-tests-0123456789';

describe('GET /metrics access (METRICS_TOKEN)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('with METRICS_TOKEN it needs that Bearer token: 401 without it or with another', async () => {
    t = await createTestApp({ METRICS_TOKEN: TOKEN });
    const none = await request(t.app).get('/metrics');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('missing_token');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    expect(none.text).not.toMatch(/tessera_|process_/);

    const wrong = await request(t.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_token');
    // An access token of a logged-in user is not the metrics token either.
    const garbage = await request(t.app).get('/metrics').set('Authorization', 'Bearer eyJhbGciOiJub25lIn0.e30.');
    expect(garbage.status).toBe(401);

    const ok = await request(t.app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/^# HELP /m);
  });

  it('unset in production, /metrics is not served at all (404)', async () => {
    t = await createTestApp({
      NODE_ENV: 'production',
      APP_URL: 'https://auth.example.com',
      JWT_REFRESH_SECRET: 'r'.repeat(40),
      KEY_ENCRYPTION_SECRET: 'k'.repeat(40),
    });
    const res = await request(t.app).get('/metrics');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('unset in development (and tests), it stays open', async () => {
    t = await createTestApp();
    expect((await request(t.app).get('/metrics')).status).toBe(200);
  });

  it('refuses a METRICS_TOKEN too short to be a secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});
