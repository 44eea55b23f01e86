import { spawn, type ChildProcess } from 'node:child_process';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../helpers/clock.ts';
import { TEST_DIALECT } from '../helpers/database.ts';
import { listen } from '../helpers/listen.ts';
import { exitOf, freePort, stopServerProcess } from '../helpers/server-process.ts';
import { createTestApp, signupAndLogin, type TestApp } from '../helpers/test-app.ts';

const RESOURCE_SERVER = 'examples/resource-server/server.ts';
const SPA = 'examples/spa/serve.ts';
const EXAMPLE_VARIABLES = ['PORT', 'AUTH_URL', 'JWKS_URL', 'JWT_ISSUER', 'CLIENT_ID', 'CLIENT_SECRET', 'AUTH_PORT', 'API_PORT'];

/** Runs an example as a user would (node with tsx's loader), and collects what it prints. */
function startExample(script: string, args: string[], env: Record<string, string> = {}) {
  // Only what the case sets: none of the examples' variables come from the test's own environment.
  const inherited = Object.entries(process.env).filter(([name]) => !EXAMPLE_VARIABLES.includes(name));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...Object.fromEntries(inherited), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  /** Resolves with the output once `pattern` is in it; rejects if the example exits first. */
  const printed = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = output.match(pattern);
        if (match) return done(() => resolve(match));
        if (child.exitCode !== null || Date.now() > deadline) done(() => reject(new Error(`not printed: ${pattern}; output: ${output}`)));
      }, 50);
      const deadline = Date.now() + timeoutMs;
      const done = (then: () => void) => {
        clearInterval(timer);
        then();
      };
    });
  return { child, printed, output: () => output };
}

describe.runIf(TEST_DIALECT === 'sqlite')('the examples take their ports and URLs from flags or the environment', () => {
  let t: TestApp;
  let auth: Awaited<ReturnType<typeof listen>>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // Tessera's issuer is its APP_URL, which the resource server assumes from AUTH_URL; the
    // example checks tokens with the real clock, so they are issued at real time.
    auth = await listen(express());
    t = await createTestApp({ APP_URL: auth.url }, { clock: fakeClock(Date.now()) });
    auth.server.removeAllListeners('request').on('request', t.app);
  });
  afterAll(async () => {
    await auth?.close();
    await t?.close();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map(stopServerProcess));
  });

  const orders = (url: string, token?: string) => fetch(`${url}/orders`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('resource server: --port and --auth-url (a flag wins over its variable), printed at start', async () => {
    const unused = await freePort();
    const example = startExample(RESOURCE_SERVER, ['--port', '0', '--auth-url', auth.url], {
      PORT: String(unused),
      AUTH_URL: 'http://127.0.0.1:9',
    });
    children.push(example.child);
    const [, url] = await example.printed(/resource server on (http:\/\/localhost:\d+) \(--port\/PORT\)/);
    expect(url).not.toBe(`http://localhost:${unused}`);
    await example.printed(/revocation feed: off/);
    expect(example.output()).toContain(`Tessera:  ${auth.url} (--auth-url/AUTH_URL)`);
    expect(example.output()).toContain(`JWKS:     ${auth.url}/.well-known/jwks.json (--jwks-url/JWKS_URL)`);
    expect(example.output()).toContain(`issuer:   ${auth.url} (--issuer/JWT_ISSUER)`);

    const user = await signupAndLogin(t.app);
    const res = await orders(url!, user.accessToken);
    expect(res.status).toBe(200);
    expect((await res.json()).for).toBe(user.userId);
    expect((await orders(url!)).status).toBe(401);
  });

  it('resource server: PORT and AUTH_URL', async () => {
    const port = await freePort();
    const example = startExample(RESOURCE_SERVER, [], { PORT: String(port), AUTH_URL: auth.url });
    children.push(example.child);
    await example.printed(new RegExp(`resource server on http://localhost:${port} \\(--port/PORT\\)`));
    await example.printed(/revocation feed: off/);
    expect(example.output()).toContain(`Tessera:  ${auth.url} (--auth-url/AUTH_URL)`);
    const user = await signupAndLogin(t.app);
    expect((await orders(`http://localhost:${port}`, user.accessToken)).status).toBe(200);
  });

  it('resource server: a port that is not one, or one in use, is one line and exit 1', async () => {
    const bad = startExample(RESOURCE_SERVER, [], { PORT: 'forty', AUTH_URL: auth.url });
    expect((await exitOf(bad.child)).code).toBe(1);
    expect(bad.output().trim()).toBe('resource server: --port/PORT must be a port number (0-65535), not forty');

    const busy = startExample(RESOURCE_SERVER, ['--port', new URL(auth.url).port, '--auth-url', auth.url]);
    expect((await exitOf(busy.child)).code).toBe(1);
    expect(busy.output()).toContain(`resource server: port ${new URL(auth.url).port} is in use: pick another with --port or PORT`);
  });

  it('spa, sibling hosts: --port, --auth-port and --api-port, printed at start and used', { timeout: 60_000 }, async () => {
    const example = startExample(SPA, ['--sibling-hosts', '--port', '0', '--auth-port', '0', '--api-port', '0']);
    children.push(example.child);
    await example.printed(/or see examples\/spa\/README.md/);
    const port = (label: string, flag: string) =>
      Number(example.output().match(new RegExp(`${label}:\\s+http://\\w+\\.example\\.test:(\\d+) \\(${flag}\\)`))?.[1]);
    const ports = {
      page: port('page', '--port/PORT'),
      auth: port('Tessera', '--auth-port/AUTH_PORT'),
      api: port('resource server', '--api-port/API_PORT'),
    };
    for (const p of Object.values(ports)) expect(p).toBeGreaterThan(0);

    const config = await (await fetch(`http://127.0.0.1:${ports.page}/config.json`)).json();
    expect(config).toMatchObject({ authUrl: `http://auth.example.test:${ports.auth}`, apiUrl: `http://api.example.test:${ports.api}` });
    expect((await fetch(`http://127.0.0.1:${ports.auth}/.well-known/jwks.json`)).status).toBe(200);
    expect((await orders(`http://127.0.0.1:${ports.api}`)).status).toBe(401);
  });

  it('spa, one origin: PORT, and the mailed links point at the page', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const example = startExample(SPA, [], { PORT: String(port) });
    children.push(example.child);
    await example.printed(new RegExp(`on http://localhost:${port} \\(--port/PORT\\)`));
    expect((await fetch(`http://127.0.0.1:${port}/resource/orders`)).status).toBe(401);
    // APP_URL is the page's origin: Tessera's issuer, and where its mails link to.
    const discovery = await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)).json();
    expect(discovery.issuer).toBe(`http://localhost:${port}`);
  });
});
