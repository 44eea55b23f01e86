import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../helpers/clock.ts';
import { listen } from '../helpers/listen.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SCRIPT = 'examples/verify-python/verify.py';

/** PyJWT from Debian's python3-jwt; .ci/run installs it, and CI sets REQUIRE_PYJWT=1 so it cannot be skipped there. */
function hasPyJwt(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import jwt, cryptography']);
    return true;
  } catch {
    return false;
  }
}

const available = hasPyJwt();
if (!available && process.env.REQUIRE_PYJWT === '1') throw new Error('PyJWT is required (apt-get install python3-jwt)');
if (!available) console.log('python interop test skipped: install python3-jwt (Debian) to run it');

describe.runIf(available)('an independent JWT library (PyJWT) verifies Tessera tokens from the JWKS URL alone', () => {
  const open: TestApp[] = [];
  afterAll(async () => {
    for (const t of open) await t.close();
  });

  for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256']) {
    it(alg, async () => {
      // PyJWT reads the real clock, so the server issues tokens at real time.
      const t = await createTestApp({ JWT_ALGORITHM: alg }, { clock: fakeClock(Date.now()) });
      open.push(t);
      const server = await listen(t.app);
      try {
        const session = await signupAndLogin(t.app);
        // The issuer is APP_URL (http://localhost:5000 here), not the origin this test listens on.
        const issuer = t.config.jwt.issuer;
        const { stdout } = await run(PYTHON, [SCRIPT, `${server.url}/.well-known/jwks.json`, session.accessToken, issuer]);
        const claims = JSON.parse(stdout) as Record<string, unknown>;
        expect(claims.sub).toBe(session.userId);
        expect(claims.iss).toBe(issuer);

        const [header, , signature] = session.accessToken.split('.');
        const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${signature}`;
        await expect(run(PYTHON, [SCRIPT, `${server.url}/.well-known/jwks.json`, tampered, issuer])).rejects.toThrow();
        // Another issuer's token (or the wrong expectation) is refused.
        await expect(run(PYTHON, [SCRIPT, `${server.url}/.well-known/jwks.json`, session.accessToken, 'tessera'])).rejects.toThrow();
      } finally {
        await server.close();
      }
    });
  }
});
