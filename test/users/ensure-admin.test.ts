import { Writable } from 'node:stream';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import { createServices } from '../../src/services.ts';
import { ensureAdmin } from '../../src/users/ensure-admin.ts';
import { createTestApp, loginAsAdmin, PASSWORD, type TestApp } from '../helpers/test-app.ts';

/** A logger whose lines are kept, for assertions on what start-up says. */
function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }));
  return { lines, logger };
}

const ROOT = { email: 'root@example.com', password: 'root password 123' };

describe('ADMIN_EMAIL / ADMIN_PASSWORD', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('creates the admin at start, and logs its id, not its address', async () => {
    t = await createTestApp({ ADMIN_EMAIL: 'Root@Example.com', ADMIN_PASSWORD: ROOT.password });
    const login = await request(t.app).post('/api/auth/login').send(ROOT);
    expect(login.status).toBe(200);
    expect(login.body.user.roles).toEqual(['user', 'admin']);
    const created = t.logs.filter((line) => line.includes('admin user created'));
    expect(created).toHaveLength(1);
    expect(created[0]).toContain(login.body.user.id);
    expect(t.logs.join('\n').toLowerCase()).not.toContain(ROOT.email);
  });

  it('a demoted ADMIN_EMAIL admin stays demoted after a restart on the same database (issue 25, finding 7)', async () => {
    t = await createTestApp({ ADMIN_EMAIL: ROOT.email, ADMIN_PASSWORD: ROOT.password });
    const rootId = (await request(t.app).post('/api/auth/login').send(ROOT).expect(200)).body.user.id as string;
    // Another admin removes `admin` from the boot admin through the admin API.
    const other = await loginAsAdmin(t);
    await request(t.app)
      .put(`/api/admin/users/${rootId}/roles`)
      .set('Authorization', `Bearer ${other.accessToken}`)
      .send({ roles: ['user'] })
      .expect(200);

    // A restart: start-up runs again on the same database with the same ADMIN_EMAIL/ADMIN_PASSWORD.
    const { lines, logger } = capturingLogger();
    const restarted = await openRuntime(t.config, t.clock, logger);
    await restarted.close();

    const again = await request(t.app).post('/api/auth/login').send(ROOT).expect(200);
    expect(again.body.user.roles).toEqual(['user']);
    const left = lines.filter((line) => line.includes('left as it is'));
    expect(left).toHaveLength(1);
    expect(left[0]).toContain(rootId);
    expect(lines.join('\n')).not.toMatch(/@/);
  });

  it('never makes an existing account admin, whether or not ADMIN_PASSWORD is its password', async () => {
    t = await createTestApp();
    const signup = await request(t.app).post('/api/auth/signup').send({ email: 'ops@corp.example', password: PASSWORD }).expect(201);
    const { lines, logger } = capturingLogger();
    const services = createServices({ ...t.runtime, db: t.runtime.database.db, config: t.config, clock: t.clock, logger });
    const users = services.userRepository;
    const deps = { users: services.users, repository: users, logger };

    await ensureAdmin(deps, { email: 'ops@corp.example', password: 'the operator password' });
    expect((await users.findByEmail('ops@corp.example'))!.roles).toEqual(['user']);
    await ensureAdmin(deps, { email: 'OPS@corp.example', password: PASSWORD });
    expect((await users.findByEmail('ops@corp.example'))!.roles).toEqual(['user']);

    expect(lines.filter((line) => line.includes('left as it is'))).toHaveLength(2);
    for (const line of lines) {
      expect(line).toContain(signup.body.user.id);
      expect(line).not.toMatch(/@/);
    }
  });
});
