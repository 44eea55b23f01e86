/** The signing algorithms Tessera issues and verifies. Plain data: the resource-server library loads this without zod. */
export const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const isHmac = (alg: Algorithm): boolean => alg.startsWith('HS');
