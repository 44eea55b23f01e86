import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * Tessera's files hold password hashes, encrypted private keys, secrets and client addresses:
 * folders are 0700 and files 0600, so other accounts on the machine read none of them.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) 0700; an existing one is tightened to 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir, PRIVATE_DIR_MODE);
}

/** Creates `file` empty and 0600 if missing; an existing one is tightened to 0600. */
export function ensurePrivateFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  tighten(file, PRIVATE_FILE_MODE);
}

/**
 * Removes group and other permissions from an existing path; a missing one is left alone, and
 * so is a shared folder (sticky bit, as /tmp has): taking it over would break others.
 * setuid/setgid bits are kept.
 */
export function tighten(path: string, mode: number): void {
  let current: number;
  try {
    current = statSync(path).mode & 0o7777;
  } catch {
    return;
  }
  if ((current & 0o1000) !== 0) return;
  if ((current & 0o077) !== 0) chmodSync(path, (current & 0o6000) | (current & mode));
}
