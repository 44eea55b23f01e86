import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editDistance } from '../../src/config/edit-distance.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { readEnv } from '../../src/config/read-env.ts';

const strong = 's'.repeat(40);
const PRODUCTION = {
  NODE_ENV: 'production',
  APP_URL: 'https://auth.example.com',
  JWT_REFRESH_SECRET: strong,
  KEY_ENCRYPTION_SECRET: strong,
  SMTP_URL: 'smtps://tessera:secret@mail.example.com',
};

const messageOf = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted the configuration');
};

/** A variable in the environment, and the warning it must give (undefined: none at all). */
const ENVIRONMENT: [name: string, value: string, warning: string | undefined][] = [
  // The issue's typos, each one edit from the setting meant.
  ['DATABSE_URL', 'postgres://db.example.com/tessera', 'DATABSE_URL is not a setting; did you mean DATABASE_URL?'],
  ['TESSERA_WORKER', '2', 'TESSERA_WORKER is not a setting; did you mean TESSERA_WORKERS?'],
  ['JWT_EXPIRE_IN', '1h', 'JWT_EXPIRE_IN is not a setting; did you mean JWT_EXPIRES_IN?'],
  ['LOG_LEVL', 'debug', 'LOG_LEVL is not a setting; did you mean LOG_LEVEL?'],
  ['JWT_REFRESH_SECRETS', strong, 'JWT_REFRESH_SECRETS is not a setting; did you mean JWT_REFRESH_SECRET?'],
  ['LOG_LEVLE', 'debug', 'LOG_LEVLE is not a setting; did you mean LOG_LEVEL?'], // two letters swapped: one edit
  ['COOKIE_SAME_SITE', 'lax', 'COOKIE_SAME_SITE is not a setting; did you mean COOKIE_SAMESITE?'],
  // No listed prefix, but two edits or fewer from a setting of 8 characters or more.
  ['ALLOW_UNKNOWN_SETTING', 'true', 'ALLOW_UNKNOWN_SETTING is not a setting; did you mean ALLOW_UNKNOWN_SETTINGS?'],
  ['DATA_DIRS', '/srv', 'DATA_DIRS is not a setting; did you mean DATA_DIR?'],
  // A known prefix, farther off: the nearest setting of the same prefix if less than half the name differs.
  ['REDIS_HOST', 'cache', 'REDIS_HOST is not a setting; did you mean REDIS_URL?'],
  ['DATABASE_HOST', 'db', 'DATABASE_HOST is not a setting; did you mean DATABASE_URL?'],
  ['PASSKEY_RP_ID', 'example.com', 'PASSKEY_RP_ID is not a setting (every setting: docs/configuration.md)'],
  ['TESSERA_CLUSTER_NAME', 'a', 'TESSERA_CLUSTER_NAME is not a setting (every setting: docs/configuration.md)'],
  // Other programs' variables, with or without one of our prefixes: never a word.
  ['PATH', '/usr/bin', undefined],
  ['HOME', '/root', undefined],
  ['NODE_OPTIONS', '--max-old-space-size=512', undefined],
  ['NODE_EXTRA_CA_CERTS', '/etc/ca.pem', undefined],
  ['npm_config_cache', '/root/.npm', undefined],
  ['npm_lifecycle_event', 'start', undefined],
  ['HTTP_PROXY', 'http://proxy:3128', undefined],
  ['HTTPS_PROXY', 'http://proxy:3128', undefined],
  ['http_proxy', 'http://proxy:3128', undefined],
  ['NO_PROXY', 'localhost', undefined],
  ['KUBERNETES_SERVICE_HOST', '10.0.0.1', undefined],
  ['KUBERNETES_PORT', 'tcp://10.0.0.1:443', undefined],
  ['REDIS_SERVICE_HOST', '10.0.0.3', undefined],
  ['REDIS_SERVICE_PORT_REDIS', '6379', undefined],
  ['REDIS_PORT', 'tcp://10.0.0.3:6379', undefined],
  ['REDIS_PORT_6379_TCP_ADDR', '10.0.0.3', undefined],
  ['TEST_DATABASE_URL', 'postgres://postgres@127.0.0.1/postgres', undefined],
  ['API_URL', 'https://api.example.com', undefined], // one edit from APP_URL, but APP_URL is too short to guess at
  ['HOSTNAME', 'tessera-1', undefined],
  ['PGPASSWORD', 'x', undefined],
  ['REQUIRE_REDIS', '1', undefined],
  ['CI', 'true', undefined],
];

describe('variables that look like settings but are not', () => {
  it.each(ENVIRONMENT)('%s=%s in the environment', (name, value, warning) => {
    const config = loadConfig({ NODE_ENV: 'test', [name]: value });
    expect(config.warnings).toEqual(warning === undefined ? [] : [warning]);
  });

  it.each(ENVIRONMENT.filter(([, , warning]) => warning !== undefined))(
    '%s stops a production start, naming the setting meant, unless ALLOW_UNKNOWN_SETTINGS=true',
    (name, value, warning) => {
      const message = messageOf({ ...PRODUCTION, [name]: value });
      expect(message).toContain(`  - ${warning}`);
      expect(message).toContain('set ALLOW_UNKNOWN_SETTINGS=true');
      expect(loadConfig({ ...PRODUCTION, [name]: value, ALLOW_UNKNOWN_SETTINGS: 'true' }).warnings).toContain(warning);
    },
  );

  it('other programs’ variables never stop a production start', () => {
    const others = Object.fromEntries(ENVIRONMENT.filter(([, , warning]) => warning === undefined).map(([name, value]) => [name, value]));
    expect(loadConfig({ ...PRODUCTION, ...others }).warnings).toEqual([]);
  });

  it('JWT_REFRESH_SECRETS in production: the missing secret and the plural that explains it, in one list', () => {
    const message = messageOf({ ...PRODUCTION, JWT_REFRESH_SECRET: '', JWT_REFRESH_SECRETS: strong });
    expect(message).toMatch(/2 problems/);
    expect(message).toContain('JWT_REFRESH_SECRETS is not a setting; did you mean JWT_REFRESH_SECRET?');
    expect(message).toContain('JWT_REFRESH_SECRET is required when NODE_ENV=production');
  });

  it('outside production they are listed under the problems they may explain', () => {
    const message = messageOf({ NODE_ENV: 'test', LOG_LEVEL: 'loud', LOG_LEVL: 'debug' });
    expect(message).toMatch(/1 problem\b/);
    expect(message).toMatch(/LOG_LEVEL: .*\nAlso:\n {2}- LOG_LEVL is not a setting; did you mean LOG_LEVEL\?/);
  });
});

/** A `.env` file, what must be said about it (after "<path> line "), and values it must still give. */
const ENV_FILES: [what: string, text: string, notes: string[], values: Record<string, string>][] = [
  [
    'a line that is no assignment is reported, and the setting after it is still read',
    'junk line here\nMFA_ISSUER=after the junk\n',
    ['1 is not NAME=value; it was ignored'],
    { MFA_ISSUER: 'after the junk' },
  ],
  ['a mistyped key', 'JWT_EXPIRE_IN=1h\n', ['1: JWT_EXPIRE_IN is not a setting; did you mean JWT_EXPIRES_IN?'], {}],
  [
    'a key with no prefix of ours',
    'LOG_LEVEL=info\nWORKERS=2\n',
    ['2: WORKERS is not a setting (every setting: docs/configuration.md)'],
    {},
  ],
  ['a key in lower case', 'log_level=debug\n', ['1: log_level is not a setting; did you mean LOG_LEVEL?'], {}],
  ['YAML instead of NAME=value', 'LOG_LEVEL: debug\n', ['1 is not NAME=value; it was ignored'], {}],
  ['a value with no name', '=debug\nMFA_ISSUER=x\n', ['1 is not NAME=value; it was ignored'], { MFA_ISSUER: 'x' }],
  [
    'comments, blank lines, export, quotes over several lines and trailing comments are fine',
    '# settings\n\nexport LOG_LEVEL=warn\nMAIL_FROM="Tessera\n<no-reply@example.com>"\nMFA_ISSUER=Acme # the brand\n',
    [],
    { LOG_LEVEL: 'warn', MAIL_FROM: 'Tessera\n<no-reply@example.com>', MFA_ISSUER: 'Acme' },
  ],
  ['other programs’ variables', 'NODE_OPTIONS=--enable-source-maps\nnpm_config_loglevel=warn\n', [], {}],
  [
    'problems in file order',
    'LOG_LEVL=debug\noops\nTESSERA_WORKER=2\n',
    [
      '1: LOG_LEVL is not a setting; did you mean LOG_LEVEL?',
      '2 is not NAME=value; it was ignored',
      '3: TESSERA_WORKER is not a setting; did you mean TESSERA_WORKERS?',
    ],
    {},
  ],
];

describe('.env', () => {
  const write = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-env-')), '.env');
    writeFileSync(file, text);
    return file;
  };

  it.each(ENV_FILES)('%s', (_what, text, notes, values) => {
    const file = write(text);
    const env = readEnv(file);
    // The environment of the test run may set settings (LOG_LEVEL) that win over the file.
    for (const [name, value] of Object.entries(values)) expect(env[name]).toBe(process.env[name] ?? value);
    const warnings = loadConfig({ ...env, NODE_ENV: 'test' }).warnings.filter((warning) => warning.startsWith(file));
    expect(warnings).toEqual(notes.map((note) => `${file} line ${note}`));
  });

  it('a malformed line or an unknown key stops a production start too', () => {
    const file = write('oops\nJWT_EXPIRE_IN=1h\n');
    const message = messageOf({ ...readEnv(file), ...PRODUCTION });
    expect(message).toContain(`${file} line 1 is not NAME=value`);
    expect(message).toContain(`${file} line 2: JWT_EXPIRE_IN is not a setting; did you mean JWT_EXPIRES_IN?`);
  });
});

describe('editDistance', () => {
  it.each([
    ['DATABASE_URL', 'DATABASE_URL', 0],
    ['DATABSE_URL', 'DATABASE_URL', 1], // a letter left out
    ['LOG_LEVLE', 'LOG_LEVEL', 1], // two swapped
    ['PORT', 'PROT', 1],
    ['REDIS_URI', 'REDIS_URL', 1],
    ['', 'PORT', 4],
    ['REDIS_HOST', 'REDIS_URL', 4],
  ])('%s → %s: %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});
