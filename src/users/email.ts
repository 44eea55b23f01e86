/** One canonical form per address, so case or spacing variants cannot make a second account. */
export const normalizeEmail = (email: string): string => email.normalize('NFKC').trim().toLowerCase();
