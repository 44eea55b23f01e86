import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FeedLogger } from '../../src/express/index.ts';
import { listen } from '../helpers/listen.ts';
import { makeKey, mint, nowSeconds, resourceServer } from './identity-provider.ts';

/**
 * Issue 28, item 5: a resource service that cannot fetch the JWKS answered 503 and logged nothing
 * about why. It now says why once when fetches start failing, and once when they work again, not
 * on every request (an outage would flood the log).
 */
describe('a JWKS that cannot be fetched', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('is logged once when it fails (with the URL and the cause) and once when it works again; requests meanwhile get 503', async () => {
    const key = makeKey('k1', 'ES256');
    let down = true;
    const idp = express();
    idp.get('/jwks', (_req, res) => {
      if (down) res.status(502).send('bad gateway');
      else res.json({ keys: [key.jwk] });
    });
    const server = await listen(idp);
    close = server.close;
    const jwksUrl = `${server.url}/jwks`;

    const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const record = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
    const logger: FeedLogger = { info: record('info'), warn: record('warn'), error: record('error') };
    const issuer = 'https://idp.example.com';
    const app = resourceServer({ jwksUrl, issuer, audience: 'orders', logger });
    const token = await mint(
      key,
      { iss: issuer, aud: 'orders', sub: 'u1', iat: nowSeconds(), exp: nowSeconds() + 60, jti: 'j1' },
      'at+jwt',
    );

    for (let i = 0; i < 3; i += 1) {
      const res = await request(app).get('/me').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('unavailable');
    }
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields.jwksUrl).toBe(jwksUrl);
    expect(String(warnings[0]!.fields.error)).toMatch(/200|502|JSON Web Key Set/i);
    expect(warnings[0]!.message).toMatch(/signing keys cannot be fetched/);

    down = false;
    await vi.waitFor(
      async () => {
        const res = await request(app).get('/me').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(200);
      },
      { timeout: 5000, interval: 250 },
    );
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    const recovered = lines.filter((line) => line.level === 'info');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.message).toMatch(/fetched again/);
    expect(recovered[0]!.fields).toMatchObject({ jwksUrl, keys: 1 });
  });
});
