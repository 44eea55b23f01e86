import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signupAndLogin, type TestApp } from '../helpers/test-app.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';

/** Operations endpoints: health, readiness, metrics, the OpenAPI document and the JWKS. */

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

const CONTRACT_PATHS = [
  '/api/auth/signup',
  '/api/auth/login',
  '/api/auth/refresh',
  '/api/auth/logout',
  '/api/auth/logout-all',
  '/api/auth/me',
  '/api/auth/sessions',
  '/api/auth/sessions/{id}',
  '/api/auth/password',
  '/api/protected',
  '/api/admin',
  '/api/admin/users',
  '/api/admin/users/{id}/roles',
  '/api/admin/users/{id}/disable',
  '/api/admin/users/{id}/enable',
  '/.well-known/jwks.json',
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
];

const CONTRACT_OPERATIONS: [string, string][] = [
  ['post', '/api/auth/signup'],
  ['post', '/api/auth/login'],
  ['post', '/api/auth/refresh'],
  ['post', '/api/auth/logout'],
  ['post', '/api/auth/logout-all'],
  ['get', '/api/auth/me'],
  ['get', '/api/auth/sessions'],
  ['delete', '/api/auth/sessions/{id}'],
  ['post', '/api/auth/password'],
  ['get', '/api/protected'],
  ['get', '/api/admin'],
  ['get', '/api/admin/users'],
  ['put', '/api/admin/users/{id}/roles'],
  ['post', '/api/admin/users/{id}/disable'],
  ['post', '/api/admin/users/{id}/enable'],
  ['get', '/.well-known/jwks.json'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
  ['get', '/openapi.json'],
];

type Json = Record<string, unknown>;

const decodeHeader = (jwt: string): Json => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as Json;

/** Every `$ref` in a document, e.g. "#/components/schemas/User". */
function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else collectRefs(value, out);
    }
  }
  return out;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Json)[part] : undefined), doc);
}

describe('ops endpoints (default asymmetric keys)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /healthz is 200 {status: "ok"}', async () => {
    const res = await request(t.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 while the database answers', async () => {
    const res = await request(t.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('GET /metrics is Prometheus text and counts logins', async () => {
    const session = await signupAndLogin(t.app);
    const failed = await request(t.app).post('/api/auth/login').send({ email: session.email, password: 'wrong password' });
    expect(failed.status).toBe(401);
    const res = await request(t.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^# HELP tessera_logins_total /m);
    expect(res.text).toMatch(/^# TYPE tessera_logins_total counter$/m);
    expect(res.text).toMatch(/^tessera_logins_total\{[^}]*outcome="success"[^}]*\} [1-9]\d*$/m);
    expect(res.text).toMatch(/^tessera_logins_total\{[^}]*outcome="invalid_credentials"[^}]*\} [1-9]\d*$/m);
    // Metrics must not carry emails or secrets as labels.
    expect(res.text).not.toContain(session.email);
    expect(res.text).not.toContain(PASSWORD);
  });

  describe('GET /openapi.json', () => {
    let doc: Json;
    beforeAll(async () => {
      const res = await request(t.app).get('/openapi.json');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      doc = res.body as Json;
    });

    it('is OpenAPI 3.1.x with info', () => {
      expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
      const info = doc.info as Json;
      expect(typeof info.title).toBe('string');
      expect(typeof info.version).toBe('string');
    });

    it.each(CONTRACT_PATHS)('lists %s', (path) => {
      expect(Object.keys(doc.paths as Json)).toContain(path);
    });

    it.each(CONTRACT_OPERATIONS)('documents %s %s with responses', (method, path) => {
      const item = (doc.paths as Json)[path] as Json | undefined;
      expect(item, path).toBeDefined();
      const op = item![method] as Json | undefined;
      expect(op, `${method} ${path}`).toBeDefined();
      expect(Object.keys(op!.responses as Json).length).toBeGreaterThan(0);
    });

    it('has a SignupRequest schema with email and password (from the zod schemas)', () => {
      const schemas = (doc.components as Json).schemas as Json;
      const signup = schemas.SignupRequest as Json;
      expect(signup).toBeDefined();
      const properties = signup.properties as Json;
      expect(properties).toHaveProperty('email');
      expect(properties).toHaveProperty('password');
      expect(signup.required).toEqual(expect.arrayContaining(['email', 'password']));
      expect((properties.password as Json).minLength).toBe(8);
      expect((properties.password as Json).maxLength).toBe(128);
    });

    it('the signup operation uses SignupRequest as its body', () => {
      const op = ((doc.paths as Json)['/api/auth/signup'] as Json).post as Json;
      const body = op.requestBody as Json;
      const schema = ((body.content as Json)['application/json'] as Json).schema as Json;
      expect(schema.$ref).toBe('#/components/schemas/SignupRequest');
    });

    it('every $ref resolves', () => {
      const refs = collectRefs(doc);
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of new Set(refs)) expect(resolvePointer(doc, ref), ref).toBeDefined();
    });

    it('Bearer-protected operations declare a security requirement', () => {
      for (const [method, path] of [
        ['get', '/api/protected'],
        ['get', '/api/auth/me'],
        ['get', '/api/admin/users'],
      ] as const) {
        const op = ((doc.paths as Json)[path] as Json)[method] as Json;
        expect(op.security, `${method} ${path}`).toBeDefined();
      }
    });
  });

  describe('GET /.well-known/jwks.json', () => {
    it('is 200, cacheable, with public signing keys only', async () => {
      const res = await request(t.app).get('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/(jwk-set\+)?json/);
      const cacheControl = res.headers['cache-control'] as string;
      expect(cacheControl).toMatch(/\bpublic\b/);
      expect(cacheControl).toMatch(/\bmax-age=\d+\b/);
      expect(cacheControl).not.toMatch(/no-store|private/);
      const keys = res.body.keys as Json[];
      expect(Array.isArray(keys)).toBe(true);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(typeof key.kty).toBe('string');
        expect(typeof key.kid).toBe('string');
        expect(typeof key.alg).toBe('string');
        expect(key.use).toBe('sig');
        expect(key.kty).not.toBe('oct');
        for (const member of PRIVATE_MEMBERS) expect(key, `${String(key.kid)} exposes ${member}`).not.toHaveProperty(member);
      }
    });

    it('lists the key that signed a fresh access token (header kid and alg)', async () => {
      const session = await signupAndLogin(t.app);
      const header = decodeHeader(session.accessToken);
      const res = await request(t.app).get('/.well-known/jwks.json');
      const match = (res.body.keys as Json[]).find((k) => k.kid === header.kid);
      expect(match).toBeDefined();
      expect(match!.alg).toBe(header.alg);
    });

    it('is not served for other methods', async () => {
      const res = await request(t.app).post('/.well-known/jwks.json').send({});
      expectProblem(res, 405, 'method_not_allowed');
      expect(res.headers.allow).toBe('GET, HEAD');
    });
  });
});

describe.each(['RS256', 'PS256', 'EdDSA'])('JWKS with JWT_ALGORITHM=%s', (alg) => {
  it('publishes only public members with the configured alg', async () => {
    const t = await createTestApp({ JWT_ALGORITHM: alg });
    try {
      const res = await request(t.app).get('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      const keys = res.body.keys as Json[];
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.alg).toBe(alg);
        expect(key.use).toBe('sig');
        expect(typeof key.kid).toBe('string');
        for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
      }
    } finally {
      await t.close();
    }
  });
});

const HMAC_ENVS: { JWT_SECRET: string; JWT_ALGORITHM?: string }[] = [
  { JWT_SECRET: 'x'.repeat(40) },
  { JWT_SECRET: 'y'.repeat(64), JWT_ALGORITHM: 'HS512' },
];

describe('JWKS in HMAC mode', () => {
  it.each(HMAC_ENVS)('keys is [] (%o)', async (env) => {
    const t = await createTestApp(env);
    try {
      const res = await request(t.app).get('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ keys: [] });
      expect(res.text).not.toContain(env.JWT_SECRET);
      expect(res.text).not.toContain(Buffer.from(env.JWT_SECRET).toString('base64url'));
      expect(res.headers['cache-control']).toMatch(/\bpublic\b/);
      expect(res.headers['cache-control']).toMatch(/\bmax-age=\d+/);
    } finally {
      await t.close();
    }
  });
});
