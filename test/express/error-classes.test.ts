import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthUnavailableError,
  authed,
  InsufficientRoleError,
  InsufficientScopeError,
  InvalidTokenError,
  MfaRequiredError,
  MissingTokenError,
  problemHandler,
  requireAmr,
  requireAuth,
  requireRole,
  requireScope,
  TesseraAuthError,
  TokenExpiredError,
} from '../../src/express/index.ts';
import { makeKey, mint, nowSeconds, serveJwks } from './identity-provider.ts';

const key = makeKey('k1', 'RS256');
const ISSUER = 'https://as.example.com/';
const AUDIENCE = 'orders';
const token = (overrides: Record<string, unknown> = {}) =>
  mint(
    key,
    { iss: ISSUER, aud: AUDIENCE, sub: 'u1', jti: 'j1', client_id: 'c', iat: nowSeconds(), exp: nowSeconds() + 300, ...overrides },
    'at+jwt',
  );

let jwks: Awaited<ReturnType<typeof serveJwks>>;
beforeAll(async () => {
  jwks = await serveJwks([key]);
});
afterAll(async () => {
  await jwks.close();
});

/** A service whose own error handler records what reached it, then hands it to problemHandler. */
function service(jwksUrl: string) {
  const seen: unknown[] = [];
  const app = express();
  const auth = requireAuth({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
  app.get('/me', auth, (req, res) => {
    res.json({ sub: req.auth?.sub ?? null });
  });
  app.get('/role', auth, requireRole('admin'), (_req, res) => {
    res.json({});
  });
  app.get('/scope', auth, requireScope('orders:write'), (_req, res) => {
    res.json({});
  });
  app.get('/amr', auth, requireAmr('otp'), (_req, res) => {
    res.json({});
  });
  app.get(
    '/authed',
    auth,
    authed((req, res) => res.json({ sub: req.auth.sub, client: req.auth.client_id })),
  );
  app.get(
    '/unguarded',
    authed((_req, res) => res.json({ reached: true })),
  );
  app.get(
    '/authed-async',
    auth,
    authed(async () => {
      await Promise.resolve();
      throw new Error('the handler failed');
    }),
  );
  const record: ErrorRequestHandler = (error, _req, _res, next) => {
    seen.push(error);
    next(error);
  };
  app.use(record, problemHandler({ logger: { error() {} } }));
  return { app, seen };
}

describe('the errors the library passes on are its exported classes, each with its stable code', () => {
  it('one class per failure; problemHandler renders each with its status and headers', async () => {
    const { app, seen } = service(jwks.jwksUrl);
    const cases = [
      ['/me', undefined, MissingTokenError, 'missing_token', 401],
      ['/me', await token({ aud: 'elsewhere' }), InvalidTokenError, 'invalid_token', 401],
      ['/me', await token({ exp: nowSeconds() - 60 }), TokenExpiredError, 'token_expired', 401],
      ['/role', await token(), InsufficientRoleError, 'insufficient_role', 403],
      ['/scope', await token({ scope: 'orders:read' }), InsufficientScopeError, 'insufficient_scope', 403],
      ['/amr', await token({ amr: ['pwd'] }), MfaRequiredError, 'mfa_required', 403],
    ] as const;
    for (const [path, bearer, Class, code, status] of cases) {
      seen.length = 0;
      const req = request(app).get(path);
      const res = await (bearer ? req.set('Authorization', `Bearer ${bearer}`) : req);
      expect(res.status, code).toBe(status);
      expect(res.body.code, code).toBe(code);
      expect(seen, code).toHaveLength(1);
      const error = seen[0] as TesseraAuthError;
      expect(error, code).toBeInstanceOf(Class);
      expect(error, code).toBeInstanceOf(TesseraAuthError);
      expect(error.code, code).toBe(code);
      expect(Class.code, code).toBe(code);
      expect(error.status, code).toBe(status);
      expect(error.name, code).toBe(Class.name);
      if (status === 401) expect(res.headers['www-authenticate'], code).toMatch(/^Bearer realm="tessera"/);
    }
  });

  it('an unreachable JWKS is AuthUnavailableError (503)', async () => {
    const { app, seen } = service('http://127.0.0.1:9/jwks');
    const res = await request(app)
      .get('/me')
      .set('Authorization', `Bearer ${await token()}`);
    expect(res.status).toBe(503);
    expect(seen[0]).toBeInstanceOf(AuthUnavailableError);
    expect((seen[0] as AuthUnavailableError).code).toBe('unavailable');
  });
});

describe('authed(handler)', () => {
  it('runs the handler with the claims behind requireAuth; refuses (401) where requireAuth did not run', async () => {
    const { app, seen } = service(jwks.jwksUrl);
    const ok = await request(app)
      .get('/authed')
      .set('Authorization', `Bearer ${await token()}`);
    expect(ok.body).toEqual({ sub: 'u1', client: 'c' });

    const unguarded = await request(app).get('/unguarded');
    expect(unguarded.status).toBe(401);
    expect(unguarded.body.code).toBe('missing_token');
    expect(seen[0]).toBeInstanceOf(MissingTokenError);
  });

  it("hands a rejected promise of the handler on to Express's error handlers", async () => {
    const { app, seen } = service(jwks.jwksUrl);
    const res = await request(app)
      .get('/authed-async')
      .set('Authorization', `Bearer ${await token()}`);
    expect(res.status).toBe(500);
    expect((seen[0] as Error).message).toBe('the handler failed');
  });
});
