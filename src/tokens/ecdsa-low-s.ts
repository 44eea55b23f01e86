/**
 * ECDSA signatures are malleable: (r, s) and (r, n − s) both verify. Tessera signs ES256 with
 * the low s (s ≤ n/2) and refuses the high one, so a token has exactly one valid form and a
 * variant can never be accepted as, or cached beside, the original (the Bitcoin "low-S" rule).
 */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_ORDER = P256_ORDER >> 1n;
const SCALAR_BYTES = 32;

const toBigInt = (bytes: Buffer): bigint => BigInt(`0x${bytes.toString('hex') || '0'}`);
const toBytes = (value: bigint): Buffer => Buffer.from(value.toString(16).padStart(SCALAR_BYTES * 2, '0'), 'hex');

/** True when a JWS ES256 signature (r‖s, 64 bytes) has s > n/2, or is not 64 bytes at all. */
export function isHighS(signature: Buffer): boolean {
  if (signature.length !== SCALAR_BYTES * 2) return true;
  return toBigInt(signature.subarray(SCALAR_BYTES)) > HALF_ORDER;
}

/** Rewrites a compact ES256 JWS so that its signature has the low s; a low-s token is returned as it is. */
export function withLowS(token: string): string {
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  if (!isHighS(signature)) return token;
  const s = toBigInt(signature.subarray(SCALAR_BYTES));
  const low = Buffer.concat([signature.subarray(0, SCALAR_BYTES), toBytes(P256_ORDER - s)]);
  return `${token.slice(0, dot + 1)}${low.toString('base64url')}`;
}
