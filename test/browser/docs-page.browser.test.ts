import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../helpers/chromium.ts';
import { TEST_DIALECT } from '../helpers/database.ts';
import { listen } from '../helpers/listen.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { docsApp } from './docs-app.ts';

const SCREENSHOT = '/tmp/docs-page.png';
const available = chromiumAvailable('docs page browser test');

type Operation = { operationId?: string; summary?: string };
type Document = { paths: Record<string, Record<string, Operation>> };

// The page does not touch the database: once, on the SQLite project, is enough.
describe.runIf(available && TEST_DIALECT === 'sqlite')('GET /docs in Chromium', () => {
  let spec: Document;
  let server: Awaited<ReturnType<typeof listen>>;
  let profile: string;
  let context: BrowserContext;

  beforeAll(async () => {
    const t = await createTestApp();
    try {
      spec = (await request(t.app).get('/openapi.json').expect(200)).body as Document;
    } finally {
      await t.close();
    }
    server = await listen(docsApp(spec));
    profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('renders every operation from this server alone, with no CSP violation or console error', async () => {
    const login = Object.values(spec.paths)
      .flatMap((ops) => Object.values(ops))
      .find((op) => op.operationId === 'login');
    expect(login?.summary).toBeTruthy();

    const page = await context.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // Chromium logs a blocked load as a console error too; this also catches reports without one.
    await page.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    });

    const response = await page.goto(`${server.url}/docs`);
    expect(response?.status()).toBe(200);
    const summary = page.getByText(login!.summary!, { exact: true });
    await summary.waitFor({ state: 'visible', timeout: 20_000 });

    // Opening an operation renders its schema and examples (the syntax highlighter, the models).
    await summary.click();
    await page.getByText('Request body').first().waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Try it out' }).first().waitFor({ state: 'visible' });
    await page.screenshot({ path: SCREENSHOT });

    const origin = new URL(server.url);
    const elsewhere = requested.filter((url) => {
      const u = new URL(url);
      return u.protocol !== 'data:' && u.host !== origin.host;
    });
    expect(elsewhere).toEqual([]);
    expect(requested).toContain(`${server.url}/openapi.json`);
    expect(problems).toEqual([]);
  });
});
