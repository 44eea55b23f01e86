import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen: see 0001_initial.ts. A change to the function is a new migration (CREATE OR REPLACE).
//
// PostgreSQL only: refresh-token rotation as one server-side function, so a rotation is one
// round trip instead of five (BEGIN, three statements, COMMIT); the node process of a
// PostgreSQL refresh spent its time on round trips (bench:profile). SQLite runs the same steps
// in process (rotation.repository.ts), where a statement costs no round trip.
//
// Same steps and guarantees as the in-process transaction:
// 1. Lock the live session's row (FOR NO KEY UPDATE, the lock its UPDATE would take, which
//    conflicts with lockChain's FOR UPDATE): a session's chain changes one transaction at a time.
//    Not found (or ended while we waited): nothing changes, and the reason is reported.
// 2. Consume the old token if it is live, retiring the session's other live tokens in the same
//    UPDATE; of two rotations with one token exactly one changes a row.
// 3. Only then move the session on and store the new token, so a failed rotation changes nothing
//    (the in-process version rolls back instead).
// A VOLATILE plpgsql function takes a new snapshot for each statement, so after waiting for the
// lock, steps 2 and 3 see what the previous holder committed, as the separate statements of a
// READ COMMITTED transaction do.
//
// Returns one row: outcome 'rotated' | 'ended' | 'unknown' | 'used', and for 'used' the usage
// (the session, when it was used, its live child if any, whether its grace exchange is spent).
const CREATE = sql`
create or replace function tessera_rotate_refresh_token(
  p_session_id text, p_old_hash text, p_new_hash text, p_now bigint, p_token_expires_at bigint, p_session_expires_at bigint
) returns table (outcome text, session_id text, used_at bigint, child_hash text, grace_used boolean)
language plpgsql volatile as $$
declare
  if_live text := 'unknown';
  t record;
begin
  perform 1 from sessions s where s.id = p_session_id and s.revoked_at is null for no key update;
  if not found then
    if_live := 'ended';
  else
    update refresh_tokens r
       set used_at = p_now,
           replaced_by = case when r.token_hash = p_old_hash then p_new_hash else r.replaced_by end
     where r.session_id = p_session_id
       and r.used_at is null
       and exists (
         select 1 from refresh_tokens old
          where old.token_hash = p_old_hash and old.session_id = p_session_id and old.used_at is null
       );
    if found then
      update sessions s set last_used_at = p_now, expires_at = p_session_expires_at where s.id = p_session_id;
      insert into refresh_tokens (token_hash, session_id, created_at, expires_at, used_at, replaced_by, grace_used_at)
      values (p_new_hash, p_session_id, p_now, p_token_expires_at, null, null, null);
      return query select 'rotated'::text, null::text, null::bigint, null::text, null::boolean;
      return;
    end if;
  end if;
  -- Why not: unknown, or already used (reported as used even in an ended session, so reuse is
  -- still recorded as reuse), or still live (then the session had ended).
  select o.session_id, o.used_at, o.grace_used_at, c.used_at as child_used_at, c.token_hash as child_token_hash
    into t
    from refresh_tokens o left join refresh_tokens c on c.token_hash = o.replaced_by
   where o.token_hash = p_old_hash and o.session_id = p_session_id;
  if not found then
    return query select 'unknown'::text, null::text, null::bigint, null::text, null::boolean;
  elsif t.used_at is null then
    return query select if_live, null::text, null::bigint, null::text, null::boolean;
  else
    return query select 'used'::text, t.session_id, t.used_at,
      case when t.child_token_hash is not null and t.child_used_at is null then t.child_token_hash end,
      t.grace_used_at is not null;
  end if;
end
$$`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function up(db: Kysely<any>): Promise<void> {
  if (!onPostgres(db)) return;
  await CREATE.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
export async function down(db: Kysely<any>): Promise<void> {
  if (!onPostgres(db)) return;
  await sql`drop function if exists tessera_rotate_refresh_token(text, text, text, bigint, bigint, bigint)`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against any schema version
const onPostgres = (db: Kysely<any>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;
