import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { parseDurationMs } from '../../src/config/duration.ts';

const strong = 's'.repeat(32);

describe('loadConfig', () => {
  it('uses the contract defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cfg-'));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir });
    expect(config.port).toBe(5000);
    expect(config.jwt.algorithm).toBe('ES256');
    expect(config.jwt.accessTtl).toBe(900);
    expect(config.jwt.refreshTtl).toBe(7 * 86400);
    expect(config.jwt.issuer).toBe('tessera');
    expect(config.jwt.audience).toBe('tessera-api');
    expect(config.jwt.clockTolerance).toBe(5);
    expect(config.refreshTransport).toBe('both');
    expect(config.rateLimit).toEqual({ windowMs: 900_000, accountMax: 10, ipMax: 300 });
    expect(config.database.url).toBe(`sqlite:${join(dir, 'tessera.db')}`);
    expect(config.cookieSecure).toBe(false);
  });

  it('picks HS256 when JWT_SECRET is set', () => {
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: strong });
    expect(config.jwt.algorithm).toBe('HS256');
    expect(config.jwt.secret?.toString()).toBe(strong);
  });

  it('refuses to start in production without secrets, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_REFRESH_SECRET|KEY_ENCRYPTION_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: strong })).toThrow(/JWT_REFRESH_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short', JWT_REFRESH_SECRET: strong })).toThrow(
      /JWT_SECRET must be at least 32 bytes/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_REFRESH_SECRET: strong })).toThrow(/KEY_ENCRYPTION_SECRET/);
    const config = loadConfig({ NODE_ENV: 'production', JWT_REFRESH_SECRET: strong, KEY_ENCRYPTION_SECRET: strong });
    expect(config.cookieSecure).toBe(true);
    // The one thing production says without SMTP_URL (the contract): mails stay in the outbox.
    expect(config.warnings).toEqual([expect.stringMatching(/^SMTP_URL is not set: .* written to .*outbox/)]);
    const withSmtp = loadConfig({
      NODE_ENV: 'production',
      JWT_REFRESH_SECRET: strong,
      KEY_ENCRYPTION_SECRET: strong,
      SMTP_URL: 'smtps://u:p@mail.example.com',
    });
    expect(withSmtp.warnings).toEqual([]);
  });

  it('generates development secrets once, keeps them under DATA_DIR and warns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cfg-'));
    const first = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
    const second = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
    expect(first.jwt.refreshSecret.equals(second.jwt.refreshSecret)).toBe(true);
    expect(first.jwt.refreshSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.warnings.join('\n')).toMatch(/JWT_REFRESH_SECRET/);
    const stored = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as Record<string, string>;
    expect(stored.JWT_REFRESH_SECRET).toBe(first.jwt.refreshSecret.toString());
  });

  it('rejects malformed settings with a message naming the setting', () => {
    const bad: Record<string, string>[] = [
      { JWT_EXPIRES_IN: 'soon' },
      { JWT_ALGORITHM: 'none' },
      { PORT: 'eighty' },
      { REFRESH_TOKEN_TRANSPORT: 'carrier-pigeon' },
      { COOKIE_SECURE: 'maybe' },
      { CORS_ORIGINS: '*' },
      { ADMIN_EMAIL: 'a@b.co' },
      { DATABASE_URL: 'mysql://x' },
    ];
    for (const env of bad) {
      const name = Object.keys(env)[0]!;
      let error: unknown;
      try {
        const config = loadConfig({ NODE_ENV: 'test', ...env });
        if (name === 'DATABASE_URL') continue; // checked when the database opens (test/cli)
        void config;
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message), name).toContain(name === 'ADMIN_EMAIL' ? 'ADMIN_PASSWORD' : name);
    }
  });

  it('parses durations', () => {
    expect(parseDurationMs('15m')).toBe(900_000);
    expect(parseDurationMs('7d')).toBe(604_800_000);
    expect(parseDurationMs('5s')).toBe(5000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('90')).toBe(90_000);
    expect(parseDurationMs('1.5h')).toBe(5_400_000);
    expect(parseDurationMs('-1s')).toBeUndefined();
    expect(parseDurationMs('10 parsecs')).toBeUndefined();
  });
});
