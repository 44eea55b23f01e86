import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { runCli } from '../../src/cli.ts';
import { createDb } from '../../src/db/create-db.ts';

describe('tessera CLI', () => {
  it('migrates, creates users, replaces roles', async () => {
    const c = cli();
    expect(await c.run('migrate')).toBe(0);
    expect(c.out.at(-1)).toMatch(/0001_initial/);
    expect(await c.run('migrate')).toBe(0);
    expect(c.out.at(-1)).toMatch(/up to date/);

    expect(
      await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', ' Root@Example.com', '--password-stdin', '--role', 'admin'),
    ).toBe(0);
    const database = createDb(c.env.DATABASE_URL);
    const row = await database.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(row.email).toBe('root@example.com');
    expect(JSON.parse(row.roles)).toEqual(['user', 'admin']);
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);

    expect(await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', 'ed@example.com', '--password-stdin')).toBe(0);
    expect(await c.run('user', 'roles', '--email', 'ed@example.com', '--role', 'editor', '--role', 'editor')).toBe(0);
    const updated = await database.db.selectFrom('users').select('roles').where('email', '=', 'ed@example.com').executeTakeFirstOrThrow();
    expect(JSON.parse(updated.roles)).toEqual(['editor']);
    await database.close();
  });

  it('creates operator accounts verified, and verifies a signed-up address with user verify', async () => {
    const c = cli();
    expect(await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', 'op@example.com', '--password-stdin')).toBe(0);
    const database = createDb(c.env.DATABASE_URL);
    const verified = async (email: string) =>
      (await database.db.selectFrom('users').select('emailVerified').where('email', '=', email).executeTakeFirstOrThrow()).emailVerified;
    expect(await verified('op@example.com')).toBe(1);
    await database.db.updateTable('users').set({ emailVerified: 0 }).execute(); // as a signup would be
    expect(await c.run('user', 'verify', '--email', ' OP@example.com')).toBe(0);
    expect(c.out.at(-1)).toBe('op@example.com is verified');
    expect(await verified('op@example.com')).toBe(1);
    expect(await c.run('user', 'verify', '--email', 'op@example.com')).toBe(0);
    expect(c.out.at(-1)).toMatch(/already verified/);
    expect(await c.run('user', 'verify', '--email', 'nobody@example.com')).toBe(1);
    const events = await database.db.selectFrom('auditEvents').select(['type', 'details']).where('type', '=', 'email.verified').execute();
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toContain('"via":"cli"');
    await database.close();
  });

  it('never takes the admin role from, or disables, the last enabled admin (409 last_admin)', async () => {
    const c = cli();
    expect(
      await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', 'root@example.com', '--password-stdin', '--role', 'admin'),
    ).toBe(0);
    expect(await c.run('user', 'roles', '--email', 'root@example.com', '--role', 'user')).toBe(1);
    expect(await c.run('user', 'disable', '--email', 'root@example.com')).toBe(1);
    expect(c.err.filter((line) => line.includes('last_admin'))).toHaveLength(2);
    const database = createDb(c.env.DATABASE_URL);
    const root = await database.db.selectFrom('users').selectAll().where('email', '=', 'root@example.com').executeTakeFirstOrThrow();
    expect(JSON.parse(root.roles)).toEqual(['user', 'admin']);
    expect(root.disabled).toBe(0);

    // With a second admin, the first may step down; then the second is the last one.
    expect(
      await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', 'ops@example.com', '--password-stdin', '--role', 'admin'),
    ).toBe(0);
    expect(await c.run('user', 'disable', '--email', 'root@example.com')).toBe(0);
    expect(await c.run('user', 'roles', '--email', 'ops@example.com', '--role', 'user')).toBe(1);
    // Enabling root again makes two enabled admins, so ops may now be demoted.
    expect(await c.run('user', 'enable', '--email', 'root@example.com')).toBe(0);
    expect(await c.run('user', 'roles', '--email', 'ops@example.com', '--role', 'user')).toBe(0);
    await database.close();
  });

  it('disables and enables a user; every change is an audit event naming the CLI and the OS account', async () => {
    const c = cli();
    expect(await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', 'a@example.com', '--password-stdin')).toBe(0);
    expect(await c.run('user', 'disable', '--email', 'A@example.com')).toBe(0);
    const database = createDb(c.env.DATABASE_URL);
    const row = () => database.db.selectFrom('users').selectAll().where('email', '=', 'a@example.com').executeTakeFirstOrThrow();
    expect((await row()).disabled).toBe(1);
    expect(await c.run('user', 'enable', '--email', 'a@example.com')).toBe(0);
    expect((await row()).disabled).toBe(0);
    expect(await c.run('user', 'enable', '--email', 'nobody@example.com')).toBe(1);

    const events = await database.db.selectFrom('auditEvents').selectAll().execute();
    expect(events.map((e) => e.type).sort()).toEqual(['user.created', 'user.disabled', 'user.enabled']);
    for (const event of events) {
      expect(event.userId).toBe((await row()).id);
      expect(JSON.parse(event.details!)).toMatchObject({ via: 'cli', osUser: expect.any(String) });
    }
    await database.close();
  });

  it('answers bad input with one line and a non-zero exit, never a stack', async () => {
    const c = cli();
    expect(await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', 'not-an-email', '--password-stdin')).toBe(1);
    expect(await c.runWithStdin('short\n', 'user', 'create', '--email', 'a@b.co', '--password-stdin')).toBe(1);
    expect(await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', 'a@b.co', '--password-stdin', '--role', 'Admin!')).toBe(1);
    expect(await c.run('user', 'roles', '--email', 'nobody@b.co', '--role', 'user')).toBe(1);
    expect(await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', 'a@b.co', '--password-stdin')).toBe(0);
    expect(await c.runWithStdin('long enough pw\n', 'user', 'create', '--email', 'A@B.co', '--password-stdin')).toBe(1);
    expect(await c.run('frobnicate')).toBe(2);
    expect(c.err.join('\n')).not.toMatch(/\n\s+at /);
    expect(c.err.some((line) => line.includes('already exists'))).toBe(true);
  });

  it('imports a bcrypt hash from another app; the user logs in with it', async () => {
    const c = cli();
    const bcrypt = (await import('bcryptjs')).default;
    const hash = await bcrypt.hash('old tutorial pw', 4);
    expect(await c.run('user', 'create', '--email', 'old@example.com', '--password-hash', hash)).toBe(0);
    expect(await c.run('user', 'create', '--email', 'x@example.com', '--password-hash', 'md5:abc')).toBe(1);
    expect(await c.run('user', 'create', '--email', 'y@example.com')).toBe(1);
    const database = createDb(c.env.DATABASE_URL);
    const row = await database.db
      .selectFrom('users')
      .select('passwordHash')
      .where('email', '=', 'old@example.com')
      .executeTakeFirstOrThrow();
    expect(row.passwordHash).toBe(hash);
    await database.close();
  });

  it('rotates and lists keys', async () => {
    const c = cli();
    expect(await c.run('keys', 'list')).toBe(0);
    const firstKid = c.out[1]!.split('\t')[0];
    expect(c.out[1]).toMatch(/\tES256\tactive\t/);
    expect(await c.run('keys', 'rotate')).toBe(0);
    c.out.length = 0;
    expect(await c.run('keys', 'list')).toBe(0);
    expect(c.out).toHaveLength(3);
    // Published first: the new key signs only once every running server has had a key poll to load it.
    expect(c.out[1]).toMatch(/\tpending\t/);
    expect(c.out[2]).toContain(firstKid!);
    expect(c.out[2]).toMatch(/\tactive\t/);
  });

  it('refuses keys it cannot decrypt, naming KEY_ENCRYPTION_SECRET', async () => {
    const c = cli();
    expect(await c.run('keys', 'list')).toBe(0);
    const err: string[] = [];
    const env = { ...c.env, KEY_ENCRYPTION_SECRET: 'x'.repeat(40) };
    expect(
      await runCli(
        ['keys', 'rotate'],
        env,
        () => {},
        (l) => err.push(l),
      ),
    ).toBe(1);
    expect(err.join()).toMatch(/KEY_ENCRYPTION_SECRET/);
  });

  it('explains that HMAC keys rotate through JWT_SECRET', async () => {
    const c = cli();
    const out: string[] = [];
    const err: string[] = [];
    const env = { ...c.env, JWT_SECRET: 'h'.repeat(40) };
    expect(
      await runCli(
        ['keys', 'rotate'],
        env,
        (l) => out.push(l),
        (l) => err.push(l),
      ),
    ).toBe(1);
    expect(err.join()).toMatch(/JWT_SECRET/);
  });
});
