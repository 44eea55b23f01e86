import { spawn, spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/context.ts';
import { readNewPassword, type CliInput } from '../../src/cli/password-input.ts';
import { cli } from '../helpers/cli.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const PW = 'a long pass phrase, not on argv';

/** The CLI on the test app's database (SQLite or PostgreSQL), so a user it creates can log in over HTTP. */
const cliOn = (t: TestApp) => cli({ DATABASE_URL: t.config.database.url, DATA_DIR: t.config.dataDir });

const login = (t: TestApp, email: string, password = PW) => request(t.app).post('/api/auth/login').send({ email, password });

const userCount = async (t: TestApp) =>
  Number(
    (
      await t.runtime.database.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Issue 25, finding 11: `tessera user create --password P` showed the password in `ps`. */
describe('tessera user create reads the password from stdin or a prompt, never from argv', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('--password-stdin takes the first line of stdin (newline stripped); the user logs in with it', async () => {
    const c = cliOn(t);
    expect(
      await c.runWithStdin(`${PW}\nthe next line is not read\n`, 'user', 'create', '--email', 'ops@example.com', '--password-stdin'),
    ).toBe(0);
    expect(c.out.at(-1)).toMatch(/^created ops@example\.com /);
    expect((await login(t, 'ops@example.com')).status).toBe(200);
    expect((await login(t, 'ops@example.com', `${PW}\n`)).status).toBe(401);
    // A CRLF line ending (a file written on Windows) is a line ending too.
    expect(await c.runWithStdin(`${PW}\r\n`, 'user', 'create', '--email', 'win@example.com', '--password-stdin')).toBe(0);
    expect((await login(t, 'win@example.com')).status).toBe(200);
  });

  it('--password is refused with a message naming --password-stdin and the prompt, and creates nothing', async () => {
    const c = cliOn(t);
    expect(await c.run('user', 'create', '--email', 'a@example.com', '--password', PW)).toBe(1);
    expect(await c.run('user', 'create', '--email', 'a@example.com', `--password=${PW}`)).toBe(1);
    expect(await c.runWithStdin(`${PW}\n`, 'user', 'create', '--email', 'a@example.com', '--password-stdin', '--password', PW)).toBe(1);
    expect(await c.run('user', 'create', '--email', 'a@example.com', '--password')).toBe(1);
    expect(c.err).toHaveLength(4);
    for (const line of c.err) {
      expect(line).toMatch(/--password is not accepted/);
      expect(line).toMatch(/--password-stdin/);
      expect(line).toMatch(/prompted/);
      expect(line).not.toContain(PW);
    }
    expect(await userCount(t)).toBe(0);
  });

  it('without --password-stdin and with no terminal to prompt on, a clear error; nothing is created', async () => {
    const c = cliOn(t);
    expect(await c.runWithStdin(`${PW}\n`, 'user', 'create', '--email', 'a@example.com')).toBe(1);
    expect(c.err.at(-1)).toMatch(/no password: stdin is not a terminal.*--password-stdin/);
    // An empty stdin with --password-stdin is an error too, not an empty password.
    expect(await c.run('user', 'create', '--email', 'a@example.com', '--password-stdin')).toBe(1);
    expect(c.err.at(-1)).toMatch(/stdin ended before a line was read/);
    // A password that breaks the signup rules is refused as it would be at signup.
    expect(await c.runWithStdin('short\n', 'user', 'create', '--email', 'a@example.com', '--password-stdin')).toBe(1);
    expect(c.err.at(-1)).toMatch(/^tessera: password: /);
    expect(await userCount(t)).toBe(0);
  });
});

/** A terminal as readline sees one: a stream with isTTY and setRawMode. */
function fakeTerminal() {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  const prompts = new PassThrough();
  let shown = '';
  prompts.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  const input: CliInput = { stdin, prompts };
  /** Types `text` once the prompt `question` has been shown. */
  const typeAfter = async (question: string, text: string) => {
    while (!shown.includes(question)) await new Promise((resolve) => setTimeout(resolve, 5));
    stdin.write(text);
  };
  return { input, typeAfter, shown: () => shown };
}

describe('the password prompt (a fake terminal)', () => {
  it('asks twice without showing what is typed', async () => {
    const term = fakeTerminal();
    const password = readNewPassword(term.input, false);
    await term.typeAfter('Password: ', `${PW}\r`);
    await term.typeAfter('Password (again): ', `${PW}\r`);
    expect(await password).toBe(PW);
    expect(term.shown()).not.toContain(PW);
    expect(term.shown()).not.toContain('*');
  });

  it('refuses two different answers, and Ctrl-C cancels', async () => {
    const term = fakeTerminal();
    const mismatch = readNewPassword(term.input, false);
    await term.typeAfter('Password: ', `${PW}\r`);
    await term.typeAfter('Password (again): ', 'something else\r');
    await expect(mismatch).rejects.toThrow(/do not match/);

    const other = fakeTerminal();
    const cancelled = readNewPassword(other.input, false);
    await other.typeAfter('Password: ', 'half typed\x03');
    await expect(cancelled).rejects.toBeInstanceOf(CliError);
    expect(other.shown()).not.toContain('half typed');
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

/** The real command under a pseudo-terminal (util-linux `script`): what an operator sees. */
describe.skipIf(!hasScript)('the password prompt (a pseudo-terminal)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('prompts twice, echoes nothing, and creates a user who logs in', async () => {
    const env = { ...process.env, ...cliOn(t).env };
    const child = spawn('script', ['-qec', 'node bin/tessera.js user create --email tty@example.com', '/dev/null'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const typeAfter = async (question: string, text: string) => {
      while (!seen.includes(question)) {
        if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before asking "${question}": ${seen}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.stdin.write(text);
    };
    try {
      await typeAfter('Password: ', `${PW}\r`);
      await typeAfter('Password (again): ', `${PW}\r`);
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill();
    }
    expect(seen).toMatch(/created tty@example\.com/);
    expect(seen).not.toContain(PW);
    expect((await login(t, 'tty@example.com')).status).toBe(200);
  });
});
