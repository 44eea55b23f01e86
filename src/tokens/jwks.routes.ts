import { z } from 'zod';
import { endpoint, type Endpoint } from '../http/endpoint.ts';
import type { Keystore } from './keystore.ts';

const Jwks = z
  .object({ keys: z.array(z.object({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') }).loose()) })
  .meta({ id: 'JWKS' });

/**
 * The public keys of every key whose tokens may still be live. Cacheable for a short time:
 * never longer than a rotation takes to be picked up.
 */
export function jwksEndpoints(deps: { keystore: Pick<Keystore, 'jwks'>; maxAgeSeconds: number }): Endpoint[] {
  return [
    endpoint({
      method: 'get',
      path: '/.well-known/jwks.json',
      operationId: 'jwks',
      summary: 'Public signing keys (empty in HMAC mode)',
      access: 'public',
      responses: { 200: { schema: Jwks, description: 'JWK Set', headers: ['Cache-Control'] } },
      handler({ res }) {
        res.setHeader('Cache-Control', `public, max-age=${deps.maxAgeSeconds}`);
        res.json({ keys: deps.keystore.jwks() });
      },
    }),
  ];
}
