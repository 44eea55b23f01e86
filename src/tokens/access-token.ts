import { constants, createPrivateKey, sign as signOnThreadPool, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { isHmac } from '../lib/algorithms.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { createAccessTokenVerifier, type AccessTokenVerifierOptions } from './access-token-verifier.ts';
import type { AccessClaims } from './claims.ts';
import { withLowS } from './ecdsa-low-s.ts';
import type { KeyEntry, Keystore } from './keystore.ts';

const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenOptions extends Omit<AccessTokenVerifierOptions, 'keys'> {
  keystore: Keystore;
  clock: Clock;
  ttlSeconds: number;
}

type Sign = (payload: Record<string, unknown>) => Promise<string>;

/** The digest and options node:crypto signs an asymmetric JWS algorithm with (RFC 7518 §3, RFC 8037). */
function signatureOptions(entry: KeyEntry, key: KeyObject): { digest: string | null; options: SignKeyObjectInput } {
  switch (entry.alg) {
    case 'ES256':
      // JWS wants r‖s, not DER.
      return { digest: 'sha256', options: { key, dsaEncoding: 'ieee-p1363' } };
    case 'RS256':
      return { digest: 'sha256', options: { key, padding: constants.RSA_PKCS1_PADDING } };
    case 'PS256':
      return { digest: 'sha256', options: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } };
    case 'EdDSA':
      return { digest: null, options: { key } };
    default:
      throw new Error(`no asymmetric signature for ${entry.alg}`);
  }
}

/**
 * An asymmetric key signs on libuv's thread pool (node:crypto's `sign` with a callback): an
 * ES256 signature is the largest single cost of a refresh or a login on the event loop, and
 * fast-jwt signs only synchronously. fast-jwt still verifies every token, ours included, and
 * signs with HMAC keys, whose signature costs less than the hop to another thread.
 */
function createSign(entry: KeyEntry): Sign {
  if (!entry.signingKey) throw new Error(`key ${entry.kid} cannot sign`);
  const header = { alg: entry.alg, typ: ACCESS_TOKEN_TYPE, kid: entry.kid };
  if (isHmac(entry.alg)) {
    const signer = createSigner({ key: entry.signingKey, algorithm: entry.alg, header });
    return async (payload) => signer(payload);
  }
  const { digest, options } = signatureOptions(entry, createPrivateKey(entry.signingKey));
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  return (payload) =>
    new Promise((resolve, reject) => {
      const input = `${encodedHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      signOnThreadPool(digest, Buffer.from(input), options, (error, signature) => {
        if (error) return reject(error);
        const token = `${input}.${signature.toString('base64url')}`;
        // ECDSA signatures are malleable: Tessera issues only the low-S form (see ecdsa-low-s.ts).
        resolve(entry.alg === 'ES256' ? withLowS(token) : token);
      });
    });
}

/** The auth server's access tokens: signed with the keystore's active key, verified like any resource server does. */
export function createAccessTokens(options: AccessTokenOptions) {
  const { keystore, clock, issuer, audience, ttlSeconds } = options;
  const verifier = createAccessTokenVerifier({ ...options, keys: keystore });
  const signers = new Map<string, Sign>();

  const signerFor = (entry: KeyEntry): Sign => {
    let sign = signers.get(entry.kid);
    if (!sign) {
      sign = createSign(entry);
      signers.set(entry.kid, sign);
    }
    return sign;
  };

  return {
    ttlSeconds,
    verify: (token: string) => verifier.verify(token),
    cacheSize: () => verifier.cacheSize(),

    /** `amr`: the methods the session's login proved (RFC 8176), `["pwd"]` unless told otherwise. */
    async sign(subject: { sub: string; roles: string[]; sid: string; amr?: string[] }): Promise<{ token: string; claims: AccessClaims }> {
      const iat = Math.floor(clock.now() / 1000);
      const claims: AccessClaims = {
        iss: issuer,
        aud: audience,
        sub: subject.sub,
        roles: subject.roles,
        sid: subject.sid,
        amr: subject.amr ?? ['pwd'],
        jti: newId(clock.now()),
        iat,
        exp: iat + ttlSeconds,
      };
      return { token: await signerFor(keystore.active())(claims as unknown as Record<string, unknown>), claims };
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
