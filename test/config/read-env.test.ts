import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/read-env.ts';

describe('readEnv', () => {
  it('reads a .env file, and the process environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'TESSERA_TEST_FROM_FILE=file\nPATH=/not/used\n# a comment\nJWT_ISSUER="quoted issuer"\n');
    const env = readEnv(file);
    expect(env.TESSERA_TEST_FROM_FILE).toBe('file');
    expect(env.JWT_ISSUER).toBe(process.env.JWT_ISSUER ?? 'quoted issuer');
    expect(env.PATH).toBe(process.env.PATH);
  });

  it('is the process environment alone when there is no .env file', () => {
    expect(readEnv(join(tmpdir(), 'no-such-dir', '.env')).PATH).toBe(process.env.PATH);
  });
});
