import { constants, createHmac, createPublicKey, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { decodeHeader, decodePayload, expectBearerRejected } from '../helpers/jwt-forge.ts';

const HMAC_SECRET = 'a'.repeat(48);
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

type AsymmetricAlg = 'ES256' | 'EdDSA' | 'RS256' | 'PS256';
type HmacAlg = 'HS256' | 'HS384' | 'HS512';

/** Verifies a compact JWS with node:crypto alone, from the published JWK. */
function verifyWithJwk(token: string, jwk: JsonWebKey, alg: AsymmetricAlg): boolean {
  const [h, p, s] = token.split('.');
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s!, 'base64url');
  const key: KeyObject = createPublicKey({ key: jwk, format: 'jwk' });
  switch (alg) {
    case 'ES256':
      return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'EdDSA':
      return cryptoVerify(null, data, key, signature);
    case 'RS256':
      return cryptoVerify('sha256', data, key, signature);
    case 'PS256':
      return cryptoVerify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  }
}

const hmacHash: Record<HmacAlg, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** Login, protected route and a refresh round trip; returns the tokens seen. */
async function exercise(t: TestApp, alg: string) {
  const session = await signupAndLogin(t.app);
  const header = decodeHeader(session.accessToken);
  expect(header.alg).toBe(alg);
  expect(header.typ).toBe('at+jwt');

  const ok = await request(t.app).get('/api/protected').set('Authorization', `Bearer ${session.accessToken}`);
  expect(ok.status).toBe(200);
  expect(ok.body.user.id).toBe(session.userId);

  expect(typeof session.refreshToken).toBe('string');
  const refreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken });
  expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
  const newAccess = refreshed.body.accessToken as string;
  expect(decodeHeader(newAccess).alg).toBe(alg);
  expect(refreshed.body.refreshToken).not.toBe(session.refreshToken);
  const again = await request(t.app).get('/api/protected').set('Authorization', `Bearer ${newAccess}`);
  expect(again.status).toBe(200);
  return { session, header, newAccess };
}

describe('configured signing algorithms', () => {
  let apps: TestApp[] = [];
  const open = async (env: Record<string, string>) => {
    const t = await createTestApp(env);
    apps.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(apps.map((t) => t.close()));
    apps = [];
  });

  for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256'] as const) {
    it(`${alg}: issues, accepts and refreshes tokens verifiable from the JWKS alone`, async () => {
      const t = await open({ JWT_ALGORITHM: alg });
      const { session, header, newAccess } = await exercise(t, alg);

      const jwks = await request(t.app).get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(jwks.headers['cache-control']).toMatch(/public/);
      expect(jwks.headers['cache-control']).toMatch(/max-age=\d+/);
      const keys = jwks.body.keys as JsonWebKey[];
      expect(keys).toHaveLength(1);
      const jwk = keys[0]!;
      expect(typeof header.kid).toBe('string');
      expect(jwk.kid).toBe(header.kid);
      expect(jwk.alg).toBe(alg);
      expect(jwk.use).toBe('sig');
      expect(jwk.kty).toBe(alg === 'ES256' ? 'EC' : alg === 'EdDSA' ? 'OKP' : 'RSA');
      for (const member of PRIVATE_JWK_MEMBERS) expect(jwk).not.toHaveProperty(member);

      expect(verifyWithJwk(session.accessToken, jwk, alg)).toBe(true);
      expect(verifyWithJwk(newAccess, jwk, alg)).toBe(true);
      // Control: the same check fails on a tampered payload.
      const [h, , s] = session.accessToken.split('.');
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...decodePayload(session.accessToken), roles: ['admin'] })).toString('base64url')}.${s}`;
      expect(verifyWithJwk(tampered, jwk, alg)).toBe(false);
    });
  }

  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    it(`${alg}: issues, accepts and refreshes tokens; publishes no keys`, async () => {
      const t = await open({ JWT_ALGORITHM: alg, JWT_SECRET: HMAC_SECRET });
      const { session } = await exercise(t, alg);

      const jwks = await request(t.app).get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(jwks.body).toEqual({ keys: [] });

      const [h, p, s] = session.accessToken.split('.');
      expect(createHmac(hmacHash[alg], HMAC_SECRET).update(`${h}.${p}`).digest('base64url')).toBe(s);
    });
  }

  it('an ES256 app refuses an HS256 token and an HS256 app refuses an ES256 token', async () => {
    const es = await open({ JWT_ALGORITHM: 'ES256' });
    const hs = await open({ JWT_ALGORITHM: 'HS256', JWT_SECRET: HMAC_SECRET });
    const esToken = (await signupAndLogin(es.app)).accessToken;
    const hsToken = (await signupAndLogin(hs.app)).accessToken;

    expectBearerRejected(await request(es.app).get('/api/protected').set('Authorization', `Bearer ${hsToken}`));
    expectBearerRejected(await request(hs.app).get('/api/protected').set('Authorization', `Bearer ${esToken}`));
  });

  it('an HS256 app refuses a token signed under another HS256 secret', async () => {
    const mine = await open({ JWT_ALGORITHM: 'HS256', JWT_SECRET: HMAC_SECRET });
    const theirs = await open({ JWT_ALGORITHM: 'HS256', JWT_SECRET: 'b'.repeat(48) });
    const foreign = (await signupAndLogin(theirs.app)).accessToken;
    expectBearerRejected(await request(mine.app).get('/api/protected').set('Authorization', `Bearer ${foreign}`));
  });

  it('an HS512 app refuses an HS256 token under the same secret', async () => {
    const hs512 = await open({ JWT_ALGORITHM: 'HS512', JWT_SECRET: HMAC_SECRET });
    const hs256 = await open({ JWT_ALGORITHM: 'HS256', JWT_SECRET: HMAC_SECRET });
    const weaker = (await signupAndLogin(hs256.app)).accessToken;
    expectBearerRejected(await request(hs512.app).get('/api/protected').set('Authorization', `Bearer ${weaker}`));
  });
});
