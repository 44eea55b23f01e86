import { readFileSync, writeFileSync } from 'node:fs';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tighten } from '../lib/private-files.ts';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

type SecretName = 'JWT_SECRET' | 'JWT_REFRESH_SECRET' | 'KEY_ENCRYPTION_SECRET';

/**
 * Development-only secrets: generated once and kept in <dataDir>/secrets.json so that
 * tokens survive a restart. Never used in production (load-config refuses to start there).
 */
export function devSecret(dataDir: string, name: SecretName, persist: boolean): string {
  if (!persist) return randomBytes(32).toString('base64url');
  const file = join(dataDir, 'secrets.json');
  let stored: Partial<Record<SecretName, string>> = {};
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
  } catch {
    // No file yet (or unreadable): start a new one.
  }
  const existing = stored[name];
  if (existing) {
    tighten(file, PRIVATE_FILE_MODE);
    return existing;
  }
  const secret = randomBytes(32).toString('base64url');
  ensurePrivateDir(dataDir);
  writeFileSync(file, JSON.stringify({ ...stored, [name]: secret }, null, 2), { mode: PRIVATE_FILE_MODE });
  tighten(file, PRIVATE_FILE_MODE);
  return secret;
}
