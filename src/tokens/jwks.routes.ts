import { Router } from 'express';
import { z } from 'zod';
import type { ApiDocs } from '../http/openapi.ts';
import type { Keystore } from './keystore.ts';

const Jwks = z
  .object({ keys: z.array(z.object({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') }).loose()) })
  .meta({ id: 'JWKS' });

/**
 * The public keys of every key whose tokens may still be live. Cacheable for a short time:
 * never longer than a rotation takes to be picked up.
 */
export function createJwksRouter(deps: { keystore: Keystore; maxAgeSeconds: number; docs: ApiDocs }): Router {
  const router = Router();
  deps.docs.describe({
    method: 'get',
    path: '/.well-known/jwks.json',
    summary: 'Public signing keys (empty in HMAC mode)',
    responses: { 200: { schema: Jwks, description: 'JWK Set' } },
  });
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.setHeader('Cache-Control', `public, max-age=${deps.maxAgeSeconds}`);
    res.json({ keys: deps.keystore.jwks() });
  });
  return router;
}
