import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, expectBearerError, withBadSignature } from '../helpers/auth-assertions.ts';
import { decodeHeader, decodePayload, signEs256, signHmac } from '../helpers/jwt-forge.ts';
import { expectProblem, expectValidationFailed } from '../helpers/problem-assertions.ts';
import { createServiceClient, createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

const FORM = 'application/x-www-form-urlencoded';

describe('service clients, /oauth/introspect (RFC 7662) and /oauth/revoke (RFC 7009)', () => {
  let t: TestApp;
  let client: Awaited<ReturnType<typeof createServiceClient>>;
  beforeEach(async () => {
    t = await createTestApp();
    client = await createServiceClient(t);
  });
  afterEach(() => t.close());

  const introspect = (token: string, auth = client.basic) =>
    request(t.app).post('/oauth/introspect').set('Authorization', auth).type('form').send({ token });
  const revoke = (token: string, auth = client.basic) =>
    request(t.app).post('/oauth/revoke').set('Authorization', auth).type('form').send({ token });

  it('introspects a live access token: active, with exactly the contract’s claims, never cached', async () => {
    const user = await signupAndLogin(t.app);
    const res = await introspect(user.accessToken).expect(200);
    const claims = decodePayload(user.accessToken);
    expect(res.body).toEqual({
      active: true,
      token_type: 'access_token',
      sub: user.userId,
      sid: claims.sid,
      jti: claims.jti,
      roles: ['user'],
      iss: claims.iss,
      aud: claims.aud,
      iat: claims.iat,
      exp: claims.exp,
      amr: ['pwd'],
    });
    expect(res.headers['cache-control']).toBe('no-store');
    // A token_type_hint is accepted (and, as RFC 7662 §2.1 allows, not needed).
    const hinted = await request(t.app)
      .post('/oauth/introspect')
      .set('Authorization', client.basic)
      .type('form')
      .send({ token: user.accessToken, token_type_hint: 'access_token' })
      .expect(200);
    expect(hinted.body.active).toBe(true);
  });

  it('answers active: false for revoked, expired, refresh, foreign, forged and garbage tokens', async () => {
    const user = await signupAndLogin(t.app);
    const other = await signupAndLogin(t.app);
    const header = decodeHeader(user.accessToken);
    const payload = decodePayload(user.accessToken);
    const foreignKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const inactive = [
      user.refreshToken,
      signEs256(header, payload, foreignKey), // our kid, someone else's key
      signHmac({ ...header, alg: 'HS256' }, payload, 'guess'), // algorithm confusion
      withBadSignature(user.accessToken),
      'not-a-jwt',
      'a.b.c',
    ];
    for (const token of inactive) {
      const res = await introspect(token).expect(200);
      expect(res.body, token.slice(0, 40)).toEqual({ active: false });
    }

    await request(t.app).post('/api/auth/logout').send({ refreshToken: other.refreshToken }).expect(204);
    expect((await introspect(other.accessToken).expect(200)).body).toEqual({ active: false });

    t.clock.advance(16 * 60 * 1000);
    expect((await introspect(user.accessToken).expect(200)).body).toEqual({ active: false });
  });

  it('revoking a refresh token ends its session: its refresh and access tokens stop working', async () => {
    const user = await signupAndLogin(t.app);
    await revoke(user.refreshToken).expect(200);
    expect((await introspect(user.accessToken)).body).toEqual({ active: false });
    const protectedRes = await request(t.app).get('/api/protected').set('Authorization', bearer(user.accessToken));
    expectBearerError(protectedRes, 'token_revoked');
    const refreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(refreshed.status).toBe(401);
  });

  it('revoking an access token revokes that token only: the session refreshes on', async () => {
    const user = await signupAndLogin(t.app);
    const res = await revoke(user.accessToken).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expectBearerError(await request(t.app).get('/api/protected').set('Authorization', bearer(user.accessToken)), 'token_revoked');
    const refreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
    await request(t.app)
      .get('/api/protected')
      .set('Authorization', bearer(refreshed.body.accessToken as string))
      .expect(200);
  });

  it('answers 200 to any token it cannot use (RFC 7009 §2.2), and changes nothing', async () => {
    const user = await signupAndLogin(t.app);
    for (const token of ['garbage', 'a.b.c', `${user.refreshToken}x`, withBadSignature(user.accessToken)]) {
      await revoke(token).expect(200);
    }
    await request(t.app).get('/api/protected').set('Authorization', bearer(user.accessToken)).expect(200);
    await request(t.app).post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
  });

  it('refuses missing, malformed and wrong client credentials with 401 invalid_client and a Basic challenge', async () => {
    const user = await signupAndLogin(t.app);
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const bad: (string | undefined)[] = [
      undefined,
      '',
      'Basic',
      'Basic !!!',
      basic(client.id, `${client.secret}x`),
      basic(client.id, ''),
      basic('', client.secret),
      basic('svc_nobody', client.secret),
      `Basic ${Buffer.from(client.id).toString('base64')}`, // no colon
      bearer(user.accessToken), // a user's token is not a client
      `Basic ${'A'.repeat(4000)}`,
    ];
    for (const path of ['/oauth/introspect', '/oauth/revoke']) {
      for (const auth of bad) {
        const req = request(t.app).post(path).type('form');
        if (auth !== undefined) req.set('Authorization', auth);
        const res = await req.send({ token: user.accessToken });
        expectProblem(res, 401, 'invalid_client');
        expect(res.headers['www-authenticate']).toBe('Basic realm="tessera"');
      }
    }
    // Nothing was revoked by the refused calls.
    await request(t.app).get('/api/protected').set('Authorization', bearer(user.accessToken)).expect(200);
  });

  it('takes form-encoded credentials (RFC 6749 §2.3.1) and refuses a deleted client at once', async () => {
    const user = await signupAndLogin(t.app);
    const encodedId = client.id.replace('_', '%5F');
    const res = await introspect(user.accessToken, `Basic ${Buffer.from(`${encodedId}:${client.secret}`).toString('base64')}`);
    expect(res.body.active).toBe(true);
    expect(await client.service.delete(client.id, { actorId: null, via: 'cli' })).toBe(true);
    expectProblem(await introspect(user.accessToken), 401, 'invalid_client');
  });

  it('takes only form bodies there: JSON, text and missing bodies are refused, fields are checked', async () => {
    const user = await signupAndLogin(t.app);
    for (const path of ['/oauth/introspect', '/oauth/revoke']) {
      const post = () => request(t.app).post(path).set('Authorization', client.basic);
      expectProblem(await post().send({ token: user.accessToken }), 415, 'unsupported_media_type');
      expectProblem(await post().set('Content-Type', 'text/plain').send(`token=${user.accessToken}`), 415, 'unsupported_media_type');
      expectProblem(await post().send(), 415, 'unsupported_media_type');
      expectValidationFailed(await post().type('form').send(''), ['token']);
      expectValidationFailed(await post().type('form').send('token='), ['token']);
      expectValidationFailed(await post().type('form').send(`token=${user.accessToken}&token=other`), ['token']);
      expectValidationFailed(
        await post()
          .type('form')
          .send(`token=${'a'.repeat(8193)}`),
        ['token'],
      );
      expectValidationFailed(await post().type('form').send('token=a%00b'), ['token']);
      // Bad percent-encoding is taken literally (as browsers do): a string that is no token.
      if (path === '/oauth/introspect')
        expect((await post().type('form').send('token=%E0%A4%A').expect(200)).body).toEqual({ active: false });
      expectProblem(
        await post()
          .type('form')
          .send(`token=${'a'.repeat(17 * 1024)}`),
        413,
        'payload_too_large',
      );
      expectProblem(
        await post()
          .type('form')
          .send(Array.from({ length: 40 }, (_, i) => `f${i}=1`).join('&')),
        413,
        'payload_too_large',
      );
      expectProblem(await post().set('Content-Type', `${FORM}; charset=latin1`).send('token=x'), 415, 'unsupported_media_type');
    }
    // Every other route stays JSON-only: a form to login is 415.
    expectProblem(
      await request(t.app).post('/api/auth/login').type('form').send({ email: 'a@b.c', password: 'x' }),
      415,
      'unsupported_media_type',
    );
  });

  it('is listed in the OpenAPI document with form bodies and the Basic scheme', async () => {
    const doc = (await request(t.app).get('/openapi.json').expect(200)).body as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, unknown> }; security: unknown[]; responses: Record<string, unknown> }>
      >;
      components: { securitySchemes: Record<string, unknown> };
    };
    for (const path of ['/oauth/introspect', '/oauth/revoke']) {
      const op = doc.paths[path]?.post;
      expect(Object.keys(op?.requestBody?.content ?? {})).toEqual([FORM]);
      expect(op?.security).toEqual([{ clientBasic: [] }]);
      expect(op?.responses).toHaveProperty('401');
    }
    expect(doc.components.securitySchemes.clientBasic).toMatchObject({ type: 'http', scheme: 'basic' });
  });
});
