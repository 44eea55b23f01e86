import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { parseDurationMs } from '../../src/config/duration.ts';

const strong = 's'.repeat(32);
const APP = 'https://auth.example.com';

describe('loadConfig', () => {
  it('uses the contract defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cfg-'));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir });
    expect(config.port).toBe(5000);
    expect(config.jwt.algorithm).toBe('ES256');
    expect(config.jwt.accessTtl).toBe(900);
    expect(config.jwt.refreshTtl).toBe(7 * 86400);
    expect(config.jwt.issuer).toBe('http://localhost:5000'); // APP_URL's default: a URL, as discovery needs
    expect(config.jwt.audience).toBe('tessera-api');
    expect(config.jwt.clockTolerance).toBe(5);
    expect(config.refreshTransport).toBe('both');
    expect(config.rateLimit).toEqual({ windowMs: 900_000, accountMax: 10, ipMax: 300 });
    expect(config.database.url).toBe(`sqlite:${join(dir, 'tessera.db')}`);
    expect(config.cookieSecure).toBe(false);
  });

  it('issues tokens as APP_URL unless JWT_ISSUER is set, which is kept as it is', () => {
    expect(loadConfig({ NODE_ENV: 'test', APP_URL: `${APP}/` }).jwt.issuer).toBe(APP);
    expect(loadConfig({ NODE_ENV: 'test', PORT: '8080' }).jwt.issuer).toBe('http://localhost:8080');
    const kept = loadConfig({ NODE_ENV: 'test', APP_URL: APP, JWT_ISSUER: 'tessera' });
    expect(kept.jwt.issuer).toBe('tessera');
    // Not a URL: said at start, since discovery cannot find the keys from it.
    expect(kept.warnings).toEqual([expect.stringMatching(/^JWT_ISSUER "tessera" is not an http\(s\) URL: .*jwksUrl/)]);
    const url = loadConfig({ NODE_ENV: 'test', APP_URL: APP, JWT_ISSUER: 'https://id.example.com/' });
    expect(url.jwt.issuer).toBe('https://id.example.com/');
    expect(url.warnings).toEqual([]);
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
    const config = loadConfig({ NODE_ENV: 'production', JWT_REFRESH_SECRET: strong, KEY_ENCRYPTION_SECRET: strong, APP_URL: APP });
    expect(config.cookieSecure).toBe(true);
    // The one thing production says without SMTP_URL (the contract): mails stay in the outbox.
    expect(config.warnings).toEqual([expect.stringMatching(/^SMTP_URL is not set: .* written to .*outbox/)]);
    const withSmtp = loadConfig({
      NODE_ENV: 'production',
      JWT_REFRESH_SECRET: strong,
      KEY_ENCRYPTION_SECRET: strong,
      APP_URL: APP,
      SMTP_URL: 'smtps://u:p@mail.example.com',
    });
    expect(withSmtp.warnings).toEqual([]);
  });

  // Red-team finding 8 (issue 25): production without APP_URL mailed http://localhost:PORT links.
  it('refuses to start in production without an https:// APP_URL; development and test keep the localhost default', () => {
    const production = { NODE_ENV: 'production', JWT_REFRESH_SECRET: strong, KEY_ENCRYPTION_SECRET: strong, PORT: '8080' };
    expect(() => loadConfig(production)).toThrow(/APP_URL is required when NODE_ENV=production/);
    for (const insecure of ['http://auth.example.com', 'http://localhost:8080']) {
      expect(() => loadConfig({ ...production, APP_URL: insecure }), insecure).toThrow(
        /APP_URL must be an https:\/\/ URL when NODE_ENV=production/,
      );
    }
    expect(loadConfig({ ...production, APP_URL: 'https://auth.example.com/' }).appUrl).toBe('https://auth.example.com');

    const dir = mkdtempSync(join(tmpdir(), 'tessera-cfg-'));
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, PORT: '8080' }).appUrl).toBe('http://localhost:8080');
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, APP_URL: 'http://localhost:3000' }).appUrl).toBe('http://localhost:3000');
    expect(loadConfig({ NODE_ENV: 'test' }).appUrl).toBe('http://localhost:5000');
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
        loadConfig({ NODE_ENV: 'test', ...env });
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
