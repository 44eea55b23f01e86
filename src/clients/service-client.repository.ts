import type { Selectable } from 'kysely';
import type { Db } from '../database.ts';
import type { ServiceClientTable } from './service-client.table.ts';

export type ServiceClientRow = Selectable<ServiceClientTable>;

export function createServiceClientRepository(db: Db) {
  return {
    async insert(row: ServiceClientRow): Promise<void> {
      await db.insertInto('serviceClients').values(row).execute();
    },
    find: (id: string): Promise<ServiceClientRow | undefined> =>
      db.selectFrom('serviceClients').selectAll().where('id', '=', id).executeTakeFirst(),
    list: (): Promise<ServiceClientRow[]> => db.selectFrom('serviceClients').selectAll().orderBy('createdAt').orderBy('id').execute(),
    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('serviceClients').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export type ServiceClientRepository = ReturnType<typeof createServiceClientRepository>;
