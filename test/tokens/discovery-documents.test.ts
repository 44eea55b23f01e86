import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/**
 * The discovery documents Tessera serves (RFC 8414, and the same metadata where OpenID Connect
 * discovery looks): what a resource service reads to find the JWKS from the issuer alone.
 */

const PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];
const APP = 'https://auth.example.com';

type Json = Record<string, unknown>;
const payloadOf = (jwt: string): Json => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Json;

async function documents(t: TestApp): Promise<Json[]> {
  return Promise.all(
    PATHS.map(async (path) => {
      const res = await request(t.app).get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control'], path).toBe('public, max-age=30');
      return res.body as Json;
    }),
  );
}

describe('discovery documents with the default issuer (APP_URL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ APP_URL: `${APP}/` });
  });
  afterAll(() => t.close());

  it('both paths serve the same metadata: the issuer of the tokens, where the keys and the client endpoints are, and that it is Tessera', async () => {
    const [rfc8414, openid] = await documents(t);
    expect(openid).toEqual(rfc8414);
    expect(rfc8414).toEqual({
      issuer: APP,
      jwks_uri: `${APP}/.well-known/jwks.json`,
      introspection_endpoint: `${APP}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      revocation_endpoint: `${APP}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
      service_documentation: `${APP}/docs`,
      tessera_access_token_profile: 'tessera',
      tessera_revocation_feed_endpoint: `${APP}/api/revocations`,
    });
  });

  it('names exactly the iss of the access tokens (RFC 8414 §3.3: a client compares them)', async () => {
    const { accessToken } = await signupAndLogin(t.app);
    const [document] = await documents(t);
    expect(payloadOf(accessToken).iss).toBe(APP);
    expect(document!.issuer).toBe(payloadOf(accessToken).iss);
  });

  it('claims no endpoint Tessera lacks: no authorization or token endpoint, no OpenID Provider fields, no empty lists', async () => {
    const [document] = await documents(t);
    for (const field of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'response_types_supported',
      'grant_types_supported',
      'id_token_signing_alg_values_supported',
      'subject_types_supported',
    ]) {
      expect(document, field).not.toHaveProperty(field);
    }
    for (const [field, value] of Object.entries(document!)) if (Array.isArray(value)) expect(value.length, field).toBeGreaterThan(0);
  });

  it('each endpoint it names is served here (the URLs under the issuer are this app’s paths)', async () => {
    const [document] = await documents(t);
    const path = (field: string) => new URL(document![field] as string).pathname;
    expect((await request(t.app).get(path('jwks_uri'))).body.keys.length).toBeGreaterThan(0);
    // Client endpoints: they exist and ask for the client's HTTP Basic credentials.
    for (const [method, field] of [
      ['post', 'introspection_endpoint'],
      ['post', 'revocation_endpoint'],
      ['get', 'tessera_revocation_feed_endpoint'],
    ] as const) {
      const res = await request(t.app)[method](path(field)).type('form').send('token=x');
      expect(res.status, field).toBe(401);
      expect(res.headers['www-authenticate'], field).toMatch(/^Basic/);
    }
    expect((await request(t.app).get(path('service_documentation'))).status).toBe(200);
  });
});

describe('discovery documents with JWT_ISSUER set', () => {
  it('keep a URL issuer as set, and name the endpoints under it (where discovery found the document)', async () => {
    const t = await createTestApp({ APP_URL: 'https://shop.example.com', JWT_ISSUER: 'https://id.example.com/tessera/' });
    try {
      const [document] = await documents(t);
      expect(document!.issuer).toBe('https://id.example.com/tessera/');
      expect(document!.jwks_uri).toBe('https://id.example.com/tessera/.well-known/jwks.json');
      expect(payloadOf((await signupAndLogin(t.app)).accessToken).iss).toBe('https://id.example.com/tessera/');
    } finally {
      await t.close();
    }
  });

  it('keep an issuer that is not a URL (an older deployment), with the endpoints under APP_URL', async () => {
    const t = await createTestApp({ APP_URL: APP, JWT_ISSUER: 'tessera' });
    try {
      const [document] = await documents(t);
      expect(document!.issuer).toBe('tessera');
      expect(document!.jwks_uri).toBe(`${APP}/.well-known/jwks.json`);
      expect(payloadOf((await signupAndLogin(t.app)).accessToken).iss).toBe('tessera');
    } finally {
      await t.close();
    }
  });
});
