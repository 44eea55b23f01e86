import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { openRuntime } from '../../src/runtime.ts';
import { silentLogger } from '../helpers/services.ts';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

describe('tessera client create|list|delete', () => {
  it('creates a client whose secret is shown once and works over HTTP Basic; list never shows it; delete ends it', async () => {
    const c = cli();
    expect(await c.run('client', 'create', '--name', 'orders-api')).toBe(0);
    const id = /^client_id: (\S+)$/.exec(c.out[0] ?? '')?.[1] ?? '';
    const secret = /^client_secret: (\S+)$/.exec(c.out[1] ?? '')?.[1] ?? '';
    expect(id).toMatch(BASE64URL);
    expect(secret).toMatch(BASE64URL);
    expect(secret.length).toBeGreaterThanOrEqual(43); // 256 bits

    c.out.length = 0;
    expect(await c.run('client', 'list')).toBe(0);
    expect(c.out.join('\n')).toContain(id);
    expect(c.out.join('\n')).toContain('orders-api');
    expect(c.out.join('\n')).not.toContain(secret);

    // The server on the same database accepts exactly these credentials.
    const config = loadConfig(c.env);
    const runtime = await openRuntime(config, systemClock, silentLogger());
    try {
      const app = createApp({ config, ...runtime, clock: systemClock, logger: silentLogger() });
      const stored = await runtime.database.db.selectFrom('serviceClients').selectAll().executeTakeFirstOrThrow();
      expect(stored.secretHash).not.toContain(secret);
      const basic = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
      const ok = await request(app).post('/oauth/introspect').set('Authorization', basic).type('form').send({ token: 'x' });
      expect(ok.body).toEqual({ active: false });

      expect(await c.run('client', 'delete', '--id', id)).toBe(0);
      const gone = await request(app).post('/oauth/introspect').set('Authorization', basic).type('form').send({ token: 'x' });
      expect(gone.status).toBe(401);
      const events = await runtime.database.db.selectFrom('auditEvents').select(['type', 'details']).orderBy('id').execute();
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['client.created', 'client.deleted']));
      expect(events.map((e) => e.details).join()).not.toContain(secret);
    } finally {
      await runtime.close();
    }
  });

  it('refuses a bad name, and deleting a client that does not exist', async () => {
    const c = cli();
    expect(await c.run('client', 'create', '--name', '')).toBe(1);
    expect(await c.run('client', 'create', '--name', 'x'.repeat(101))).toBe(1);
    expect(await c.run('client', 'create', '--name', 'evil\nname')).toBe(1);
    expect(await c.run('client', 'delete', '--id', 'svc_nobody')).toBe(1);
    expect(c.err.join('\n')).toMatch(/no client with id svc_nobody/);
  });
});
