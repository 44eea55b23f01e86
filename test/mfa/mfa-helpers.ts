import type { Express } from 'express';
import { Secret, TOTP } from 'otpauth';
import request from 'supertest';
import { expect } from 'vitest';
import type { FakeClock } from '../helpers/clock.ts';
import { PASSWORD, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

/** Half a minute: one RFC 6238 time step. */
export const STEP_MS = 30_000;

/** The 6-digit code an authenticator app shows for `secret` at `ms` (computed here, independently of the server). */
export const codeAt = (secret: string, ms: number): string =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: ms });

/** A 6-digit code valid for none of the steps the server accepts at `ms` (the step and one either side). */
export function wrongCode(secret: string, ms: number): string {
  const valid = new Set([-STEP_MS, 0, STEP_MS].map((offset) => codeAt(secret, ms + offset)));
  let n = 0;
  while (valid.has(String(n).padStart(6, '0'))) n++;
  return String(n).padStart(6, '0');
}

/** The code for the app's (fake) clock now. */
export const currentCode = (secret: string, clock: FakeClock): string => codeAt(secret, clock.now());

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** POST /api/auth/mfa/totp/setup, with the current password (recent authentication) unless told otherwise. */
export const setup = (app: Express, accessToken: string, body: { currentPassword?: string } = { currentPassword: PASSWORD }) =>
  request(app).post('/api/auth/mfa/totp/setup').set(bearer(accessToken)).send(body);

/** A user with MFA on: signs up, logs in, sets up and confirms; the clock moves one step on, so the next code is fresh. */
export async function enrolledUser(t: TestApp, app: Express = t.app, email?: string) {
  const session = await signupAndLogin(app, email);
  const pending = await setup(app, session.accessToken);
  expect(pending.status, JSON.stringify(pending.body)).toBe(200);
  const secret = pending.body.secret as string;
  const confirmed = await request(app)
    .post('/api/auth/mfa/totp/confirm')
    .set(bearer(session.accessToken))
    .send({ code: currentCode(secret, t.clock), currentPassword: PASSWORD });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  t.clock.advance(STEP_MS);
  return { ...session, secret, recoveryCodes: confirmed.body.recoveryCodes as string[] };
}

/** The first step of a login with MFA: 200 and the challenge. */
export async function passwordStep(app: Express, email: string, password = PASSWORD): Promise<string> {
  const res = await request(app).post('/api/auth/login').send({ email, password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.mfaRequired).toBe(true);
  return res.body.mfaToken as string;
}

export const verify = (app: Express, mfaToken: string, code: string) => request(app).post('/api/auth/mfa/verify').send({ mfaToken, code });

/** Both steps; returns the verify response (expected 200). */
export async function mfaLogin(app: Express, email: string, code: string) {
  const res = await verify(app, await passwordStep(app, email), code);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
}
