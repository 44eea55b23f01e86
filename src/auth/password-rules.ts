/** Passwords are compared as the user typed them: NFKC-normalised, counted in code points, never truncated. */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export const passwordLength = (password: string): number => [...normalizePassword(password)].length;
