import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from '../helpers/auth-assertions.ts';
import { expectProblem } from '../helpers/problem-assertions.ts';
import { servicesFor } from '../helpers/services.ts';
import { latestMail, linkIn, recipients, startSmtpServer, tokenOf } from '../helpers/smtp.ts';
import { createTestApp, loginAsAdmin, PASSWORD, signupAndLogin, uniqueEmail, type TestApp } from '../helpers/test-app.ts';
import { bearer, codeAt, currentCode, enrolledUser, passwordStep, setup, STEP_MS } from '../mfa/mfa-helpers.ts';

// Issue 25 (second red-team run), findings 1-3, and the contract's "Recent authentication and
// account safety (v3)": each test is a way the account could be taken, driven from outside.

const NEW_PASSWORD = 'a brand new passphrase for it';

describe('account safety (v3) over a real SMTP server', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({ SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const mailTo = (to: string, subject: RegExp) => latestMail(smtp, t.runtime.mail, to, subject);
  const mailsTo = async (to: string, subject: RegExp) => {
    await t.runtime.mail.idle();
    return smtp.mails.filter((m) => recipients(m).includes(to) && subject.test(m.subject ?? ''));
  };

  /** The attacker, holding the password and a token, asks to move the account to their mailbox: the link they get. */
  async function attackerAsksChange(accessToken: string): Promise<{ attackerEmail: string; token: string }> {
    const attackerEmail = uniqueEmail('attacker');
    await request(t.app)
      .post('/api/auth/email/change')
      .set(bearer(accessToken))
      .send({ newEmail: attackerEmail, currentPassword: PASSWORD })
      .expect(202);
    return { attackerEmail, token: tokenOf(linkIn(await mailTo(attackerEmail, /Confirm your new email/))) };
  }

  const confirmChange = (token: string) => request(t.app).post('/api/auth/email/change/confirm').send({ token });

  /** The owner recovers with a reset link from their own mailbox. */
  async function ownerResets(email: string): Promise<void> {
    await request(t.app).post('/api/auth/password/forgot').send({ email }).expect(202);
    const token = tokenOf(linkIn(await mailTo(email, /Reset your password/)));
    await request(t.app).post('/api/auth/password/reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);
  }

  describe('finding 1: a pending email change does not survive the owner’s recovery', () => {
    const recoveries: [string, (owner: Awaited<ReturnType<typeof signupAndLogin>>) => Promise<void>][] = [
      [
        'logout-all',
        async (owner) => {
          await request(t.app).post('/api/auth/logout-all').set(bearer(owner.accessToken)).expect(204);
        },
      ],
      ['a password reset', (owner) => ownerResets(owner.email)],
      [
        'a password change',
        async (owner) => {
          await request(t.app)
            .post('/api/auth/password')
            .set(bearer(owner.accessToken))
            .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
            .expect(204);
        },
      ],
      [
        'an admin disable (and enable)',
        async (owner) => {
          const admin = await loginAsAdmin(t);
          await request(t.app).post(`/api/admin/users/${owner.userId}/disable`).set(bearer(admin.accessToken)).expect(204);
          await request(t.app).post(`/api/admin/users/${owner.userId}/enable`).set(bearer(admin.accessToken)).expect(204);
        },
      ],
      [
        'an admin MFA reset',
        async (owner) => {
          const admin = await loginAsAdmin(t);
          await request(t.app).post(`/api/admin/users/${owner.userId}/mfa/reset`).set(bearer(admin.accessToken)).expect(204);
        },
      ],
    ];

    for (const [name, recover] of recoveries) {
      it(`${name} retires the attacker's change link: it no longer confirms, and the account keeps its address`, async () => {
        const owner = await signupAndLogin(t.app);
        const { attackerEmail, token } = await attackerAsksChange(owner.accessToken);
        await recover(owner);
        expectProblem(await confirmChange(token), 400, 'invalid_link');
        // The attacker's mailbox cannot take the account either way.
        await request(t.app).post('/api/auth/password/forgot').send({ email: attackerEmail }).expect(202);
        expect(await mailsTo(attackerEmail, /Reset your password/)).toEqual([]);
        const me = await request(t.app)
          .post('/api/auth/login')
          .send({ email: owner.email, password: name.startsWith('a password') ? NEW_PASSWORD : PASSWORD });
        expect(me.status).toBe(200);
        expect(me.body.user.email).toBe(owner.email);
      });
    }

    it('a change confirms only with the password it was asked under (a stamp, not only the retirement)', async () => {
      // The hash changes behind the link's back (an operator's password import, say): no session
      // end retires the link, the stamp alone refuses it.
      const owner = await signupAndLogin(t.app);
      const { token } = await attackerAsksChange(owner.accessToken);
      await t.runtime.database.db.updateTable('users').set({ passwordHash: 'x' }).where('id', '=', owner.userId).execute();
      expectProblem(await confirmChange(token), 400, 'invalid_link');
    });

    it('a password change that commits between the proof and the link (mailed after the answer) still kills it', async () => {
      const owner = await signupAndLogin(t.app);
      const services = servicesFor(t, { mail: t.runtime.mail });
      const attackerEmail = uniqueEmail('attacker');
      // The route's two steps, apart: the proof, then (after the 202) the link.
      const proven = await services.recentAuth.confirm({ userId: owner.userId }, PASSWORD, { ip: null, userAgent: null });
      await request(t.app)
        .post('/api/auth/password')
        .set(bearer(owner.accessToken))
        .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
        .expect(204);
      await services.accountEmail.requestChange(proven, attackerEmail);
      const token = tokenOf(linkIn(await mailTo(attackerEmail, /Confirm your new email/)));
      expectProblem(await confirmChange(token), 400, 'invalid_link');
    });

    it('a change does not confirm while the account is disabled', async () => {
      const owner = await signupAndLogin(t.app);
      const { token } = await attackerAsksChange(owner.accessToken);
      // Disabled directly (as a suspended account would be), so only the enabled check stands between.
      await t.runtime.database.db.updateTable('users').set({ disabled: 1 }).where('id', '=', owner.userId).execute();
      expectProblem(await confirmChange(token), 400, 'invalid_link');
    });

    it('every request is a notice to the old address: a decoy does not hide the real one; completion is a notice too', async () => {
      const owner = await signupAndLogin(t.app);
      const decoy = uniqueEmail('decoy');
      await request(t.app)
        .post('/api/auth/email/change')
        .set(bearer(owner.accessToken))
        .send({ newEmail: decoy, currentPassword: PASSWORD })
        .expect(202);
      const { attackerEmail, token } = await attackerAsksChange(owner.accessToken);
      const notices = await mailsTo(owner.email, /being changed/);
      expect(notices.map((m) => (m.text ?? '').includes(attackerEmail))).toEqual([false, true]);
      expect(notices[0]?.text).toContain(decoy);

      await confirmChange(token).expect(200);
      const done = await mailTo(owner.email, /was changed/);
      expect(done.text).toContain(attackerEmail);
      expect(done.text).not.toMatch(/token=/);
    });
  });

  it('finding 2: the old address gets the same notice whether the new address is free or taken', async () => {
    const other = await signupAndLogin(t.app);
    const user = await signupAndLogin(t.app);
    const free = uniqueEmail('free');
    for (const newEmail of [free, other.email]) {
      await request(t.app)
        .post('/api/auth/email/change')
        .set(bearer(user.accessToken))
        .send({ newEmail, currentPassword: PASSWORD })
        .expect(202);
    }
    const [forFree, forTaken] = await mailsTo(user.email, /being changed/);
    expect(forFree?.subject).toBe(forTaken?.subject);
    expect(forTaken?.text).toBe(forFree?.text?.replace(free, other.email));
  });

  describe('finding 3: MFA enrolment needs recent authentication', () => {
    it('a stolen access token alone cannot set up, confirm or regenerate: 401 reauth_required; a wrong password is 401 invalid_credentials', async () => {
      const victim = await signupAndLogin(t.app);
      const noProof = await setup(t.app, victim.accessToken, {});
      expectProblem(noProof, 401, 'reauth_required');
      // RFC 9470's step-up challenge: a client must not refresh and retry, but ask the user.
      expect(noProof.headers['www-authenticate']).toMatch(/^Bearer realm="tessera", error="insufficient_user_authentication"/);
      expectProblem(await setup(t.app, victim.accessToken, { currentPassword: 'not the password' }), 401, 'invalid_credentials');

      const pending = await setup(t.app, victim.accessToken).expect(200);
      const code = currentCode(pending.body.secret as string, t.clock);
      const confirm = (body: object) => request(t.app).post('/api/auth/mfa/totp/confirm').set(bearer(victim.accessToken)).send(body);
      expectProblem(await confirm({ code }), 401, 'reauth_required');
      expectProblem(await confirm({ code, currentPassword: 'not the password' }), 401, 'invalid_credentials');
      expect((await request(t.app).get('/api/auth/me').set(bearer(victim.accessToken))).body.user.mfaEnabled).toBe(false);
    });

    it('new recovery codes need the password too, and turning MFA on or off is a notice to the account', async () => {
      const user = await enrolledUser(t);
      const on = await mailTo(user.email, /turned on/);
      expect(on.text).not.toMatch(/token=/);
      const recovery = (body: object) => request(t.app).post('/api/auth/mfa/recovery-codes').set(bearer(user.accessToken)).send(body);
      expectProblem(await recovery({ code: currentCode(user.secret, t.clock) }), 401, 'reauth_required');
      await recovery({ code: currentCode(user.secret, t.clock), currentPassword: PASSWORD }).expect(200);
      t.clock.advance(STEP_MS);
      await request(t.app)
        .delete('/api/auth/mfa/totp')
        .set(bearer(user.accessToken))
        .send({ code: currentCode(user.secret, t.clock) })
        .expect(204);
      await mailTo(user.email, /turned off/);
    });

    it('an attacker who signed up with the victim’s address and enrolled MFA loses it when the victim resets the password', async () => {
      const victimEmail = uniqueEmail('victim');
      const attacker = await enrolledUser(t, t.app, victimEmail);
      expect(attacker.email).toBe(victimEmail);
      await passwordStep(t.app, victimEmail); // MFA is on: the attacker's password alone gets a challenge

      await ownerResets(victimEmail);
      const login = await request(t.app).post('/api/auth/login').send({ email: victimEmail, password: NEW_PASSWORD });
      expect(login.status).toBe(200);
      expect(login.body.mfaRequired).toBeUndefined();
      expect(login.body.user).toMatchObject({ mfaEnabled: false, emailVerified: true });
      const notice = await mailTo(victimEmail, /two-factor authentication removed/);
      expect(notice.text).toMatch(/never been confirmed/);
      // The audit trail counts the attacker's sessions the reset ended (the factor removal ended them).
      const reset = await t.runtime.database.db
        .selectFrom('auditEvents')
        .select('details')
        .where('type', '=', 'password.reset')
        .where('userId', '=', attacker.userId)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(reset.details ?? '{}')).toMatchObject({ sessionsEnded: 1, secondFactorsRemoved: true });
      // The attacker's authenticator finishes no login any more.
      expectProblem(
        await request(t.app).post('/api/auth/login').send({ email: victimEmail, password: PASSWORD }),
        401,
        'invalid_credentials',
      );
    });

    it('a verified account keeps its MFA across a password reset (the mailbox was already proven)', async () => {
      const user = await enrolledUser(t);
      await request(t.app).post('/api/auth/email/verify/request').send({ email: user.email }).expect(202);
      const verify = tokenOf(linkIn(await mailTo(user.email, /Confirm your email/)));
      await request(t.app).post('/api/auth/email/verify').send({ token: verify }).expect(200);
      await ownerResets(user.email);
      const login = await request(t.app).post('/api/auth/login').send({ email: user.email, password: NEW_PASSWORD });
      expect(login.body.mfaRequired).toBe(true);
      expect((await mailTo(user.email, /password was reset/)).subject).toBe('Your password was reset');
    });
  });

  describe('auth_time', () => {
    it('is the login’s time, and a refresh keeps it', async () => {
      const user = await signupAndLogin(t.app);
      const loginTime = decodeJwt(user.accessToken).payload.auth_time as number;
      expect(loginTime).toBe(Math.floor(t.clock.now() / 1000));
      t.clock.advance(10 * 60_000);
      const refreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
      const payload = decodeJwt(refreshed.body.accessToken as string).payload;
      expect(payload.auth_time).toBe(loginTime);
      expect(payload.iat).toBe(loginTime + 600);
    });

    it('is the second factor’s time for an MFA login', async () => {
      const user = await enrolledUser(t);
      const mfaToken = await passwordStep(t.app, user.email);
      t.clock.advance(2 * STEP_MS);
      const done = await request(t.app)
        .post('/api/auth/mfa/verify')
        .send({ mfaToken, code: codeAt(user.secret, t.clock.now()) })
        .expect(200);
      expect(decodeJwt(done.body.accessToken as string).payload.auth_time).toBe(Math.floor(t.clock.now() / 1000));
    });
  });

  it('an account without a password steps up with a recent sign-in: auth_time within REAUTH_WINDOW (5 min)', async () => {
    // Such accounts come from other ways to sign in (providers, passkeys): made here as they will
    // be stored, with a session and a token issued the way login issues them.
    const email = uniqueEmail('passwordless');
    const { userId } = await signupAndLogin(t.app, email);
    await t.runtime.database.db.updateTable('users').set({ passwordHash: '' }).where('id', '=', userId).execute();
    const user = (await servicesFor(t).userRepository.findById(userId))!;
    const fresh = await servicesFor(t).sessions.start(user, { ip: null, userAgent: null }, ['fed']);
    await setup(t.app, fresh.accessToken, {}).expect(200);
    t.clock.advance(5 * 60_000 + 1_000);
    const refreshed = await request(t.app).post('/api/auth/refresh').send({ refreshToken: fresh.refreshToken }).expect(200);
    expectProblem(await setup(t.app, refreshed.body.accessToken as string, {}), 401, 'reauth_required');
    // A password sent for an account that has none proves nothing.
    expectProblem(await setup(t.app, refreshed.body.accessToken as string, { currentPassword: PASSWORD }), 401, 'reauth_required');
  });
});

describe('MFA enrolment with REQUIRE_EMAIL_VERIFICATION', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REQUIRE_EMAIL_VERIFICATION: 'true' });
  });
  afterAll(() => t.close());

  it('needs a verified address: 403 email_unverified', async () => {
    // A session from before the address became unverified (an operator's change, or a session
    // that outlived turning the setting on): the token is valid, the address is not.
    const email = uniqueEmail('unverified');
    await request(t.app).post('/api/auth/signup').send({ email, password: PASSWORD }).expect(202);
    const user = (await servicesFor(t).userRepository.findByEmail(email))!;
    const session = await servicesFor(t).sessions.start(user, { ip: null, userAgent: null });
    expectProblem(await setup(t.app, session.accessToken), 403, 'email_unverified');
    await servicesFor(t).accountEmail.markVerified(user);
    await setup(t.app, session.accessToken).expect(200);
  });
});
