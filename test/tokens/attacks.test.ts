import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import {
  b64u,
  decodeHeader,
  decodePayload,
  encodeJson,
  expectBearerRejected,
  signEs256,
  signHmac,
  type Json,
  without,
} from '../helpers/jwt-forge.ts';

const ACCESS_TTL_S = 900;
const LEEWAY_S = 5;

describe('access-token attacks on /api/protected (ES256)', () => {
  let t: TestApp;
  let token: string;
  let header: Json;
  let payload: Json;
  let realKey: KeyObject;
  let kid: string;

  beforeEach(async () => {
    t = await createTestApp();
    const session = await signupAndLogin(t.app);
    token = session.accessToken;
    header = decodeHeader(token);
    payload = decodePayload(token);
    const active = t.runtime.keystore.active();
    realKey = createPrivateKey(active.signingKey as string);
    kid = active.kid;
  });
  afterEach(() => t.close());

  const protectedWith = (bearer: string) => request(t.app).get('/api/protected').set('Authorization', `Bearer ${bearer}`);
  const nowS = () => Math.floor(t.clock.now() / 1000);
  /** Properly signed with the server's real key. */
  const realSign = (h: Json, p: Json) => signEs256(h, p, realKey);

  describe('controls (the forging helpers make tokens the server accepts)', () => {
    it('accepts the issued token', async () => {
      expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid });
      expect((await protectedWith(token)).status).toBe(200);
    });

    it('accepts a token re-signed with the real key and the real header', async () => {
      const res = await protectedWith(realSign(header, { ...payload, jti: 'control-jti' }));
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(payload.sub);
    });

    it('answers a missing token with a realm-only challenge', async () => {
      const res = await request(t.app).get('/api/protected');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('missing_token');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    });
  });

  describe('alg: none', () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      it(`refuses alg "${alg}" with an empty signature`, async () => {
        const withKid = `${encodeJson({ ...header, alg })}.${encodeJson(payload)}.`;
        const withoutKid = `${encodeJson({ alg, typ: 'at+jwt' })}.${encodeJson(payload)}.`;
        expectBearerRejected(await protectedWith(withKid));
        expectBearerRejected(await protectedWith(withoutKid));
      });
    }
  });

  describe('algorithm confusion (HS256 keyed with the public key)', () => {
    let jwk: JsonWebKey;
    beforeEach(async () => {
      const jwks = await request(t.app).get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      jwk = (jwks.body.keys as JsonWebKey[]).find((k) => k.kid === kid)!;
      expect(jwk).toBeDefined();
    });

    it('refuses HS256 signed with the PEM of the published key', async () => {
      const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
      const secrets = [pem, pem.trim(), t.runtime.keystore.active().verifyKey];
      for (const secret of secrets) {
        const forged = signHmac({ alg: 'HS256', typ: 'at+jwt', kid }, payload, secret);
        expectBearerRejected(await protectedWith(forged));
      }
    });

    it('refuses HS256 signed with the raw JWK JSON', async () => {
      const { kty, crv, x, y } = jwk;
      for (const secret of [JSON.stringify(jwk), JSON.stringify({ kty, crv, x, y })]) {
        const forged = signHmac({ alg: 'HS256', typ: 'at+jwt', kid }, payload, secret);
        expectBearerRejected(await protectedWith(forged));
      }
    });
  });

  describe('key-pointing headers', () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attackerJwk = { ...attacker.publicKey.export({ format: 'jwk' }), kid: 'attacker', alg: 'ES256', use: 'sig' };

    it('refuses an embedded jwk header with the attacker key', async () => {
      for (const headerKid of [kid, 'attacker']) {
        const forged = signEs256({ ...header, kid: headerKid, jwk: attackerJwk }, payload, attacker.privateKey);
        expectBearerRejected(await protectedWith(forged));
      }
    });

    for (const member of ['jku', 'x5u'] as const) {
      it(`refuses a ${member} header and never fetches it`, async () => {
        const hits: string[] = [];
        const server: Server = createServer((req, res) => {
          hits.push(req.url ?? '');
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ keys: [attackerJwk] }));
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          const { port } = server.address() as AddressInfo;
          const url = `http://127.0.0.1:${port}/${member}.json`;
          for (const headerKid of ['attacker', kid]) {
            const forged = signEs256({ ...header, kid: headerKid, [member]: url }, payload, attacker.privateKey);
            expectBearerRejected(await protectedWith(forged));
          }
          // Even with a genuine signature, a token naming a remote key is not one of ours.
          expectBearerRejected(await protectedWith(realSign({ ...header, [member]: url }, payload)));
          expect(hits).toEqual([]);
        } finally {
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }
      });
    }
  });

  it('refuses an ECDSA signature of all zero bytes', async () => {
    const [h, p] = token.split('.');
    expectBearerRejected(await protectedWith(`${h}.${p}.${b64u(Buffer.alloc(64))}`));
  });

  describe('hostile kid values never reach a 500', () => {
    const cases: [string, unknown][] = [
      ['path-like', '../../etc/passwd'],
      ['SQL-like', "' OR 1=1 --"],
      ['10 KB long', 'k'.repeat(10 * 1024)],
      ['a number', 12345],
      ['null', null],
      ['__proto__', '__proto__'],
      ['constructor', 'constructor'],
      ['empty', ''],
    ];
    for (const [name, value] of cases) {
      it(`kid ${name}`, async () => {
        expectBearerRejected(await protectedWith(realSign({ ...header, kid: value }, payload)));
      });
    }
  });

  it('refuses a tampered payload (roles: ["admin"]) with the original signature', async () => {
    const [h, , s] = token.split('.');
    const tampered = `${h}.${encodeJson({ ...payload, roles: ['admin'] })}.${s}`;
    expectBearerRejected(await protectedWith(tampered));
  });

  it('refuses a token signed by a different ES256 key under the real kid', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expectBearerRejected(await protectedWith(signEs256(header, payload, other)));
  });

  describe('claims and header checks on properly signed tokens', () => {
    it('refuses a wrong iss', async () => {
      expectBearerRejected(await protectedWith(realSign(header, { ...payload, iss: 'evil' })));
    });

    it('refuses a missing iss', async () => {
      const rest = without(payload, 'iss');
      expectBearerRejected(await protectedWith(realSign(header, rest)));
    });

    it('refuses a wrong aud', async () => {
      expectBearerRejected(await protectedWith(realSign(header, { ...payload, aud: 'other-api' })));
      expectBearerRejected(await protectedWith(realSign(header, { ...payload, aud: ['other-api'] })));
    });

    it('refuses typ "JWT" and a missing typ', async () => {
      expectBearerRejected(await protectedWith(realSign({ ...header, typ: 'JWT' }, payload)));
      const noTyp = without(header, 'typ');
      expectBearerRejected(await protectedWith(realSign(noTyp, payload)));
    });

    it('refuses a token whose header alg does not match the key', async () => {
      expectBearerRejected(await protectedWith(realSign({ ...header, alg: 'ES384' }, payload)));
    });

    it('refuses a token that lacks the session claim', async () => {
      const rest = without(payload, 'sid');
      expectBearerRejected(await protectedWith(realSign(header, rest)));
    });
  });

  describe('time', () => {
    it('accepts a token still inside exp + leeway', async () => {
      t.clock.advance((ACCESS_TTL_S + LEEWAY_S - 1) * 1000);
      expect((await protectedWith(token)).status).toBe(200);
    });

    it('refuses an expired token with token_expired', async () => {
      t.clock.advance((ACCESS_TTL_S + LEEWAY_S + 1) * 1000);
      expectBearerRejected(await protectedWith(token), 'token_expired');
    });

    it('refuses a token without exp', async () => {
      const rest = without(payload, 'exp');
      const res = await protectedWith(realSign(header, rest));
      expect(res.status).toBe(401);
      expect(['invalid_token', 'token_expired']).toContain(res.body.code);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('refuses nbf in the future beyond the 5 s leeway, accepts it within', async () => {
      expectBearerRejected(await protectedWith(realSign(header, { ...payload, nbf: nowS() + LEEWAY_S + 5 })));
      expectBearerRejected(await protectedWith(realSign(header, { ...payload, nbf: nowS() + 3600 })));
      expect((await protectedWith(realSign(header, { ...payload, nbf: nowS() + 3 }))).status).toBe(200);
    });
  });

  describe('malformed tokens', () => {
    it('refuses a properly signed token longer than 8 KB', async () => {
      const big = realSign(header, { ...payload, pad: 'x'.repeat(9000) });
      expect(big.length).toBeGreaterThan(8192);
      expectBearerRejected(await protectedWith(big));
    });

    it('refuses 2 and 4 segments', async () => {
      const [h, p, s] = token.split('.');
      expectBearerRejected(await protectedWith(`${h}.${p}`));
      expectBearerRejected(await protectedWith(`${h}.${p}.${s}.${s}`));
      expectBearerRejected(await protectedWith(`${h}.${p}.${s}.`));
    });

    it('refuses a header that is not JSON (or not an object)', async () => {
      const [, p, s] = token.split('.');
      for (const h of [b64u('not json'), b64u('{"alg":"ES256"'), encodeJson([1, 2]), encodeJson('ES256'), encodeJson(null)]) {
        expectBearerRejected(await protectedWith(`${h}.${p}.${s}`));
      }
    });

    it('refuses a payload that is not JSON under a valid signature', async () => {
      const input = `${encodeJson(header)}.${b64u('not json')}`;
      const [, , sig] = realSign(header, {}).split('.');
      expectBearerRejected(await protectedWith(`${input}.${sig}`));
    });

    it('refuses a non-Bearer scheme and garbage', async () => {
      const basic = await request(t.app).get('/api/protected').set('Authorization', `Basic ${token}`);
      expect(basic.status).toBe(401);
      expectBearerRejected(await protectedWith('garbage'));
      expectBearerRejected(await protectedWith('a.b.c'));
    });
  });

  describe('token types are not interchangeable', () => {
    it('refuses a refresh token as a Bearer token', async () => {
      const session = await signupAndLogin(t.app);
      expectBearerRejected(await protectedWith(session.refreshToken));
    });

    it('refuses an access token as a refresh token', async () => {
      const res = await request(t.app).post('/api/auth/refresh').send({ refreshToken: token });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    });
  });
});
