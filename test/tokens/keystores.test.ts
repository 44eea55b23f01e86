import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRemoteKeystore } from '../../src/express/remote-keystore.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { createAccessTokens } from '../../src/tokens/access-token.ts';
import { createAccessTokenVerifier } from '../../src/tokens/access-token-verifier.ts';
import { createDbKeystore } from '../../src/tokens/db-keystore.ts';
import { createHmacKeystore } from '../../src/tokens/hmac-keystore.ts';
import type { Keystore, VerificationKeys } from '../../src/tokens/keystore.ts';
import { TokenError } from '../../src/tokens/token-error.ts';
import { fakeClock } from '../helpers/clock.ts';
import { listen } from '../helpers/listen.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ISSUER = 'tessera';
const AUDIENCE = 'tessera-api';
const SECOND = 1000;
/** The db keystore's default cooldown between unknown-kid reloads. */
const DB_COOLDOWN_MS = 1000;
/** Short enough for a real wait in the remote keystore's tests. */
const REMOTE_COOLDOWN_MS = 300;
const PUBLISH_DELAY_MS = 31 * SECOND;
const RETIRE_AFTER_MS = 15 * 60 * SECOND;

/** One VerificationKeys implementation, with the keystore that signs the tokens it must verify. */
interface Subject {
  keys: VerificationKeys;
  /** The auth server side: signs tokens, and (unless HMAC) rotates keys the subject has not loaded yet. */
  source: Keystore;
  clock: Clock;
  /** Whether the subject re-reads keys at all (HMAC: the key is fixed by configuration). */
  reloads: boolean;
  /** Lets the unknown-kid reload cooldown pass. */
  passCooldown(): Promise<void>;
  close(): Promise<void>;
}

const dbOptions = (t: TestApp) => ({
  db: t.runtime.database.db,
  clock: t.clock,
  algorithm: 'ES256' as const,
  encryptionSecret: t.config.jwt.keyEncryptionSecret!,
  retireAfterMs: RETIRE_AFTER_MS,
  publishDelayMs: PUBLISH_DELAY_MS,
});

const implementations: [string, () => Promise<Subject>][] = [
  [
    'db keystore',
    async () => {
      const t = await createTestApp();
      // The server's own keystore plays the other instance that rotates.
      const keys = await createDbKeystore(dbOptions(t));
      return {
        keys,
        source: t.runtime.keystore,
        clock: t.clock,
        reloads: true,
        passCooldown: async () => t.clock.advance(DB_COOLDOWN_MS),
        close: () => t.close(),
      };
    },
  ],
  [
    'HMAC keystore',
    async () => {
      const keys = createHmacKeystore(randomBytes(32), 'HS256');
      return { keys, source: keys, clock: fakeClock(), reloads: false, passCooldown: async () => {}, close: async () => {} };
    },
  ],
  [
    'remote keystore (JWKS over HTTP)',
    async () => {
      const t = await createTestApp();
      const server = await listen(t.app);
      const keys = createRemoteKeystore({
        jwksUrl: `${server.url}/.well-known/jwks.json`,
        algorithms: ['ES256', 'EdDSA', 'RS256', 'PS256'],
        cooldownMs: REMOTE_COOLDOWN_MS,
      });
      return {
        keys,
        source: t.runtime.keystore,
        clock: t.clock,
        reloads: true,
        passCooldown: () => sleep(REMOTE_COOLDOWN_MS + 20),
        close: async () => {
          await server.close();
          await t.close();
        },
      };
    },
  ],
];

const signerFor = (s: Subject) =>
  createAccessTokens({ keystore: s.source, clock: s.clock, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, clockToleranceSeconds: 5 });
const verifierFor = (s: Subject) =>
  createAccessTokenVerifier({ keys: s.keys, clock: s.clock, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5 });
const sign = (s: Subject) => signerFor(s).sign({ sub: 'user-1', roles: ['user'], sid: 'session-1' }).token;

function tokenError(fn: () => unknown): TokenError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TokenError) return error;
    throw error;
  }
  throw new Error('expected a TokenError');
}

for (const [name, make] of implementations) {
  describe(`VerificationKeys: ${name}`, () => {
    let s: Subject;
    beforeEach(async () => {
      s = await make();
      // As a resource server loads its keys: the first token's kid is unknown here.
      await s.keys.reload({ onlyIfCool: true });
    });
    afterEach(() => s.close());

    it('find() returns the signing key by kid, and tokens it signed verify', () => {
      const active = s.source.active();
      const found = s.keys.find(active.kid);
      expect(found).toMatchObject({ kid: active.kid, alg: active.alg });
      const claims = verifierFor(s).verify(sign(s));
      expect(claims).toMatchObject({ sub: 'user-1', sid: 'session-1', iss: ISSUER });
    });

    it('find() returns undefined for an unknown kid, and such a token is unknown_key', () => {
      expect(s.keys.find('no-such-kid')).toBeUndefined();
      expect(s.keys.find('')).toBeUndefined();
      const other = createHmacKeystore(randomBytes(32), 'HS256');
      const foreign = createAccessTokens({
        keystore: other,
        clock: s.clock,
        issuer: ISSUER,
        audience: AUDIENCE,
        ttlSeconds: 900,
        clockToleranceSeconds: 5,
      });
      expect(tokenError(() => verifierFor(s).verify(foreign.sign({ sub: 'u', roles: [], sid: 's' }).token)).reason).toBe('unknown_key');
    });

    it.runIf(name === 'HMAC keystore')('reload() reads nothing (the key is configuration)', async () => {
      const kid = s.source.active().kid;
      expect(await s.keys.reload()).toBe(false);
      expect(await s.keys.reload({ onlyIfCool: true })).toBe(false);
      expect(s.keys.find(kid)?.kid).toBe(kid);
    });

    describe.runIf(name !== 'HMAC keystore')('reload', () => {
      it('a key published at the source is unknown until reload(), then found; the old key stays', async () => {
        const old = s.source.active().kid;
        const rotated = await s.source.rotate();
        expect(s.keys.find(rotated.kid)).toBeUndefined();
        expect(await s.keys.reload()).toBe(true);
        expect(s.keys.find(rotated.kid)?.kid).toBe(rotated.kid);
        expect(s.keys.find(old)?.kid).toBe(old);
      });

      it('an unknown kid reloads at most once per cooldown', async () => {
        const rotated = await s.source.rotate();
        // The load in beforeEach was such a reload: the next one waits for the cooldown.
        expect(await s.keys.reload({ onlyIfCool: true })).toBe(false);
        expect(s.keys.find(rotated.kid)).toBeUndefined();
        await s.passCooldown();
        expect(await s.keys.reload({ onlyIfCool: true })).toBe(true);
        expect(s.keys.find(rotated.kid)?.kid).toBe(rotated.kid);
        expect(await s.keys.reload({ onlyIfCool: true })).toBe(false);
      });

      it('a routine reload() always reads, and does not use up the unknown-kid reload', async () => {
        await s.passCooldown();
        // A routine poll...
        expect(await s.keys.reload()).toBe(true);
        expect(await s.keys.reload()).toBe(true);
        // ...right before a token signed by a just-published key arrives: it must not have to wait.
        const rotated = await s.source.rotate();
        expect(await s.keys.reload({ onlyIfCool: true })).toBe(true);
        expect(s.keys.find(rotated.kid)?.kid).toBe(rotated.kid);
      });
    });
  });
}

describe('db keystore', () => {
  let t: TestApp;
  let keys: Keystore;
  beforeEach(async () => {
    t = await createTestApp();
    keys = await createDbKeystore(dbOptions(t));
  });
  afterEach(() => t.close());

  const kidsOf = (list: readonly object[]) => list.map((k) => (k as { kid?: unknown }).kid).sort();

  it('starts with one active key that every instance on the database shares', async () => {
    const active = keys.active();
    expect(active.signingKey).toBeDefined();
    expect(active.activatesAt).toBeLessThanOrEqual(t.clock.now());
    expect(active.kid).toBe(t.runtime.keystore.active().kid);
    expect(kidsOf(keys.jwks())).toEqual([active.kid]);
    // Public keys only.
    expect(keys.jwks()[0]).not.toHaveProperty('d');
    expect(keys.jwks()[0]).toMatchObject({ kid: active.kid, alg: 'ES256', use: 'sig' });
  });

  it('rotate() publishes a pending key that signs only from its activatesAt', async () => {
    const old = keys.active();
    const rotated = await keys.rotate();
    expect(rotated.kid).not.toBe(old.kid);
    expect(rotated.activatesAt).toBe(t.clock.now() + PUBLISH_DELAY_MS);
    // Published and verifying at once...
    expect(kidsOf(keys.jwks())).toEqual([old.kid, rotated.kid].sort());
    expect(kidsOf(keys.list())).toEqual([old.kid, rotated.kid].sort());
    expect(keys.find(rotated.kid)?.kid).toBe(rotated.kid);
    // ...but not signing yet.
    expect(keys.active().kid).toBe(old.kid);
    t.clock.set(rotated.activatesAt - 1);
    expect(keys.active().kid).toBe(old.kid);
    t.clock.set(rotated.activatesAt);
    expect(keys.active().kid).toBe(rotated.kid);

    const tokens = createAccessTokens({
      keystore: keys,
      clock: t.clock,
      issuer: ISSUER,
      audience: AUDIENCE,
      ttlSeconds: 900,
      clockToleranceSeconds: 5,
    });
    const token = tokens.sign({ sub: 'u', roles: [], sid: 's' }).token;
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(rotated.kid);
    expect(tokens.verify(token).sub).toBe('u');
  });

  it('another instance picks the rotation up on reload() and hands over at the same moment', async () => {
    const rotated = await keys.rotate();
    const other = t.runtime.keystore;
    expect(other.find(rotated.kid)).toBeUndefined();
    await other.reload();
    expect(other.find(rotated.kid)?.activatesAt).toBe(rotated.activatesAt);
    expect(other.active().kid).toBe(keys.active().kid);
    t.clock.set(rotated.activatesAt);
    expect(other.active().kid).toBe(rotated.kid);
    expect(keys.active().kid).toBe(rotated.kid);
  });

  it('a retired key keeps verifying for the retire window after it stops signing, then drops out', async () => {
    const old = keys.active();
    // Tokens that outlive the window, so only the key's removal can end them.
    const tokens = createAccessTokens({
      keystore: keys,
      clock: t.clock,
      issuer: ISSUER,
      audience: AUDIENCE,
      ttlSeconds: 3600,
      clockToleranceSeconds: 5,
    });
    const rotated = await keys.rotate();
    t.clock.set(rotated.activatesAt - 1);
    const lastOldToken = tokens.sign({ sub: 'u', roles: [], sid: 's' }).token;
    t.clock.set(rotated.activatesAt);

    const retiredAt = rotated.activatesAt;
    t.clock.set(retiredAt + RETIRE_AFTER_MS - 1);
    await keys.reload();
    expect(keys.find(old.kid)?.kid).toBe(old.kid);
    expect(kidsOf(keys.jwks())).toEqual([old.kid, rotated.kid].sort());
    expect(keys.active().kid).toBe(rotated.kid);
    expect(tokens.verify(lastOldToken).sub).toBe('u');

    t.clock.set(retiredAt + RETIRE_AFTER_MS);
    expect(keys.find(old.kid)).toBeUndefined();
    expect(kidsOf(keys.jwks())).toEqual([rotated.kid]);
    expect(kidsOf(keys.list())).toEqual([rotated.kid]);
    await keys.reload();
    expect(keys.find(old.kid)).toBeUndefined();
    expect(kidsOf(keys.jwks())).toEqual([rotated.kid]);
    expect(tokenError(() => tokens.verify(lastOldToken)).reason).toBe('unknown_key');
  });

  it('reload({ ifOlderThanMs }) (the JWKS read-through) reads only when the last read is older than that', async () => {
    const rotated = await t.runtime.keystore.rotate(); // published by another instance
    // Read when it was made, at this very clock time: not yet.
    expect(await keys.reload({ ifOlderThanMs: 1000 })).toBe(false);
    expect(keys.find(rotated.kid)).toBeUndefined();
    t.clock.advance(1000);
    expect(await Promise.all([keys.reload({ ifOlderThanMs: 1000 }), keys.reload({ ifOlderThanMs: 1000 })])).toEqual([true, true]);
    expect(kidsOf(keys.jwks())).toContain(rotated.kid);
    expect(await keys.reload({ ifOlderThanMs: 1000 })).toBe(false);
    // A clock set back reads as stale: one read too many rather than a key missing from the JWKS.
    t.clock.advance(-60_000);
    expect(await keys.reload({ ifOlderThanMs: 1000 })).toBe(true);
  });

  it('two rotations in a row: the first pending key is superseded and the second signs', async () => {
    const old = keys.active();
    const first = await keys.rotate();
    t.clock.advance(SECOND);
    const second = await keys.rotate();
    expect(keys.active().kid).toBe(old.kid);
    t.clock.set(second.activatesAt);
    expect(keys.active().kid).toBe(second.kid);
    expect(kidsOf(keys.jwks())).toEqual([old.kid, first.kid, second.kid].sort());
  });
});
