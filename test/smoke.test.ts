import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, signupAndLogin, type TestApp } from './helpers/test-app.ts';

describe('smoke', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('signs up, logs in and reaches the protected route', async () => {
    const session = await signupAndLogin(t.app);
    const res = await request(t.app).get('/api/protected').set('Authorization', `Bearer ${session.accessToken}`);
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(session.userId);
  });
});
