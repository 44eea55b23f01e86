import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from '../helpers/test-app.ts';
import { ensureAdmin } from '../../src/users/ensure-admin.ts';
import { createServices } from '../../src/services.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { Writable } from 'node:stream';

describe('ADMIN_EMAIL / ADMIN_PASSWORD', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('creates the admin at start', async () => {
    t = await createTestApp({ ADMIN_EMAIL: 'Root@Example.com', ADMIN_PASSWORD: 'root password 123' });
    const login = await request(t.app).post('/api/auth/login').send({ email: 'root@example.com', password: 'root password 123' });
    expect(login.status).toBe(200);
    expect(login.body.user.roles).toEqual(['user', 'admin']);
  });

  it('does not make an existing account admin unless ADMIN_PASSWORD is its password', async () => {
    t = await createTestApp();
    await request(t.app).post('/api/auth/signup').send({ email: 'ops@corp.example', password: PASSWORD }).expect(201);
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }));
    const services = createServices({ ...t.runtime, db: t.runtime.database.db, config: t.config, clock: t.clock, logger });
    const users = services.userRepository;
    const deps = { users: services.users, repository: users, logger };

    await ensureAdmin(deps, { email: 'ops@corp.example', password: 'the operator password' });
    expect((await users.findByEmail('ops@corp.example'))!.roles).toEqual(['user']);
    expect(lines.join()).toMatch(/NOT granted/);

    await ensureAdmin(deps, { email: 'ops@corp.example', password: PASSWORD });
    expect((await users.findByEmail('ops@corp.example'))!.roles).toEqual(['user', 'admin']);
  });
});
