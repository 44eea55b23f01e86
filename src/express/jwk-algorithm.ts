import type { JsonWebKey } from 'node:crypto';
import { ALGORITHMS, type Algorithm } from '../lib/algorithms.ts';

/** The algorithms (of those Tessera verifies) a key can sign with, by kty and curve. */
const BY_KEY_TYPE: Record<string, readonly Algorithm[]> = {
  RSA: ['RS256', 'PS256'],
  'EC P-256': ['ES256'],
  'OKP Ed25519': ['EdDSA'],
};

const isAlgorithm = (alg: unknown): alg is Algorithm => (ALGORITHMS as readonly unknown[]).includes(alg);

/**
 * The one algorithm a JWK verifies with: its own `alg` when it names one, else (a key published
 * without `alg`, as Entra ID does) the only algorithm of `allowed` its kty/crv can sign with.
 * Undefined when that is not allowed, or ambiguous (RSA with both RS256 and PS256 allowed):
 * the key is then not used, so one key never verifies under two algorithms.
 */
export function algorithmOf(jwk: JsonWebKey, allowed: ReadonlySet<Algorithm>): Algorithm | undefined {
  if (jwk.alg !== undefined) return isAlgorithm(jwk.alg) && allowed.has(jwk.alg) ? jwk.alg : undefined;
  const family = BY_KEY_TYPE[jwk.kty === 'RSA' ? 'RSA' : `${jwk.kty} ${jwk.crv}`] ?? [];
  const candidates = family.filter((alg) => allowed.has(alg));
  return candidates.length === 1 ? candidates[0] : undefined;
}
