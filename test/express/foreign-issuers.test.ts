import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequireAuthOptions } from '../../src/express/index.ts';
import { claimAt } from '../../src/express/roles-claim.ts';
import { flipS, makeKey, mint, nowSeconds, resourceServer, serveJwks } from './identity-provider.ts';

// Three identity providers, each with the token shape it issues by default.
const keycloak = makeKey('kc-rsa', 'RS256');
const auth0 = makeKey('auth0-rsa', 'RS256');
const entra = makeKey('entra-rsa', 'RS256', { publishAlg: false }); // Entra ID's JWKS has no `alg`
const ecNoAlg = makeKey('ec-no-alg', 'ES256', { publishAlg: false });

const KC_ISSUER = 'http://kc/realms/x';
const AUTH0_ISSUER = 'https://tenant.eu.auth0.com/';
const AUTH0_API = 'https://orders.example.com';
const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const ENTRA_V1 = `https://sts.windows.net/${TENANT}/`;
const ENTRA_V2 = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const ENTRA_CLIENT = '6e74172b-be56-4843-9ff4-e66a39bb12e3';

const keycloakToken = (overrides: Record<string, unknown> = {}, typ = 'JWT') =>
  mint(
    keycloak,
    {
      iss: KC_ISSUER,
      aud: 'account',
      azp: 'orders-app',
      sub: 'kc-user-1',
      typ: 'Bearer',
      sid: 'kc-session-1',
      jti: 'kc-jti-1',
      iat: nowSeconds(),
      exp: nowSeconds() + 300,
      realm_access: { roles: ['admin', 'offline_access'] },
      resource_access: { 'orders-app': { roles: ['clerk'] } },
      scope: 'openid profile orders:read',
      ...overrides,
    },
    typ,
  );

const auth0Token = (typ?: string) =>
  mint(
    auth0,
    {
      iss: AUTH0_ISSUER,
      sub: 'auth0|42',
      aud: [AUTH0_API, `${AUTH0_ISSUER}userinfo`],
      azp: 'spa-client',
      scope: 'openid profile',
      permissions: ['orders:read'],
      'https://ns/roles': ['admin'],
      iat: nowSeconds(),
      exp: nowSeconds() + 300,
    },
    typ,
  );

const entraToken = (overrides: Record<string, unknown> = {}) =>
  mint(
    entra,
    {
      iss: ENTRA_V2,
      aud: ENTRA_CLIENT,
      sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      oid: '00000000-0000-0000-66f3-3332eca7ea81',
      tid: TENANT,
      azp: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
      scp: 'Orders.Read User.Read',
      roles: ['admin'],
      ver: '2.0',
      iat: nowSeconds(),
      nbf: nowSeconds(),
      exp: nowSeconds() + 300,
      ...overrides,
    },
    'JWT',
  );

let jwks: Awaited<ReturnType<typeof serveJwks>>;
beforeAll(async () => {
  jwks = await serveJwks([keycloak, auth0, entra, ecNoAlg]);
});
afterAll(async () => {
  await jwks.close();
});

const get = (app: ReturnType<typeof resourceServer>, path: string, token: string) =>
  request(app).get(path).set('Authorization', `Bearer ${token}`);

const KEYCLOAK: Omit<RequireAuthOptions, 'jwksUrl'> = {
  issuer: KC_ISSUER,
  audience: 'account',
  typ: ['JWT'],
  rolesClaim: 'realm_access.roles',
};
const AUTH0: Omit<RequireAuthOptions, 'jwksUrl'> = {
  issuer: AUTH0_ISSUER,
  audience: AUTH0_API,
  typ: false,
  rolesClaim: 'https://ns/roles',
};
const ENTRA: Omit<RequireAuthOptions, 'jwksUrl'> = {
  issuer: [ENTRA_V1, ENTRA_V2],
  audience: [ENTRA_CLIENT, 'api://orders'],
  typ: ['JWT'],
  algorithms: ['RS256'],
};

describe('tokens from other identity providers', () => {
  it('Keycloak: refused by the default options, accepted with typ JWT and realm roles', async () => {
    const token = await keycloakToken();
    const strict = resourceServer({ jwksUrl: jwks.jwksUrl, issuer: KC_ISSUER, audience: 'account' });
    const refused = await get(strict, '/me', token);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');

    const api = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK });
    const me = await get(api, '/me', token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ sub: 'kc-user-1', azp: 'orders-app', roles: ['admin', 'offline_access'] });
    expect(me.body.realm_access).toEqual({ roles: ['admin', 'offline_access'] });
    expect((await get(api, '/admin', token)).status).toBe(200);
    expect((await get(api, '/scoped', token)).status).toBe(200);
  });

  it('Auth0: refused by the default options, accepted with typ false, an audience list and a namespaced roles claim', async () => {
    const strict = resourceServer({ jwksUrl: jwks.jwksUrl, issuer: AUTH0_ISSUER, audience: AUTH0_API });
    const api = resourceServer({ jwksUrl: jwks.jwksUrl, ...AUTH0 });
    for (const typ of [undefined, 'JWT']) {
      const token = await auth0Token(typ);
      const refused = await get(strict, '/me', token);
      expect(refused.status, `typ ${typ}`).toBe(401);
      expect(refused.body.code).toBe('invalid_token');

      const me = await get(api, '/me', token);
      expect(me.status, `typ ${typ}`).toBe(200);
      expect(me.body).toMatchObject({ sub: 'auth0|42', roles: ['admin'] });
      expect((await get(api, '/admin', token)).status).toBe(200);
      expect((await get(api, '/scoped', token)).status).toBe(200); // from `permissions`
    }
  });

  it('Entra ID: keys without alg are used when algorithms pins RS256; v1 and v2 issuers, roles and scp', async () => {
    const token = await entraToken();
    const strict = resourceServer({ jwksUrl: jwks.jwksUrl, issuer: ENTRA_V2, audience: ENTRA_CLIENT });
    expect((await get(strict, '/me', token)).body.code).toBe('invalid_token');

    const api = resourceServer({ jwksUrl: jwks.jwksUrl, ...ENTRA }, ['Orders.Read']);
    const me = await get(api, '/me', token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ tid: TENANT, oid: '00000000-0000-0000-66f3-3332eca7ea81', roles: ['admin'] });
    expect(me.body.sid).toBeUndefined();
    expect(me.body.jti).toBeUndefined();
    expect((await get(api, '/admin', token)).status).toBe(200);
    expect((await get(api, '/scoped', token)).status).toBe(200); // from `scp`

    const v1 = await entraToken({ iss: ENTRA_V1, aud: 'api://orders', ver: '1.0' });
    expect((await get(api, '/me', v1)).status).toBe(200);
    const otherTenant = await entraToken({ iss: 'https://login.microsoftonline.com/another-tenant/v2.0' });
    expect((await get(api, '/me', otherTenant)).body.code).toBe('invalid_token');
    const otherAudience = await entraToken({ aud: 'api://someone-else' });
    expect((await get(api, '/me', otherAudience)).body.code).toBe('invalid_token');
  });

  it('a key without alg is not used when algorithms is ambiguous for its type', async () => {
    const token = await entraToken();
    for (const algorithms of [undefined, ['RS256', 'PS256'] as const, ['PS256'] as const]) {
      const api = resourceServer({
        jwksUrl: jwks.jwksUrl,
        ...ENTRA,
        ...(algorithms ? { algorithms: [...algorithms] } : { algorithms: undefined }),
      });
      const res = await get(api, '/me', token);
      expect(res.status, String(algorithms)).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    }
  });

  it('an EC P-256 key without alg verifies ES256, in either form of the signature', async () => {
    const token = await mint(ecNoAlg, { iss: KC_ISSUER, aud: 'account', sub: 'u', iat: nowSeconds(), exp: nowSeconds() + 300 }, 'JWT');
    const api = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK }); // default algorithms: ES256 is the only one for P-256
    expect((await get(api, '/me', token)).status).toBe(200);
    // Other issuers do not all sign with the low S (Tessera does, and refuses the other form).
    expect((await get(api, '/me', flipS(token))).status).toBe(200);
  });

  it('requireScope: 403 insufficient_scope without the scope, whichever claim carries scopes', async () => {
    const api = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK }, ['orders:read', 'orders:write']);
    const res = await get(api, '/scoped', await keycloakToken());
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_scope"');
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const both = await keycloakToken({ scope: 'orders:read orders:write' });
    expect((await get(api, '/scoped', both)).status).toBe(200);

    const entraApi = resourceServer({ jwksUrl: jwks.jwksUrl, ...ENTRA }, ['Orders.Write']);
    expect((await get(entraApi, '/scoped', await entraToken())).body.code).toBe('insufficient_scope');
    const listed = await entraToken({ scp: ['Orders.Write'] });
    expect((await get(entraApi, '/scoped', listed)).status).toBe(200);
  });

  it('rolesClaim: a path into nested claims, a function, or nothing found (no roles)', async () => {
    const token = await keycloakToken();
    const byFunction = resourceServer({
      jwksUrl: jwks.jwksUrl,
      ...KEYCLOAK,
      rolesClaim: (claims) => {
        const client = claimAt(claims, 'resource_access.orders-app.roles');
        return Array.isArray(client) ? client.map((role) => `orders:${String(role)}`) : [];
      },
    });
    expect((await get(byFunction, '/me', token)).body.roles).toEqual(['orders:clerk']);
    expect((await get(byFunction, '/admin', token)).body.code).toBe('insufficient_role');

    const byPath = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK, rolesClaim: 'resource_access.orders-app.roles' });
    expect((await get(byPath, '/me', token)).body.roles).toEqual(['clerk']);

    const none = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK, rolesClaim: 'groups' });
    expect((await get(none, '/me', token)).body.roles).toEqual([]);
    expect((await get(none, '/admin', token)).status).toBe(403);

    const malformed = await keycloakToken({ realm_access: { roles: 'admin' } });
    expect((await get(resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK }), '/me', malformed)).body.code).toBe('invalid_token');
  });

  it('claimAt walks nested keys exactly: a key holding dots only through the list form', () => {
    const claims = { 'https://ns/roles': ['a'], resource_access: { 'my.app': { roles: ['b'] } }, realm_access: { roles: ['c'] } };
    expect(claimAt(claims, 'https://ns/roles')).toEqual(['a']);
    expect(claimAt(claims, 'resource_access.my.app.roles')).toBeUndefined();
    expect(claimAt(claims, ['resource_access', 'my.app', 'roles'])).toEqual(['b']);
    expect(claimAt(claims, 'realm_access.roles')).toEqual(['c']);
    expect(claimAt(claims, 'realm_access.roles.length')).toBeUndefined();
    expect(claimAt(claims, 'constructor')).toBeUndefined();
  });

  it('typ: a list accepts only its types (application/ optional, any case); false accepts any or none', async () => {
    const listed = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK });
    expect((await get(listed, '/me', await keycloakToken({}, 'application/jwt'))).status).toBe(200);
    expect((await get(listed, '/me', await keycloakToken({}, 'at+jwt'))).body.code).toBe('invalid_token');
    expect((await get(listed, '/me', await keycloakToken({}, ''))).body.code).toBe('invalid_token');

    const any = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK, typ: false });
    for (const typ of ['JWT', 'at+jwt', '']) expect((await get(any, '/me', await keycloakToken({}, typ))).status, typ).toBe(200);
  });

  it('requiredClaims: a missing claim is 401 invalid_token; iss, aud and exp are required whatever the list', async () => {
    const withSid = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK, requiredClaims: ['sub', 'exp', 'sid'] });
    expect((await get(withSid, '/me', await keycloakToken())).status).toBe(200);
    const noSid = await get(withSid, '/me', await keycloakToken({ sid: undefined }));
    expect(noSid.status).toBe(401);
    expect(noSid.body.code).toBe('invalid_token');

    const defaults = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK }); // ['sub', 'exp'] for typ JWT
    expect((await get(defaults, '/me', await keycloakToken({ sub: undefined }))).body.code).toBe('invalid_token');
    expect((await get(defaults, '/me', await keycloakToken({ sid: undefined, jti: undefined }))).status).toBe(200);
    expect((await get(defaults, '/me', await keycloakToken({ sub: 42 }))).body.code).toBe('invalid_token');

    const lax = resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK, requiredClaims: [] });
    expect((await get(lax, '/me', await keycloakToken({ sub: undefined }))).status).toBe(200);
    for (const claim of ['iss', 'aud', 'exp']) {
      const res = await get(lax, '/me', await keycloakToken({ [claim]: undefined }));
      expect(res.status, claim).toBe(401);
      expect(res.body.code, claim).toBe('invalid_token');
    }
  });

  it("the default options mean RFC 9068 tokens; profile 'tessera' demands Tessera's sid and roles too", async () => {
    const api = resourceServer({ jwksUrl: jwks.jwksUrl, issuer: KC_ISSUER, audience: 'account' });
    const noRoles = await keycloakToken({ sid: undefined }, 'at+jwt'); // typ at+jwt, sub, iat and jti: RFC 9068's claims
    expect((await get(api, '/me', noRoles)).body).toMatchObject({ sub: 'kc-user-1', roles: [] });
    expect((await get(api, '/me', await keycloakToken({ jti: undefined }, 'at+jwt'))).body.detail).toContain('jti');

    const tessera = resourceServer({ jwksUrl: jwks.jwksUrl, issuer: KC_ISSUER, audience: 'account', profile: 'tessera' });
    expect((await get(tessera, '/me', await keycloakToken({ roles: ['admin'] }, 'at+jwt'))).status).toBe(200);
    const refused = await get(tessera, '/me', noRoles);
    expect(refused.body.code).toBe('invalid_token');
    expect(refused.body.detail).toBe('The token has no sid claim.');
  });

  it('refuses options that would accept nothing', () => {
    expect(() => resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK, issuer: [] })).toThrow(TypeError);
    expect(() => resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK, audience: '' })).toThrow(TypeError);
    expect(() => resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK, typ: [] })).toThrow(TypeError);
    expect(() => resourceServer({ jwksUrl: jwks.jwksUrl, ...KEYCLOAK, cacheSize: -1 })).toThrow(TypeError);
  });
});
