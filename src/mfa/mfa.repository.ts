import type { Transaction } from 'kysely';
import type { DatabaseSchema, Db } from '../database.ts';

type Trx = Transaction<DatabaseSchema>;
/** More work that commits or fails with the change (ending sessions, say). */
export type Also<T> = (trx: Trx) => Promise<T>;

export interface StoredTotp {
  secret: string;
  confirmedAt: number | null;
  lastStep: number;
}

export interface StoredChallenge {
  userId: string;
  amr: string[];
  expiresAt: number;
  usedAt: number | null;
}

async function replaceCodes(trx: Trx, userId: string, codeHashes: string[], now: number): Promise<void> {
  await trx.deleteFrom('mfaRecoveryCodes').where('userId', '=', userId).execute();
  await trx
    .insertInto('mfaRecoveryCodes')
    .values(codeHashes.map((codeHash) => ({ userId, codeHash, createdAt: now, usedAt: null })))
    .execute();
}

/**
 * MFA state. Every "once" is one conditional UPDATE, decided by the database whichever instance
 * asks: a TOTP step (`last_step < step`), a recovery code and a challenge (`used_at IS NULL`).
 */
export function createMfaRepository(db: Db) {
  return {
    async findTotp(userId: string): Promise<StoredTotp | undefined> {
      return db.selectFrom('mfaTotp').select(['secret', 'confirmedAt', 'lastStep']).where('userId', '=', userId).executeTakeFirst();
    },

    /** Stores a pending authenticator, replacing a pending one. False (nothing written) if one is confirmed. */
    async savePending(userId: string, secret: string, now: number): Promise<boolean> {
      const saved = await db
        .insertInto('mfaTotp')
        .values({ userId, secret, createdAt: now, confirmedAt: null, lastStep: 0 })
        .onConflict((oc) =>
          oc.column('userId').doUpdateSet({ secret, createdAt: now, lastStep: 0 }).where('mfaTotp.confirmedAt', 'is', null),
        )
        .returning('userId')
        .executeTakeFirst();
      return saved !== undefined;
    },

    /** Takes time step `step` of the confirmed authenticator, if no later or equal step was taken: true once per step. */
    async useStep(userId: string, step: number): Promise<boolean> {
      const result = await db
        .updateTable('mfaTotp')
        .set({ lastStep: step })
        .where('userId', '=', userId)
        .where('confirmedAt', 'is not', null)
        .where('lastStep', '<', step)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    /**
     * Turns the pending authenticator `secret` (as read: a concurrent setup that replaced it
     * wins) on with the code of `step`, with a new set of recovery codes, in one transaction.
     * Undefined when nothing changed.
     */
    async confirm<T>(
      input: { userId: string; secret: string; step: number; now: number; codeHashes: string[] },
      also: Also<T>,
    ): Promise<{ also: T } | undefined> {
      return db.transaction().execute(async (trx) => {
        const confirmed = await trx
          .updateTable('mfaTotp')
          .set({ confirmedAt: input.now, lastStep: input.step })
          .where('userId', '=', input.userId)
          .where('secret', '=', input.secret)
          .where('confirmedAt', 'is', null)
          .where('lastStep', '<', input.step)
          .executeTakeFirst();
        if (confirmed.numUpdatedRows !== 1n) return undefined;
        await trx.updateTable('users').set({ mfaEnabled: 1, updatedAt: input.now }).where('id', '=', input.userId).execute();
        await replaceCodes(trx, input.userId, input.codeHashes, input.now);
        return { also: await also(trx) };
      });
    },

    /** Spends a recovery code of a user whose MFA is on: true once per code. */
    async useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('mfaRecoveryCodes')
        .set({ usedAt: now })
        .where('userId', '=', userId)
        .where('codeHash', '=', codeHash)
        .where('usedAt', 'is', null)
        .where((eb) => eb.exists(eb.selectFrom('users').select('id').where('id', '=', userId).where('mfaEnabled', '=', 1)))
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async unusedRecoveryCodes(userId: string): Promise<number> {
      const row = await db
        .selectFrom('mfaRecoveryCodes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('userId', '=', userId)
        .where('usedAt', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** A new set of recovery codes (the old ones stop working), if MFA is still on. */
    async replaceRecoveryCodes<T>(userId: string, codeHashes: string[], now: number, also: Also<T>): Promise<{ also: T } | undefined> {
      return db.transaction().execute(async (trx) => {
        const on = await trx.selectFrom('users').select('id').where('id', '=', userId).where('mfaEnabled', '=', 1).executeTakeFirst();
        if (!on) return undefined;
        await replaceCodes(trx, userId, codeHashes, now);
        return { also: await also(trx) };
      });
    },

    /** Removes every trace of MFA for a user (authenticator, codes, open challenges). `wasEnabled` tells whether it was on. */
    async remove<T>(
      userId: string,
      now: number,
      also: (trx: Trx, wasEnabled: boolean) => Promise<T>,
    ): Promise<{ wasEnabled: boolean; also: T }> {
      return db.transaction().execute(async (trx) => {
        const off = await trx
          .updateTable('users')
          .set({ mfaEnabled: 0, updatedAt: now })
          .where('id', '=', userId)
          .where('mfaEnabled', '=', 1)
          .executeTakeFirst();
        await trx.deleteFrom('mfaTotp').where('userId', '=', userId).execute();
        await trx.deleteFrom('mfaRecoveryCodes').where('userId', '=', userId).execute();
        await trx.deleteFrom('mfaChallenges').where('userId', '=', userId).execute();
        const wasEnabled = off.numUpdatedRows === 1n;
        return { wasEnabled, also: await also(trx, wasEnabled) };
      });
    },

    /** Stores a login's second-step challenge; challenges expired for a day are swept on the way. */
    async createChallenge(input: { tokenHash: string; userId: string; amr: string[]; now: number; expiresAt: number }): Promise<void> {
      await db
        .deleteFrom('mfaChallenges')
        .where('expiresAt', '<', input.now - 86_400_000)
        .execute();
      await db
        .insertInto('mfaChallenges')
        .values({
          tokenHash: input.tokenHash,
          userId: input.userId,
          amr: JSON.stringify(input.amr),
          createdAt: input.now,
          expiresAt: input.expiresAt,
          usedAt: null,
        })
        .execute();
    },

    async findChallenge(tokenHash: string): Promise<StoredChallenge | undefined> {
      const row = await db
        .selectFrom('mfaChallenges')
        .select(['userId', 'amr', 'expiresAt', 'usedAt'])
        .where('tokenHash', '=', tokenHash)
        .executeTakeFirst();
      return row && { ...row, amr: JSON.parse(row.amr) as string[] };
    },

    /** Uses a live challenge: true once, and only before it expires. */
    async consumeChallenge(tokenHash: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('mfaChallenges')
        .set({ usedAt: now })
        .where('tokenHash', '=', tokenHash)
        .where('usedAt', 'is', null)
        .where('expiresAt', '>', now)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}

export type MfaRepository = ReturnType<typeof createMfaRepository>;
