/**
 * Micro-benchmarks of what every authenticated request pays: the revocation check and the
 * access-token verification (with and without the verification cache).
 *
 *   npm run bench:micro
 */
import { createMemoryRevocationIndex } from '../src/lib/revocation-index.ts';
import { createAccessTokens } from '../src/tokens/access-token.ts';
import { createHmacKeystore } from '../src/tokens/hmac-keystore.ts';
import { generatePrivateKey, publicJwk, thumbprint } from '../src/tokens/key-material.ts';
import { createPublicKey } from 'node:crypto';
import type { Keystore } from '../src/tokens/keystore.ts';
import { systemClock } from '../src/lib/clock.ts';

/** Prints and returns the nanoseconds an operation takes, less `minusNs`. */
function perOp(label: string, iterations: number, fn: (i: number) => unknown, minusNs = 0): number {
  for (let i = 0; i < Math.min(iterations, 10_000); i += 1) fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) fn(i);
  const ns = Number(process.hrtime.bigint() - start) / iterations - minusNs;
  console.log(`${label.padEnd(58)} ${ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(2)} µs`}/op`);
  return ns;
}

// Revocation index: a Map lookup of sid and jti, whatever its size.
for (const size of [0, 10_000, 100_000]) {
  const index = createMemoryRevocationIndex(systemClock);
  const now = Date.now();
  index.apply(Array.from({ length: size }, (_, i) => ({ id: `sid-${i}`, kind: 'sid' as const, createdAt: now, expiresAt: now + 900_000 })));
  perOp(`revocation check, ${size.toLocaleString()} revoked sessions (miss)`, 2_000_000, (i) =>
    index.isRevoked(`live-${i & 1023}`, `jti-${i & 1023}`),
  );
  if (size)
    perOp(`revocation check, ${size.toLocaleString()} revoked sessions (hit)`, 2_000_000, (i) => index.isRevoked(`sid-${i % size}`, 'x'));
}

// Access-token verification, ES256 and HS256, uncached and cached.
function es256Keystore(): Keystore {
  const privateKey = generatePrivateKey('ES256');
  const kid = thumbprint(createPublicKey(privateKey).export({ format: 'jwk' }));
  const entry = {
    kid,
    alg: 'ES256' as const,
    verifyKey: createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString(),
    signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    jwk: publicJwk(privateKey, kid, 'ES256'),
    createdAt: 0,
    activatesAt: 0,
    retiredAt: null,
  };
  const hmac = createHmacKeystore(Buffer.alloc(32), 'HS256');
  return { ...hmac, active: () => entry, find: (k) => (k === kid ? entry : undefined), list: () => [entry] };
}

for (const [name, keystore] of [
  ['ES256', es256Keystore()],
  ['HS256', createHmacKeystore(Buffer.from('x'.repeat(32)), 'HS256')],
] as const) {
  const options = { keystore, clock: systemClock, issuer: 'tessera', audience: 'tessera-api', ttlSeconds: 900, clockToleranceSeconds: 5 };
  const uncached = createAccessTokens({ ...options, cacheSize: 0 });
  const cached = createAccessTokens({ ...options, cacheSize: 10_000 });
  const token = uncached.sign({ sub: 'user', roles: ['user'], sid: 'session' }).token;
  perOp(`verify ${name}, no cache`, name === 'ES256' ? 20_000 : 200_000, () => uncached.verify(token));
  // A server reads each request's token into a new string, whose hash V8 has not computed yet:
  // the same string object every call would make a lookup look cheaper than it is. Each call
  // here gets a new copy; the copy's own cost is measured apart and taken off.
  for (const pool of [1, 10_000]) {
    const copies = Array.from({ length: pool }, (_, i) =>
      Buffer.from(uncached.sign({ sub: `user-${i}`, roles: ['user'], sid: `session-${i}` }).token, 'latin1'),
    );
    for (const copy of copies) cached.verify(copy.toString('latin1'));
    if (cached.cacheSize() < pool) throw new Error(`the cache holds ${cached.cacheSize()} of ${pool} tokens: not all hits`);
    const copyNs = perOp(`  a new string of the token (taken off the next line)`, 2_000_000, (i) => copies[i % pool]!.toString('latin1'));
    perOp(
      `verify ${name}, cache hit, ${pool.toLocaleString()} token(s) cycled`,
      2_000_000,
      (i) => cached.verify(copies[i % pool]!.toString('latin1')),
      copyNs,
    );
  }
}
