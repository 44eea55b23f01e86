import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHighS, withLowS } from '../../src/tokens/ecdsa-low-s.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { expectBearerRejected } from '../helpers/jwt-forge.ts';

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const signatureOf = (token: string) => Buffer.from(token.split('.')[2]!, 'base64url');

/** The same token with its signature's s replaced by n − s: still a valid ECDSA signature. */
function flipS(token: string): string {
  const parts = token.split('.');
  const sig = signatureOf(token);
  const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return `${parts[0]}.${parts[1]}.${Buffer.concat([sig.subarray(0, 32), flipped]).toString('base64url')}`;
}

/** Every other spelling of the last character that decodes to the same bytes (differs only in trailing bits). */
function lastCharVariants(token: string): string[] {
  const bytes = Buffer.from(token.split('.')[2]!, 'base64url');
  return [...ALPHABET]
    .map((c) => token.slice(0, -1) + c)
    .filter((variant) => variant !== token && Buffer.from(variant.split('.')[2]!, 'base64url').equals(bytes));
}

const protectedWith = (t: TestApp, token: string) => request(t.app).get('/api/protected').set('Authorization', `Bearer ${token}`);

describe('canonical tokens', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('Tessera signs ES256 with a low S', async () => {
    const session = await signupAndLogin(t.app);
    const tokens = [session.accessToken];
    let refreshToken = session.refreshToken;
    for (let i = 0; i < 40; i += 1) {
      const res = await request(t.app).post('/api/auth/refresh').send({ refreshToken });
      expect(res.status).toBe(200);
      refreshToken = res.body.refreshToken;
      tokens.push(res.body.accessToken);
    }
    // With random signatures, 41 low-S ones in a row would happen by chance once in 2^41.
    for (const token of tokens) expect(isHighS(signatureOf(token))).toBe(false);
  });

  it('the n − s twin of a valid token is 401 invalid_token, before and after the original is cached', async () => {
    const { accessToken } = await signupAndLogin(t.app);
    const twin = flipS(accessToken);
    expect(twin).not.toBe(accessToken);
    expectBearerRejected(await protectedWith(t, twin));
    expect((await protectedWith(t, accessToken)).status).toBe(200);
    expectBearerRejected(await protectedWith(t, twin));
  });

  it('every other spelling of the signature’s last character is 401, and none takes a cache entry', async () => {
    const { accessToken, refreshToken } = await signupAndLogin(t.app);
    expect((await protectedWith(t, accessToken)).status).toBe(200);
    const variants = lastCharVariants(accessToken);
    // 64-byte ES256 signature: 86 characters, the last one carrying 4 ignored bits.
    expect(variants).toHaveLength(15);
    const metricsBefore = (await request(t.app).get('/metrics')).text.match(/tessera_verify_cache_entries (\d+)/)?.[1];
    for (const variant of variants) expectBearerRejected(await protectedWith(t, variant));
    const metricsAfter = (await request(t.app).get('/metrics')).text.match(/tessera_verify_cache_entries (\d+)/)?.[1];
    expect(metricsAfter).toBe(metricsBefore);

    // Refresh tokens (HS256, 32-byte MAC: 2 ignored bits) are held to the same rule.
    const refreshVariants = lastCharVariants(refreshToken);
    expect(refreshVariants).toHaveLength(3);
    for (const variant of refreshVariants) {
      const res = await request(t.app).post('/api/auth/refresh').send({ refreshToken: variant });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    }
    expect((await request(t.app).post('/api/auth/refresh').send({ refreshToken })).status).toBe(200);
  });

  it('withLowS turns the twin back into the original and leaves a low-S token alone', async () => {
    const { accessToken } = await signupAndLogin(t.app);
    expect(withLowS(accessToken)).toBe(accessToken);
    expect(isHighS(signatureOf(flipS(accessToken)))).toBe(true);
    expect(withLowS(flipS(accessToken))).toBe(accessToken);
  });
});
