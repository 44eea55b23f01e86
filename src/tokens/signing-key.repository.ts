import type { Selectable, Transaction } from 'kysely';
import type { DatabaseSchema, Db } from '../database.ts';
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

    async find(kid: string): Promise<SigningKeyRow | undefined> {
      return db.selectFrom('signingKeys').selectAll().where('kid', '=', kid).executeTakeFirst();
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

    /**
     * Deletes a key (private part included: a compromised key is kept nowhere) and, in the same
     * transaction, adds `replacement` as addAndRetireOthers does and runs `also`. False when no
     * key has that kid (nothing is written then).
     */
    async remove(
      kid: string,
      replacement: SigningKeyRow | undefined,
      also: (trx: Transaction<DatabaseSchema>) => Promise<void>,
    ): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const deleted = await trx.deleteFrom('signingKeys').where('kid', '=', kid).executeTakeFirst();
        if (Number(deleted.numDeletedRows) === 0) return false;
        if (replacement) {
          await trx.updateTable('signingKeys').set({ retiredAt: replacement.activatesAt }).where('retiredAt', 'is', null).execute();
          await trx.insertInto('signingKeys').values(replacement).execute();
        }
        await also(trx);
        return true;
      });
    },
  };
}
