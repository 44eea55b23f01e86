import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequireAuthOptions } from '../../src/express/index.ts';
import { makeKey, mint, nowSeconds, resourceServer, serveJwks } from './identity-provider.ts';

/**
 * Red-team finding 10 (issue 25): a rolesClaim path read a flat claim named like the path
 * (`realm_access.roles`) before the nested one, and joined keys (`https://example` holding
 * `{"com/roles": …}` answered for `https://example.com/roles`). Whoever can add a claim to the
 * issuer's tokens (a user attribute mapper, an Action) could choose the roles.
 */
const idp = makeKey('paths-rsa', 'RS256');
const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'orders-api';

const token = (claims: Record<string, unknown>) =>
  mint(idp, { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: nowSeconds(), exp: nowSeconds() + 300, ...claims }, 'JWT');

let jwks: Awaited<ReturnType<typeof serveJwks>>;
beforeAll(async () => {
  jwks = await serveJwks([idp]);
});
afterAll(async () => {
  await jwks.close();
});

const api = (rolesClaim: RequireAuthOptions['rolesClaim']) =>
  resourceServer({
    jwksUrl: jwks.jwksUrl,
    issuer: ISSUER,
    audience: AUDIENCE,
    typ: ['JWT'],
    ...(rolesClaim === undefined ? {} : { rolesClaim }),
  });

/** The roles the resource server sees, and whether requireRole('admin') lets the token through. */
async function rolesOf(app: ReturnType<typeof api>, claims: Record<string, unknown>) {
  const bearer = `Bearer ${await token(claims)}`;
  const me = await request(app).get('/me').set('Authorization', bearer);
  expect(me.status, JSON.stringify(me.body)).toBe(200);
  const admin = await request(app).get('/admin').set('Authorization', bearer);
  expect([200, 403]).toContain(admin.status);
  return { roles: me.body.roles as unknown, admin: admin.status === 200 };
}

describe('rolesClaim reads exactly the claim it names', () => {
  it("a dot path walks nested objects only: a flat claim named 'realm_access.roles' supplies nothing", async () => {
    const keycloak = api('realm_access.roles');
    expect(await rolesOf(keycloak, { realm_access: { roles: ['user'] } })).toEqual({ roles: ['user'], admin: false });
    expect(await rolesOf(keycloak, { realm_access: { roles: ['user'] }, 'realm_access.roles': ['admin'] })).toEqual({
      roles: ['user'],
      admin: false,
    });
    expect(await rolesOf(keycloak, { 'realm_access.roles': ['admin'] })).toEqual({ roles: [], admin: false });
  });

  it("keys are never joined: 'https://example' holding {'com/roles'} does not answer for https://example.com/roles", async () => {
    // As a dot path the name would be split at its dots, into exactly the claim of the trick: refused when built.
    expect(() => api('https://example.com/roles')).toThrow(/\['https:\/\/example\.com\/roles'\]/);
    const trick = { 'https://example': { 'com/roles': ['admin'] } };
    expect(await rolesOf(api(['https://example.com/roles']), trick)).toEqual({ roles: [], admin: false });
  });

  it('a list of keys reads an Auth0-style namespaced claim whole, and nested keys one by one', async () => {
    expect(await rolesOf(api(['https://example.com/roles']), { 'https://example.com/roles': ['admin'] })).toEqual({
      roles: ['admin'],
      admin: true,
    });
    const nested = api(['resource_access', 'my.app', 'roles']);
    expect(await rolesOf(nested, { resource_access: { 'my.app': { roles: ['admin'] } } })).toEqual({ roles: ['admin'], admin: true });
    expect(await rolesOf(nested, { resource_access: { my: { app: { roles: ['admin'] } } } })).toEqual({ roles: [], admin: false });
    // A name without dots is one key either way (Cognito's `cognito:groups`).
    expect(await rolesOf(api('cognito:groups'), { 'cognito:groups': ['admin'] })).toEqual({ roles: ['admin'], admin: true });
  });

  it('only own properties, never through an array or the prototype', async () => {
    expect(await rolesOf(api('realm_access.roles.length'), { realm_access: { roles: ['admin'] } })).toEqual({ roles: [], admin: false });
    expect(await rolesOf(api(['constructor']), {})).toEqual({ roles: [], admin: false });
  });

  it('refuses a path or list that names no claim', () => {
    for (const rolesClaim of ['', 'realm_access..roles', '.roles', [], ['']]) {
      expect(() => api(rolesClaim as RequireAuthOptions['rolesClaim']), JSON.stringify(rolesClaim)).toThrow(TypeError);
    }
  });
});
