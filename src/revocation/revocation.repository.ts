import type { Db } from '../db/database.ts';

export interface Revocation {
  id: string;
  kind: 'sid' | 'jti';
  createdAt: number;
  expiresAt: number;
}

export function createRevocationRepository(db: Db) {
  return {
    async add(revocations: Revocation[]): Promise<void> {
      if (revocations.length === 0) return;
      await db
        .insertInto('revocations')
        .values(revocations)
        .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ expiresAt: eb.ref('excluded.expiresAt') })))
        .execute();
    },

    /** Revocations written at or after `since` that still cover live tokens. */
    async since(since: number, now: number): Promise<Revocation[]> {
      return db
        .selectFrom('revocations')
        .select(['id', 'kind', 'createdAt', 'expiresAt'])
        .where('createdAt', '>=', since)
        .where('expiresAt', '>', now)
        .execute();
    },

    async prune(now: number): Promise<number> {
      const result = await db.deleteFrom('revocations').where('expiresAt', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type RevocationRepository = ReturnType<typeof createRevocationRepository>;
