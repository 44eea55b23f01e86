import type { Db } from '../database.ts';
import type { LinkPurpose } from './email-link.table.ts';

export interface LinkRow {
  userId: string;
  email: string;
  /** For 'change' links: SHA-256 of the password hash when it was asked for. */
  passwordStamp: string | null;
}

export function createEmailLinkRepository(db: Db) {
  return {
    /** Stores a new link; the user's earlier unused links of the same purpose stop working. */
    async issue(row: {
      tokenHash: string;
      userId: string;
      purpose: LinkPurpose;
      email: string;
      now: number;
      expiresAt: number;
      passwordStamp?: string | null;
    }) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('emailLinks')
          .set({ usedAt: row.now })
          .where('userId', '=', row.userId)
          .where('purpose', '=', row.purpose)
          .where('usedAt', 'is', null)
          .execute();
        await trx.deleteFrom('emailLinks').where('userId', '=', row.userId).where('expiresAt', '<=', row.now).execute();
        await trx
          .insertInto('emailLinks')
          .values({
            tokenHash: row.tokenHash,
            userId: row.userId,
            purpose: row.purpose,
            email: row.email,
            createdAt: row.now,
            expiresAt: row.expiresAt,
            usedAt: null,
            passwordStamp: row.passwordStamp ?? null,
          })
          .execute();
      });
    },

    /** A live (unused, unexpired) link, without using it: to check a new password before spending the link. */
    find: (tokenHash: string, purpose: LinkPurpose, now: number): Promise<LinkRow | undefined> =>
      db
        .selectFrom('emailLinks')
        .select(['userId', 'email', 'passwordStamp'])
        .where('tokenHash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('usedAt', 'is', null)
        .where('expiresAt', '>', now)
        .executeTakeFirst(),

    /** Uses a live link, atomically: of two concurrent uses exactly one gets the row. */
    consume: (tokenHash: string, purpose: LinkPurpose, now: number): Promise<LinkRow | undefined> =>
      db
        .updateTable('emailLinks')
        .set({ usedAt: now })
        .where('tokenHash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('usedAt', 'is', null)
        .where('expiresAt', '>', now)
        .returning(['userId', 'email', 'passwordStamp'])
        .executeTakeFirst(),

    /** Every unused link of a user's purposes ends (after a password reset, say). */
    async retire(userId: string, purposes: LinkPurpose[], now: number): Promise<void> {
      await db
        .updateTable('emailLinks')
        .set({ usedAt: now })
        .where('userId', '=', userId)
        .where('purpose', 'in', purposes)
        .where('usedAt', 'is', null)
        .execute();
    },

    async prune(before: number): Promise<number> {
      const result = await db.deleteFrom('emailLinks').where('expiresAt', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type EmailLinkRepository = ReturnType<typeof createEmailLinkRepository>;
