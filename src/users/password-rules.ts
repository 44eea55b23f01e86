import { dictionary } from '@zxcvbn-ts/language-common';

/** Passwords are compared as the user typed them: NFKC-normalised, counted in code points, never truncated. */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
/** Email local parts shorter than this are not searched for inside passwords (too many false hits). */
const LOCAL_PART_MIN = 3;

const passwordLength = (password: string): number => [...normalizePassword(password)].length;

// A memo of a constant list, built on first use (not state: it never changes once built).
let common: Set<string> | undefined;

/** zxcvbn's list of the most common passwords (about 49,000), those long enough to pass the length rule. */
function isCommon(password: string): boolean {
  common ??= new Set(dictionary.passwords.filter((p) => p.length >= PASSWORD_MIN).map((p) => p.toLowerCase()));
  return common.has(normalizePassword(password).toLowerCase());
}

/** Why a new password is refused on its own (length, a common one), or undefined. */
export function passwordProblem(password: string): string | undefined {
  const length = passwordLength(password);
  if (length < PASSWORD_MIN) return `Must be at least ${PASSWORD_MIN} characters.`;
  if (length > PASSWORD_MAX) return `Must be at most ${PASSWORD_MAX} characters.`;
  if (isCommon(password)) return 'This password is among the most common ones; choose another.';
  return undefined;
}

/** Why a password is refused for this owner (`email`, normalised), or undefined. */
export function passwordEmailProblem(password: string, email: string): string | undefined {
  const lowered = normalizePassword(password).trim().toLowerCase();
  const local = email.split('@')[0] ?? '';
  if (lowered === email) return 'The password must not be the email address.';
  if (local.length >= LOCAL_PART_MIN && lowered.includes(local)) return 'The password must not contain the email name.';
  return undefined;
}
