import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTesseraClient, TesseraError } from '../../src/client/index.ts';
import { listen } from '../helpers/listen.ts';
import { PASSWORD, createTestApp, type TestApp } from '../helpers/test-app.ts';
import { currentCode, enrolledUser } from './mfa-helpers.ts';

describe('tessera-auth/client with an MFA account', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  beforeEach(async () => {
    t = await createTestApp();
    server = await listen(t.app);
  });
  afterEach(async () => {
    await server.close();
    await t.close();
  });

  it('login() hands back the challenge and starts nothing; verifyMfa() finishes the login', async () => {
    const user = await enrolledUser(t);
    const client = createTesseraClient({ baseUrl: server.url });
    const first = await client.login(user.email, PASSWORD);
    expect(first).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery_code'] });
    expect(client.accessToken).toBeUndefined();

    const wrong = await client.verifyMfa(first.mfaToken!, 'ZZZZZ-ZZZZZ').catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(TesseraError);
    expect((wrong as TesseraError).code).toBe('invalid_mfa_code');

    const tokens = await client.verifyMfa(first.mfaToken!, currentCode(user.secret, t.clock));
    expect(client.accessToken).toBe(tokens.accessToken);
    const me = await client.fetch('/api/auth/me');
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { mfaEnabled: boolean } }).user.mfaEnabled).toBe(true);
    // Refreshes keep the second factor.
    t.clock.advance(16 * 60_000);
    expect((await client.fetch('/api/protected')).status).toBe(200);
    const amr = JSON.parse(Buffer.from(client.accessToken!.split('.')[1]!, 'base64url').toString()) as { amr: string[] };
    expect(amr.amr).toEqual(['pwd', 'otp']);
  });
});
