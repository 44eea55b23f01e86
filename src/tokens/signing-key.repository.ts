import type { Selectable } from 'kysely';
import type { Db } from '../database.ts';
import type { SigningKeyTable } from './signing-key.table.ts';

export type SigningKeyRow = Selectable<SigningKeyTable>;

export function createSigningKeyRepository(db: Db) {
  return {
    /** Keys that are active or pending, or retired after `retiredAfter` (their tokens may still be live). */
    async listUsable(retiredAfter: number): Promise<SigningKeyRow[]> {
      return db
        .selectFrom('signingKeys')
        .selectAll()
        .where((eb) => eb.or([eb('retiredAt', 'is', null), eb('retiredAt', '>', retiredAfter)]))
        .orderBy('createdAt', 'desc')
        .orderBy('kid', 'desc')
        .execute();
    },

    async listAll(): Promise<SigningKeyRow[]> {
      return db.selectFrom('signingKeys').selectAll().orderBy('createdAt', 'desc').execute();
    },

    /**
     * Adds a key and, in the same transaction, sets every key that has no retirement yet to
     * retire when the new one activates: signing hands over at one moment on every instance.
     */
    async addAndRetireOthers(row: SigningKeyRow): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('signingKeys').set({ retiredAt: row.activatesAt }).where('retiredAt', 'is', null).execute();
        await trx.insertInto('signingKeys').values(row).execute();
      });
    },
  };
}
