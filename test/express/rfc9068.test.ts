import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRevocationFeeds, type RequireAuthOptions } from '../../src/express/index.ts';
import { chooseProfile } from '../../src/express/token-profile.ts';
import { isHighS } from '../../src/tokens/ecdsa-low-s.ts';
import { listen } from '../helpers/listen.ts';
import { startFeedServer, type FeedServer } from './feed-server.ts';
import { flipS, makeKey, mint, nowSeconds, resourceServer, serveJwks } from './identity-provider.ts';

// A standard authorization server issuing RFC 9068 access tokens (no `sid`, no `roles`).
const es256 = makeKey('std-ec', 'ES256');
const rs256 = makeKey('std-rsa', 'RS256');
const ISSUER = 'https://as.example.com/';
const AUDIENCE = 'https://orders.example.com';

/** RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti (and typ at+jwt in the header). */
const rfc9068Token = (key = es256, overrides: Record<string, unknown> = {}, typ = 'at+jwt') =>
  mint(
    key,
    {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-7',
      client_id: 's6BhdRkqt3',
      scope: 'orders:read',
      jti: 'dbe39bf3a3ba4238a513f51d6e1691c4',
      iat: nowSeconds(),
      exp: nowSeconds() + 300,
      ...overrides,
    },
    typ,
  );

/** The token's two valid ES256 forms, low S first. */
const bothForms = (token: string): [low: string, high: string] => {
  const signature = (t: string) => Buffer.from(t.slice(t.lastIndexOf('.') + 1), 'base64url');
  const twin = flipS(token);
  return isHighS(signature(token)) ? [twin, token] : [token, twin];
};

let jwks: Awaited<ReturnType<typeof serveJwks>>;
let options: RequireAuthOptions;
beforeAll(async () => {
  jwks = await serveJwks([es256, rs256]);
  options = { jwksUrl: jwks.jwksUrl, issuer: ISSUER, audience: AUDIENCE };
});
afterAll(async () => {
  await jwks.close();
});

const get = (app: ReturnType<typeof resourceServer>, token: string, path = '/me') =>
  request(app).get(path).set('Authorization', `Bearer ${token}`);

describe('RFC 9068 tokens of a provider that is not Tessera, with issuer and audience alone', () => {
  it('accepts an ES256 token in either S form, and an RS256 token', async () => {
    const api = resourceServer(options);
    const [low, high] = bothForms(await rfc9068Token());
    for (const token of [low, high, await rfc9068Token(rs256)]) {
      const res = await get(api, token);
      expect(res.status, res.body.detail).toBe(200);
      expect(res.body).toMatchObject({ sub: 'user-7', client_id: 's6BhdRkqt3', roles: [] });
    }
    expect((await get(api, high, '/scoped')).status).toBe(200); // scope from the token
    expect((await get(api, high, '/admin')).body.code).toBe('insufficient_role'); // no roles: 403, not 401
  });

  it('requires sub, iat and jti, and names the one that is missing', async () => {
    const api = resourceServer(options);
    for (const claim of ['sub', 'iat', 'jti']) {
      const res = await get(api, await rfc9068Token(es256, { [claim]: undefined }));
      expect(res.status, claim).toBe(401);
      expect(res.body.code).toBe('invalid_token');
      expect(res.body.detail).toContain(claim);
    }
    const wrongType = await get(api, await rfc9068Token(rs256, { client_id: 42 }));
    expect(wrongType.body.code).toBe('invalid_token');
    expect(wrongType.body.detail).toContain('client_id');
  });

  it('names the failed check (aud, iss, typ, exp) without echoing what the token said', async () => {
    const api = resourceServer(options);
    const cases: [string, Promise<string>][] = [
      ['aud', rfc9068Token(es256, { aud: 'https://someone-else.example' })],
      ['iss', rfc9068Token(es256, { iss: 'https://evil.example/' })],
      ['typ', rfc9068Token(es256, {}, 'JWT')],
      ['aud', rfc9068Token(rs256, { aud: ['https://a.example', 'https://b.example'] })],
    ];
    for (const [check, minted] of cases) {
      const res = await get(api, await minted);
      expect(res.status, check).toBe(401);
      expect(res.body.code, check).toBe('invalid_token');
      expect(res.body.detail, check).toContain(check);
      expect(res.headers['www-authenticate'], check).toContain(check);
      expect(JSON.stringify(res.body), check).not.toMatch(/someone-else|evil|a\.example/);
    }
    const expired = await get(api, await rfc9068Token(es256, { exp: nowSeconds() - 60 }));
    expect(expired.body.code).toBe('token_expired');
  });
});

describe("Tessera's stricter profile", () => {
  const tesseraShaped = { sid: 'session-1', roles: ['admin'] };

  it("profile 'tessera': the low-S form with sid and roles passes; the high-S twin and a token without sid do not", async () => {
    const api = resourceServer({ ...options, profile: 'tessera' });
    const [low, high] = bothForms(await rfc9068Token(es256, tesseraShaped));
    expect((await get(api, low)).status).toBe(200);
    expect((await get(api, low, '/admin')).status).toBe(200);

    const highS = await get(api, high);
    expect(highS.status).toBe(401);
    expect(highS.body.code).toBe('invalid_token');
    expect(highS.body.detail).toContain('low-S');

    for (const claim of ['sid', 'roles']) {
      const res = await get(api, await rfc9068Token(rs256, { ...tesseraShaped, [claim]: undefined }));
      expect(res.status, claim).toBe(401);
      expect(res.body.detail, claim).toContain(claim);
    }
  });

  it("refuses profile 'tessera' together with options describing another issuer's tokens", () => {
    expect(() => resourceServer({ ...options, profile: 'tessera', rolesClaim: 'groups' })).toThrow(TypeError);
    expect(() => resourceServer({ ...options, profile: 'tessera', typ: ['JWT'] })).toThrow(TypeError);
    expect(() => resourceServer({ ...options, profile: 'other' as 'tessera' })).toThrow(TypeError);
  });

  describe('with the revocation feed, which only a Tessera server has', () => {
    let feed: FeedServer;
    const client = { clientId: 'orders-api', clientSecret: 's'.repeat(32) };
    const quiet = { info() {}, warn() {}, error() {} };
    beforeAll(async () => {
      feed = await startFeedServer(client);
    });
    afterAll(async () => {
      await closeRevocationFeeds();
      await feed.close();
    });

    it('revocations imply the Tessera profile; profile rfc9068 says otherwise', async () => {
      const revocations = { url: feed.url, ...client, logger: quiet };
      const implied = resourceServer({ ...options, revocations });
      const [low, high] = bothForms(await rfc9068Token(es256, tesseraShaped));
      expect((await get(implied, low)).status).toBe(200);
      expect((await get(implied, high)).body.detail).toContain('low-S');
      expect((await get(implied, await rfc9068Token(rs256))).body.detail).toContain('sid');

      const explicit = resourceServer({ ...options, revocations, profile: 'rfc9068' });
      expect((await get(explicit, await rfc9068Token())).status).toBe(200);
      expect((await get(explicit, high)).status).toBe(200);
    });
  });
});

describe("the issuer's discovery document decides when no option does", () => {
  /** An issuer serving its discovery document (naming it a Tessera server or not) and its JWKS. */
  async function issuerServing(tesseraField: boolean) {
    const app = express();
    app.get('/.well-known/openid-configuration', (_req, res) => {
      res.json({ issuer: url, jwks_uri: `${url}/jwks`, ...(tesseraField ? { tessera_access_token_profile: 'tessera' } : {}) });
    });
    app.get('/jwks', (_req, res) => {
      res.json({ keys: [es256.jwk, rs256.jwk] });
    });
    const server = await listen(app);
    const url = server.url;
    return server;
  }

  it("a Tessera server's issuer: sid and low-S demanded; any other issuer: RFC 9068", async () => {
    for (const tessera of [true, false]) {
      const issuer = await issuerServing(tessera);
      try {
        const api = resourceServer({ issuer: issuer.url, audience: AUDIENCE });
        const [low, high] = bothForms(await rfc9068Token(es256, { iss: issuer.url, sid: 's', roles: [] }));
        const noSid = await rfc9068Token(rs256, { iss: issuer.url });
        expect((await get(api, low)).status, `tessera ${tessera}`).toBe(200);
        if (tessera) {
          expect((await get(api, high)).body.detail).toContain('low-S');
          expect((await get(api, noSid)).body.detail).toBe('The token has no sid claim.');
        } else {
          expect((await get(api, high)).status).toBe(200);
          expect((await get(api, noSid)).status).toBe(200);
        }
      } finally {
        await issuer.close();
      }
    }
  });
});

describe('which profile applies', () => {
  const base = { issuer: ISSUER, audience: AUDIENCE };
  it('RFC 9068 unless told, or unless discovery says the issuer is a Tessera server', () => {
    expect(chooseProfile(base)).toBe('rfc9068');
    expect(chooseProfile(base, 'rfc9068')).toBe('rfc9068');
    expect(chooseProfile(base, 'tessera')).toBe('tessera');
    expect(chooseProfile({ ...base, profile: 'tessera' })).toBe('tessera');
    expect(chooseProfile({ ...base, profile: 'rfc9068' }, 'tessera')).toBe('rfc9068');
    expect(
      chooseProfile({ ...base, revocations: { url: 'https://as.example.com/api/revocations', clientId: 'c', clientSecret: 's' } }),
    ).toBe('tessera');
    // Options that describe another issuer's tokens are that issuer's profile, whatever discovery says.
    expect(chooseProfile({ ...base, rolesClaim: 'groups' }, 'tessera')).toBe('rfc9068');
  });
});
