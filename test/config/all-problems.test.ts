import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfig } from '../../src/config/load-config.ts';

const PRODUCTION = { NODE_ENV: 'production', APP_URL: 'https://auth.example.com', KEY_ENCRYPTION_SECRET: 'k'.repeat(40) };

const messageOf = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted the configuration');
};

describe('start-up reports every configuration problem at once', () => {
  it('production without its two secrets and APP_URL names all three, with the fix, in one message', () => {
    const message = messageOf({ NODE_ENV: 'production' });
    expect(message).toMatch(/3 problems/);
    expect(message).toMatch(/JWT_REFRESH_SECRET is required when NODE_ENV=production: set it to at least 32 random bytes/);
    expect(message).toMatch(/KEY_ENCRYPTION_SECRET is required/);
    expect(message).toMatch(/APP_URL is required when NODE_ENV=production: .*https:\/\//);
  });

  it('malformed values and missing production settings come together', () => {
    const message = messageOf({ NODE_ENV: 'production', PORT: 'eighty', JWT_EXPIRES_IN: 'soon', CORS_ORIGINS: '*' });
    for (const name of ['PORT', 'JWT_EXPIRES_IN', 'JWT_REFRESH_SECRET', 'KEY_ENCRYPTION_SECRET', 'APP_URL'])
      expect(message).toContain(name);
    expect(message.split('\n').filter((line) => line.startsWith('  - ')).length).toBeGreaterThanOrEqual(5);
  });

  it('an http:// APP_URL in production is listed with the other problems', () => {
    const message = messageOf({
      NODE_ENV: 'production',
      JWT_REFRESH_SECRET: 'r'.repeat(40),
      KEY_ENCRYPTION_SECRET: 'k'.repeat(40),
      APP_URL: 'http://auth.example.com',
      METRICS_TOKEN: 'tiny',
    });
    expect(message).toMatch(/2 problems/);
    expect(message).toMatch(/APP_URL must be an https:\/\/ URL when NODE_ENV=production/);
    expect(message).toContain('METRICS_TOKEN');
  });

  it('cross-setting problems are all listed, too', () => {
    const message = messageOf({
      NODE_ENV: 'production',
      APP_URL: 'https://auth.example.com',
      JWT_REFRESH_SECRET: 'short',
      KEY_ENCRYPTION_SECRET: 'k'.repeat(40),
      ADMIN_EMAIL: 'a@b.co',
      METRICS_TOKEN: 'tiny',
      CORS_ORIGINS: '*',
    });
    for (const fragment of [
      'JWT_REFRESH_SECRET must be at least 32 bytes',
      'ADMIN_EMAIL and ADMIN_PASSWORD',
      'METRICS_TOKEN',
      'CORS_ORIGINS',
    ]) {
      expect(message).toContain(fragment);
    }
  });

  // Each: an environment, and fragments every one of which the single message must hold.
  it.each<[string, Record<string, string>, string[]]>([
    [
      'a short secret and a malformed duration (the secret was reported only on the next run)',
      { ...PRODUCTION, JWT_REFRESH_SECRET: 'short', JWT_EXPIRES_IN: '15minutes' },
      ['(2 problems)', 'JWT_EXPIRES_IN: must be a duration', 'JWT_REFRESH_SECRET must be at least 32 bytes'],
    ],
    [
      'a DATABASE_URL of another database, with the other mistakes (it was found alone, when the database opened)',
      { NODE_ENV: 'test', DATABASE_URL: 'mysql://db.example.com/tessera', PORT: 'eighty', METRICS_TOKEN: 'tiny' },
      ['(3 problems)', 'DATABASE_URL: must be sqlite:<path>, sqlite::memory: or postgres://', 'PORT', 'METRICS_TOKEN'],
    ],
    [
      'a DATABASE_URL that is not a URL, and production’s missing settings',
      { NODE_ENV: 'production', DATABASE_URL: 'db.example.com:5432' },
      [
        '(4 problems)',
        'DATABASE_URL: must be',
        'JWT_REFRESH_SECRET is required',
        'KEY_ENCRYPTION_SECRET is required',
        'APP_URL is required',
      ],
    ],
    [
      'a check about a value that did not parse is left out, not judged on the stand-in default',
      { NODE_ENV: 'test', HTTP_HEADERS_TIMEOUT: 'soon', HTTP_REQUEST_TIMEOUT: '5s' },
      ['(1 problem)', 'HTTP_HEADERS_TIMEOUT: must be a duration'],
    ],
  ])('%s', (_what, env, fragments) => {
    const message = messageOf(env);
    for (const fragment of fragments) expect(message).toContain(fragment);
  });

  it.each(['postgresql://tessera:secret@db.example.com:5432/tessera', 'postgres://tessera@db.example.com/tessera', 'sqlite::memory:'])(
    'DATABASE_URL=%s is accepted',
    (url) => {
      expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL: url }).database.url).toBe(url);
    },
  );

  it('a SQLite path whose folder does not exist is an error; DATA_DIR itself is created on demand', () => {
    expect(messageOf({ NODE_ENV: 'test', DATABASE_URL: 'sqlite:/nonexistent/dir/x.db' })).toMatch(
      /DATABASE_URL: the folder \/nonexistent\/dir does not exist/,
    );
    const root = mkdtempSync(join(tmpdir(), 'tessera-config-'));
    const dataDir = join(root, 'not-yet');
    expect(() => loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir })).not.toThrow();
    expect(() => loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: `sqlite:${join(dataDir, 'tessera.db')}` })).not.toThrow();
  });
});
