import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { openRuntime } from '../../src/runtime.ts';
import { cli } from '../helpers/cli.ts';
import { fakeClock } from '../helpers/clock.ts';
import { silentLogger } from '../helpers/services.ts';

const PASSWORD = 'long enough pw';
const HOUR = 3_600_000;

/**
 * A database with a user made by the CLI, a failed login through the server (its request id
 * given by a proxy), and an event from two hours ago.
 */
async function auditedDatabase() {
  const c = cli();
  expect(await c.runWithStdin(`${PASSWORD}\n`, 'user', 'create', '--email', 'ada@example.com', '--password-stdin')).toBe(0);
  expect(await c.runWithStdin(`${PASSWORD}\n`, 'user', 'create', '--email', 'bob@example.com', '--password-stdin')).toBe(0);
  const config = loadConfig(c.env);
  const runtime = await openRuntime(config, systemClock, silentLogger());
  try {
    const app = createApp({ config, ...runtime, clock: systemClock, logger: silentLogger() });
    const failed = await request(app)
      .post('/api/auth/login')
      .set('X-Request-Id', 'edge-7f3a.42')
      .send({ email: 'ada@example.com', password: 'not the password' });
    expect(failed.status).toBe(401);
    const twoHoursAgo = fakeClock(systemClock.now() - 2 * HOUR);
    await createAuditLog(runtime.database.db, twoHoursAgo, silentLogger()).record({ type: 'logout_all', details: { sessions: 3 } });
  } finally {
    await runtime.close();
  }
  c.out.length = 0;
  return c;
}

describe('tessera audit', () => {
  it('prints a table, oldest of the newest first: time, type, user, ip, request id, details', async () => {
    const c = await auditedDatabase();
    expect(await c.run('audit')).toBe(0);
    const [header, ...rows] = c.out;
    expect(header).toMatch(/^time\s+type\s+user\s+ip\s+request\s+details$/);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\s+logout_all\s+-\s+-\s+-\s+sessions=3$/);
    expect(rows[1]).toMatch(/\s+user\.created\s+ada@example\.com\s+-\s+-\s+roles=user via=cli\b/);
    expect(rows[3]).toMatch(/\s+login\.failure\s+ada@example\.com\s+\S+\s+edge-7f3a\.42\s+reason=wrong_password$/);
    // The columns line up.
    expect(new Set(c.out.map((line) => line.indexOf(line.split(/\s+/)[1] ?? '')))).toHaveProperty('size', 1);
  });

  it('--json: one event a line, with the request id and the user email', async () => {
    const c = await auditedDatabase();
    expect(await c.run('audit', '--json', '--type', 'login.failure')).toBe(0);
    expect(c.out).toHaveLength(1);
    expect(JSON.parse(c.out[0] ?? '')).toMatchObject({
      type: 'login.failure',
      userEmail: 'ada@example.com',
      requestId: 'edge-7f3a.42',
      details: { reason: 'wrong_password' },
      createdAt: expect.stringMatching(/Z$/),
    });
  });

  it('--user, --type, --since and --limit narrow the list', async () => {
    const c = await auditedDatabase();
    const types = async (...args: string[]) => {
      c.out.length = 0;
      expect(await c.run('audit', '--json', ...args)).toBe(0);
      return c.out.map((line) => (JSON.parse(line) as { type: string; userEmail: string | null }).type);
    };
    expect(await types('--user', ' BOB@example.com')).toEqual(['user.created']);
    expect(await types('--user', 'ada@example.com')).toEqual(['user.created', 'login.failure']);
    expect(await types('--type', 'user.created')).toEqual(['user.created', 'user.created']);
    expect(await types('--since', '1h')).toEqual(['user.created', 'user.created', 'login.failure']);
    expect(await types('--since', '3h')).toHaveLength(4);
    expect(await types('--limit', '1')).toEqual(['login.failure']);
  });

  it('refuses an unknown user, type, duration or limit in one line', async () => {
    const c = await auditedDatabase();
    const refusals: [string[], RegExp][] = [
      [['--user', 'nobody@example.com'], /no user with email nobody@example\.com/],
      [['--type', 'login.failed'], /--type: no event type "login\.failed"; one of signup, login\.success/],
      [['--since', 'an hour'], /--since: "an hour" is not a duration/],
      [['--since', '0'], /--since: "0" is not a duration/],
      [['--limit', '0'], /--limit: a whole number from 1/],
    ];
    for (const [args, message] of refusals) {
      c.err.length = 0;
      expect(await c.run('audit', ...args)).toBe(1);
      expect(c.err).toHaveLength(1);
      expect(c.err[0]).toMatch(message);
    }
  });

  it('says so when there is nothing to show', async () => {
    const c = cli();
    expect(await c.run('audit')).toBe(0);
    expect(c.out).toEqual(['no audit events']);
  });
});
