import { z } from 'zod';
import { READS_NO_INPUT } from '../http/common-schemas.ts';
import { endpoint, type Endpoint } from '../http/endpoint.ts';
import { JWKS_READ_THROUGH_MS } from './key-publication.ts';
import type { Keystore } from './keystore.ts';

/**
 * How long a JWKS request waits for its read-through. A healthy read takes milliseconds; past
 * this the keys held are served and the read goes on for the next request (a second later).
 */
const JWKS_READ_WAIT_MS = 300;

/** Resolves when `promise` settles or `ms` have passed, whichever is first. */
function withinMs(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise.then(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

const Jwks = z
  .object({ keys: z.array(z.object({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') }).loose()) })
  .meta({
    id: 'JWKS',
    example: {
      keys: [
        {
          kty: 'EC',
          crv: 'P-256',
          x: 'TL5OIgWrFGPB6O6joRiUo6oNsH4sk5H7HaRPhFzBlyg',
          y: 'KOJ5OGCLVH_oXjPNR9VQSynTESKVYuCnH9wWguHTzi4',
          kid: 'DCBVVUg7U7SLYyuQgelbtlHWng9gBH3p1f9Tc1sVFVw',
          alg: 'ES256',
          use: 'sig',
        },
      ],
    },
  });

/**
 * The public keys of every key whose tokens may still be live. Read through: a key published on
 * another instance (or by the CLI) is listed within JWKS_READ_THROUGH_MS, not at the next key
 * poll, so a resource service that looks for it finds it. Cacheable for a short time: the delay
 * before a published key signs counts this max-age in (key-publication.ts).
 */
export function jwksEndpoints(deps: { keystore: Pick<Keystore, 'jwks' | 'reload'>; maxAgeSeconds: number }): Endpoint[] {
  return [
    endpoint({
      method: 'get',
      path: '/.well-known/jwks.json',
      operationId: 'jwks',
      summary: 'Public signing keys (empty in HMAC mode)',
      access: 'public',
      responses: { 200: { schema: Jwks, description: 'JWK Set', headers: ['Cache-Control'] }, no4xx: READS_NO_INPUT },
      async handler({ res }) {
        // With the database unreachable or slow the keys held are still the best answer: a
        // resource service keeps verifying (the key poll logs the failure). So the read is waited
        // for only briefly; a read that hangs (a half-open connection) never holds the JWKS.
        await withinMs(
          deps.keystore.reload({ ifOlderThanMs: JWKS_READ_THROUGH_MS }).catch(() => false),
          JWKS_READ_WAIT_MS,
        );
        res.setHeader('Cache-Control', `public, max-age=${deps.maxAgeSeconds}`);
        res.json({ keys: deps.keystore.jwks() });
      },
    }),
  ];
}
