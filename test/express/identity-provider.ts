import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import express from 'express';
import { SignJWT, type JWTPayload } from 'jose';
import { problemHandler, requireAuth, requireRole, requireScope, type RequireAuthOptions } from '../../src/express/index.ts';
import { listen } from '../helpers/listen.ts';

/** One signing key of a pretend identity provider, and the JWK it publishes. */
export interface IdpKey {
  kid: string;
  alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  privateKey: KeyObject;
  jwk: JsonWebKey;
}

export function makeKey(kid: string, alg: IdpKey['alg'], { publishAlg = true } = {}): IdpKey {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk: JsonWebKey = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', ...(publishAlg ? { alg } : {}) };
  return { kid, alg, privateKey, jwk };
}

/** A token signed with `key`; `typ` undefined leaves the header without one (as Auth0 may). */
export function mint(key: IdpKey, payload: JWTPayload, typ?: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...(typ ? { typ } : {}) }).sign(key.privateKey);
}

/** A JWKS endpoint on 127.0.0.1 publishing `keys` (the list may be changed between requests). */
export async function serveJwks(keys: IdpKey[]) {
  const app = express();
  app.get('/jwks', (_req, res) => {
    res.json({ keys: keys.map((key) => key.jwk) });
  });
  const server = await listen(app);
  return { jwksUrl: `${server.url}/jwks`, close: server.close };
}

/** A resource server: /me answers req.auth, /admin needs the role admin, /scoped needs `scopes`. */
export function resourceServer(options: RequireAuthOptions, scopes: string[] = ['orders:read']) {
  const app = express();
  const auth = requireAuth(options);
  app.get('/me', auth, (req, res) => {
    res.json(req.auth);
  });
  app.get('/admin', auth, requireRole('admin'), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/scoped', auth, requireScope(...scopes), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(problemHandler());
  return app;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The other valid form of an ES256 token: (r, s) → (r, n − s). */
export function flipS(token: string): string {
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return `${token.slice(0, dot + 1)}${Buffer.concat([signature.subarray(0, 32), flipped]).toString('base64url')}`;
}
