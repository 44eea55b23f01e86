import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The library as a consumer sees it: the declarations `npm run build` emits for the package entry
 * (built here into a temporary folder, not dist/), installed as `tessera-auth` in a project of its
 * own, type-checked under `strict`. The repo's tests import src/ and would hide a declaration
 * that never reaches a consumer (req.auth did not, once).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const run = promisify(execFile);

/** The README's snippet, as written, and what `authed` and the error classes promise. */
const CONSUMER = `
import express from 'express';
import { authed, InvalidTokenError, problemHandler, requireAuth, requireRole, TesseraAuthError, type VerifiedClaims } from 'tessera-auth/express';

const app = express();
const auth = requireAuth({ jwksUrl: 'https://auth.example.com/.well-known/jwks.json', issuer: 'tessera', audience: 'tessera-api' });
app.get('/orders', auth, (req, res) => res.json({ user: req.auth!.sub }));
app.get('/reports', auth, requireRole('admin'), (req, res) => res.json({}));
app.use(problemHandler()); // problem+json with RFC 6750 WWW-Authenticate headers

// req.auth is typed, and optional outside authed():
const maybe: VerifiedClaims | undefined = ({} as express.Request).auth;
// @ts-expect-error possibly undefined without authed() or a check
app.get('/unchecked', auth, (req, res) => res.json({ user: req.auth.sub }));
// @ts-expect-error a claim's type is kept: sub is a string (or absent), not a number
app.get('/typed', auth, (req, res) => res.json({ user: (req.auth?.sub satisfies number | undefined) }));

// authed(): the claims are there; route parameters typed as given (after a middleware such as
// auth, Express types them as ParamsDictionary, authed or not).
app.get('/orders/:id', auth, authed<{ id: string }>((req, res) => {
  const id: string = req.params.id;
  const roles: string[] = req.auth.roles;
  res.json({ id, roles, user: req.auth.sub, issuer: req.auth.iss });
}));
app.post('/async', auth, authed(async (req, res) => {
  await Promise.resolve();
  res.status(201).json({ user: req.auth.sub });
}));

// The error classes, for an error handler of one's own.
app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
  if (error instanceof TesseraAuthError) {
    const code: 'missing_token' | 'invalid_token' | 'token_expired' | 'token_revoked' | 'insufficient_role' | 'insufficient_scope' | 'mfa_required' | 'unavailable' = error.code;
    const status: number = error.status;
    void [code, status];
  }
  if (error instanceof InvalidTokenError) {
    const code: 'invalid_token' = error.code;
    void code;
  }
  next(error);
});
void maybe;
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-consumer-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function tsc(project: string): Promise<string> {
  try {
    await run(process.execPath, [TSC, '-p', project], { cwd: dir, maxBuffer: 10_000_000 });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe('a consumer of tessera-auth/express, type-checked against its built declarations', () => {
  it("compiles the README's snippet under strict: req.auth is VerifiedClaims | undefined, authed() makes it present", async () => {
    const modules = join(dir, 'node_modules');
    const pkg = join(modules, 'tessera-auth');
    mkdirSync(pkg, { recursive: true });
    // The project's dependencies, as an install would have them (express, @types/express, …).
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      if (entry !== '.bin' && entry !== 'tessera-auth') symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
    }
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: manifest.name, type: manifest.type, exports: manifest.exports }));

    // `npm run build` (tsconfig.build.json), declarations only, for the entry and what it loads.
    const build = join(dir, 'tsconfig.build.json');
    writeFileSync(
      build,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.build.json'),
        compilerOptions: {
          outDir: join(pkg, 'dist'),
          rootDir: join(ROOT, 'src'),
          emitDeclarationOnly: true,
          sourceMap: false,
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: [join(ROOT, 'src/express/index.ts')],
        include: [],
      }),
    );
    expect(await tsc(build)).toBe('');

    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(dir, 'app.ts'), CONSUMER);
    const consumer = join(dir, 'tsconfig.json');
    writeFileSync(
      consumer,
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['app.ts'],
      }),
    );
    expect(await tsc(consumer)).toBe('');
  }, 180_000);
});
