import { createSigner } from 'fast-jwt';
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

type Sign = (payload: Record<string, unknown>) => string;

/** The auth server's access tokens: signed with the keystore's active key, verified like any resource server does. */
export function createAccessTokens(options: AccessTokenOptions) {
  const { keystore, clock, issuer, audience, ttlSeconds } = options;
  const verifier = createAccessTokenVerifier({ ...options, keys: keystore });
  const signers = new Map<string, Sign>();

  const signerFor = (entry: KeyEntry): Sign => {
    let sign = signers.get(entry.kid);
    if (!sign) {
      if (!entry.signingKey) throw new Error(`key ${entry.kid} cannot sign`);
      const signer: Sign = createSigner({
        key: entry.signingKey,
        algorithm: entry.alg,
        header: { alg: entry.alg, typ: ACCESS_TOKEN_TYPE, kid: entry.kid },
      });
      // ECDSA signatures are malleable: Tessera issues only the low-S form (see ecdsa-low-s.ts).
      sign = entry.alg === 'ES256' ? (payload) => withLowS(signer(payload)) : signer;
      signers.set(entry.kid, sign);
    }
    return sign;
  };

  return {
    ttlSeconds,
    verify: (token: string) => verifier.verify(token),
    cacheSize: () => verifier.cacheSize(),

    /**
     * `amr`: the methods the session's login proved (RFC 8176), `["pwd"]` unless told otherwise;
     * `authTime` (epoch ms): when it proved them, now unless told otherwise.
     */
    sign(subject: { sub: string; roles: string[]; sid: string; amr?: string[]; authTime?: number }): {
      token: string;
      claims: AccessClaims;
    } {
      const iat = Math.floor(clock.now() / 1000);
      const claims: AccessClaims = {
        iss: issuer,
        aud: audience,
        sub: subject.sub,
        roles: subject.roles,
        sid: subject.sid,
        amr: subject.amr ?? ['pwd'],
        auth_time: subject.authTime === undefined ? iat : Math.floor(subject.authTime / 1000),
        jti: newId(clock.now()),
        iat,
        exp: iat + ttlSeconds,
      };
      return { token: signerFor(keystore.active())(claims as unknown as Record<string, unknown>), claims };
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
