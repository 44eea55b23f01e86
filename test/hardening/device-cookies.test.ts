import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { cookieLine, cookieValue, setCookies } from '../helpers/cookies.ts';
import { withBadSignature } from '../helpers/auth-assertions.ts';
import { createTestApp, PASSWORD, uniqueEmail, type TestApp } from '../helpers/test-app.ts';

/**
 * OWASP device cookies: an attacker who keeps an account locked with wrong passwords from
 * elsewhere does not lock out the owner's browser, which has logged in before.
 */
describe('device cookies against lock-out abuse', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const login = (email: string, password: string, device?: string) => {
    const req = request(t!.app).post('/api/auth/login');
    if (device) req.set('Cookie', `device=${device}`);
    return req.send({ email, password });
  };

  /** Signs up and logs in once from "the owner's browser"; returns its device cookie. */
  async function ownerWithDevice() {
    const email = uniqueEmail('owner');
    await request(t!.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
    const first = await login(email, PASSWORD);
    expect(first.status).toBe(200);
    const device = cookieValue(setCookies(first), 'device');
    expect(device).toBeDefined();
    return { email, device: device! };
  }

  it('a successful login sets a signed HttpOnly device cookie for /api/auth that logout leaves alone', async () => {
    t = await createTestApp();
    const email = uniqueEmail();
    await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
    const res = await login(email, PASSWORD);
    const line = cookieLine(setCookies(res), 'device');
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/Path=\/api\/auth/);
    expect(line).toMatch(/SameSite=Strict/i);
    expect(line).toMatch(/Max-Age=31536000/);
    const logout = await request(t.app).post('/api/auth/logout').send({ refreshToken: res.body.refreshToken });
    expect(cookieLine(setCookies(logout), 'device')).toBeUndefined();
    // A failed login sets none.
    expect(cookieLine(setCookies(await login(email, 'wrong password here')), 'device')).toBeUndefined();
  });

  it("failures from elsewhere lock the account, but not the owner's browser with its device cookie", async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '5' });
    const owner = await ownerWithDevice();
    for (let i = 0; i < 12; i += 1) await login(owner.email, `attacker guess ${i}`);
    const locked = await login(owner.email, PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('rate_limited');

    const fromOwner = await login(owner.email, PASSWORD, owner.device);
    expect(fromOwner.status).toBe(200);
    // Still locked for everyone else: the owner's success does not reset the attacker's lock.
    expect((await login(owner.email, PASSWORD)).status).toBe(429);
  });

  it('failures made with a device cookie count against that device only', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '5' });
    const owner = await ownerWithDevice();
    const results = [];
    for (let i = 0; i < 7; i += 1) results.push((await login(owner.email, `typo ${i}`, owner.device)).status);
    expect(results.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(results.slice(5)).toEqual([429, 429]);
    expect((await login(owner.email, PASSWORD, owner.device)).status).toBe(429);
    // The account itself is not locked: another browser (no device cookie) gets in.
    expect((await login(owner.email, PASSWORD)).status).toBe(200);
  });

  it('a forged, altered or other-account device cookie counts against the account, like none', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '5' });
    const owner = await ownerWithDevice();
    const other = await ownerWithDevice();
    const [nonce, issuedAt, mac] = owner.device.split('.');
    const forged = [
      other.device, // a real device cookie, for another account
      withBadSignature(owner.device), // its MAC altered
      `${nonce}x.${issuedAt}.${mac}`,
      `${nonce}.${Number(issuedAt) + 1}.${mac}`,
      'garbage',
      'a.b.c.d',
      'x'.repeat(300),
    ];
    for (const [i, cookie] of forged.entries()) await login(owner.email, `attacker guess ${i}`, cookie);
    // 7 failures against the account: it is locked for anyone without the real device cookie.
    expect((await login(owner.email, PASSWORD, other.device)).status).toBe(429);
    expect((await login(owner.email, PASSWORD)).status).toBe(429);
    expect((await login(owner.email, PASSWORD, owner.device)).status).toBe(200);
  });

  it('a password change retires every device cookie: old ones count against the account again', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '3' });
    const owner = await ownerWithDevice();
    // Someone who knew the password collects a device cookie too, then the owner changes it.
    const thief = cookieValue(setCookies(await login(owner.email, PASSWORD)), 'device');
    const session = await login(owner.email, PASSWORD, owner.device);
    const newPassword = 'a different long passphrase';
    await request(t.app)
      .post('/api/auth/password')
      .set('Authorization', `Bearer ${session.body.accessToken}`)
      .send({ currentPassword: PASSWORD, newPassword })
      .expect(204);
    // The thief's cookie gives no budget of its own any more: its guesses lock the account.
    for (let i = 0; i < 4; i += 1) await login(owner.email, `guess ${i}`, thief);
    expect((await login(owner.email, newPassword)).status).toBe(429);
    expect((await login(owner.email, newPassword, thief)).status).toBe(429);
  });

  it('a device cookie stops counting after a year', async () => {
    t = await createTestApp({ RATE_LIMIT_ACCOUNT_MAX: '2' });
    const owner = await ownerWithDevice();
    t.clock.advance(366 * 86_400_000);
    for (let i = 0; i < 3; i += 1) await login(owner.email, `attacker guess ${i}`);
    expect((await login(owner.email, PASSWORD, owner.device)).status).toBe(429);
  });

  it('with REFRESH_TOKEN_TRANSPORT=body no cookie is set, the device cookie included', async () => {
    t = await createTestApp({ REFRESH_TOKEN_TRANSPORT: 'body' });
    const email = uniqueEmail();
    await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(201);
    expect(setCookies(await login(email, PASSWORD))).toEqual([]);
  });
});
