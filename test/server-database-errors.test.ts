import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.ts';
import { TEST_DIALECT } from './helpers/database.ts';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.ts';
import { freePort } from './helpers/server-process.ts';

/**
 * Issue 28 item 2: a database that cannot be opened stops start-up with one line naming
 * DATABASE_URL (its password masked), the cause and the fix; exit code 1, no stack. The server
 * entry runs as a child process (as `npm start` does); the CLI runs in this process (runCli).
 */

/** The unprivileged account a root test runs the server as, so that file permissions apply to it. */
const NOBODY = (() => {
  const id = (flag: string) => spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
})();
const isRoot = process.getuid?.() === 0;
/**
 * Whether `nobody` can reach this checkout to run the server from it: a clone inside a 0700
 * temporary folder cannot be (.ci/run makes its own checkout traversable). Without it, the cases
 * that need an unprivileged server do not run.
 */
const NOBODY_REACHES_CHECKOUT =
  NOBODY !== undefined &&
  spawnSync(process.execPath, ['-e', 'require("node:fs").accessSync("package.json")'], { uid: NOBODY.uid, gid: NOBODY.gid }).status === 0;

/** Runs the server entry to its exit; resolves with its code and output. */
function runServer(env: Record<string, string>, as?: { uid: number; gid: number }): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, NODE_ENV: 'test', LOG_FORMAT: 'json', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(as ?? {}),
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output });
    }),
  );
}

/** Exit 1, not listening, no stack, and exactly one fatal line: its message, and its `reason`. */
function fatalLine({ code, output }: { code: number | null; output: string }): { msg: string; reason: string } {
  expect(code, output).toBe(1);
  expect(output).not.toContain('tessera listening');
  expect(output).not.toMatch(/\n\s+at /);
  const fatal = output.split('\n').filter((line) => line.includes('"level":60'));
  expect(fatal, output).toHaveLength(1);
  return JSON.parse(fatal[0]!) as { msg: string; reason: string };
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'tessera-dberr-'));

describe.runIf(TEST_DIALECT === 'sqlite')('a database that cannot be opened (no PostgreSQL server needed)', () => {
  it('a port where nothing listens: the server names DATABASE_URL with its password masked, and asks whether PostgreSQL runs there', async () => {
    const port = await freePort();
    const fatal = fatalLine(await runServer({ DATA_DIR: tempDir(), DATABASE_URL: `postgres://tessera:s3cret@127.0.0.1:${port}/tessera` }));
    expect(fatal.reason).toBe('unreachable');
    expect(fatal.msg).toMatch(
      new RegExp(
        `^DATABASE_URL postgres://tessera:\\*\\*\\*@127\\.0\\.0\\.1:${port}/tessera: nothing answers at 127\\.0\\.0\\.1:${port}\\. Is PostgreSQL running there\\?`,
      ),
    );
    expect(fatal.msg).toContain('pg_ctlcluster');
    expect(fatal.msg).not.toContain('s3cret');
  });

  it('the same for `tessera migrate` and a command that opens the database: one line, exit code 1', async () => {
    const port = await freePort();
    const c = cli({ DATABASE_URL: `postgres://tessera:s3cret@127.0.0.1:${port}/tessera` });
    for (const argv of [['migrate'], ['keys', 'list']]) {
      c.err.length = 0;
      expect(await c.run(...argv)).toBe(1);
      expect(c.err).toEqual([
        expect.stringMatching(
          new RegExp(`^tessera: DATABASE_URL postgres://tessera:\\*\\*\\*@127\\.0\\.0\\.1:${port}/tessera: nothing answers`),
        ),
      ]);
    }
  });

  it('SQLite: a file that is not a database', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.db'), 'not a database, just notes\n'.repeat(20));
    const fatal = fatalLine(await runServer({ DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'notes.db')}` }));
    expect(fatal.reason).toBe('not_a_database');
    expect(fatal.msg).toBe(
      `DATABASE_URL sqlite:${join(dir, 'notes.db')}: ${join(dir, 'notes.db')} is not a SQLite database. Point DATABASE_URL at Tessera's database file, or move this file away to start a new one`,
    );
  });

  it('SQLite: a data folder that cannot be created (a file stands in its path)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const data = join(dir, 'file', 'data');
    const fatal = fatalLine(await runServer({ DATA_DIR: data, DATABASE_URL: `sqlite:${join(data, 'tessera.db')}` }));
    expect(fatal.reason).toBe('not_writable');
    expect(fatal.msg).toContain(`: cannot create the folder ${data} as user `);
    expect(fatal.msg).toContain('a part of the path is a file, not a folder');
  });

  it.runIf(!isRoot || NOBODY_REACHES_CHECKOUT)('SQLite: a read-only database file (as root: the server runs as nobody)', async () => {
    const dir = tempDir();
    const file = join(dir, 'tessera.db');
    const c = cli({ DATA_DIR: dir, DATABASE_URL: `sqlite:${file}` });
    expect(await c.run('migrate')).toBe(0);
    chmodSync(file, 0o400);
    if (isRoot && NOBODY) for (const path of [dir, file]) chownSync(path, NOBODY.uid, NOBODY.gid);
    const fatal = fatalLine(await runServer({ DATA_DIR: dir, DATABASE_URL: `sqlite:${file}` }, isRoot ? NOBODY : undefined));
    expect(fatal.reason).toBe('read_only');
    expect(fatal.msg).toMatch(
      new RegExp(`^DATABASE_URL sqlite:${file}: ${file} is read-only for user \\S+\\. Make the file and its folder writable`),
    );
  });

  it.runIf(isRoot && NOBODY_REACHES_CHECKOUT)('SQLite: a folder the server may not write (as nobody)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'), { mode: 0o755 });
    chmodSync(dir, 0o755);
    const data = join(dir, 'data');
    const fatal = fatalLine(await runServer({ DATA_DIR: data, DATABASE_URL: `sqlite:${join(data, 'tessera.db')}` }, NOBODY));
    expect(fatal.reason).toBe('not_writable');
    expect(fatal.msg).toContain('as user nobody (');
  });
});

describe.runIf(TEST_DIALECT === 'postgres')('a database that does not exist, on the PostgreSQL test server', () => {
  it('names the database and the createdb command that makes it', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    const name = `tessera_missing_${randomBytes(6).toString('hex')}`; // never created
    url.pathname = `/${name}`;
    const fatal = fatalLine(await runServer({ DATA_DIR: tempDir(), DATABASE_URL: url.toString() }));
    expect(fatal.reason).toBe('no_database');
    const host = url.hostname;
    const port = url.port || '5432';
    const user = decodeURIComponent(url.username);
    expect(fatal.msg).toContain(
      `: database "${name}" does not exist on ${host}:${port}. Create it: createdb -h ${host} -p ${port} -U ${user} ${name}`,
    );
    expect(fatal.msg.startsWith('DATABASE_URL postgres://')).toBe(true);
  });
});

/**
 * Passwords, roles and SSL need a server that asks for passwords: the shared one trusts every
 * local connection. A private cluster's pg_hba.conf is rewritten (through its superuser, who
 * stays trusted) to ask for scram passwords, and SSL of one role.
 */
describe.runIf(TEST_DIALECT === 'postgres' && privatePostgresAvailable())('credentials and SSL, on a private PostgreSQL cluster', () => {
  let cluster: PrivatePostgres;
  const on = (credentials: string, query = '') => `postgres://${credentials}@127.0.0.1:${cluster.port}/postgres${query}`;

  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE tessera_pw LOGIN PASSWORD 'right'`);
      await admin.query(`CREATE ROLE tessera_ssl LOGIN PASSWORD 'right'`);
      const hba = (await admin.query<{ hba_file: string }>('show hba_file')).rows[0]!.hba_file;
      const lines = [
        'local all all trust',
        'host all postgres 127.0.0.1/32 trust',
        'hostssl all tessera_ssl 127.0.0.1/32 scram-sha-256',
        'host all tessera_pw 127.0.0.1/32 scram-sha-256',
        // Trusted, or PostgreSQL would answer "password authentication failed" to hide that the role is missing.
        'host all nobody_here 127.0.0.1/32 trust',
      ];
      await admin.query(`COPY (SELECT unnest(ARRAY[${lines.map((l) => `'${l}'`).join(', ')}])) TO '${hba}'`);
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
    // The reload is asynchronous: wait until a wrong password is refused.
    for (let i = 0; ; i += 1) {
      const client = new pg.Client({ connectionString: on('tessera_pw:wrong') });
      const refused = await client.connect().then(
        () => client.end().then(() => false),
        () => true,
      );
      if (refused) break;
      if (i > 50) throw new Error('pg_hba.conf was not reloaded');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  afterAll(() => cluster?.destroy());

  it('a wrong password: the server says so and masks it', async () => {
    const fatal = fatalLine(await runServer({ DATA_DIR: tempDir(), DATABASE_URL: on('tessera_pw:wr0ng-pw') }));
    expect(fatal.reason).toBe('wrong_password');
    expect(fatal.msg).toBe(
      `DATABASE_URL ${on('tessera_pw:***')}: password authentication failed for user "tessera_pw". Check the password in DATABASE_URL (percent-encode special characters: @ as %40, : as %3A, / as %2F)`,
    );
  });

  it('no password, a role that does not exist, SSL required, SSL refused: `tessera migrate` names each and the fix', async () => {
    const cases: [url: string, expected: string][] = [
      [on('tessera_pw'), 'the server asks user "tessera_pw" for a password and DATABASE_URL gives none'],
      [
        on('nobody_here:x'),
        `role "nobody_here" does not exist on 127.0.0.1:${cluster.port}. Create it (createuser -h 127.0.0.1 -p ${cluster.port} --pwprompt nobody_here`,
      ],
      [on('tessera_ssl:right'), 'the server accepts this user only over SSL'],
      [on('tessera_pw:right', '?sslmode=require'), 'the server does not accept SSL and DATABASE_URL asks for it'],
    ];
    for (const [url, expected] of cases) {
      const c = cli({ DATABASE_URL: url });
      expect(await c.run('migrate'), url).toBe(1);
      expect(c.err, url).toHaveLength(1);
      expect(c.err[0], url).toMatch(/^tessera: DATABASE_URL postgres:\/\/[^:@]+(:\*\*\*)?@/);
      expect(c.err[0], url).toContain(expected);
      expect(c.err[0], url).not.toMatch(/:(x|right)@/);
    }
  });
});
