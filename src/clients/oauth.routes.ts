import { z } from 'zod';
import { clientInfo } from '../http/client-info.ts';
import { EXAMPLE } from '../http/common-schemas.ts';
import { endpoint, type Endpoint } from '../http/endpoint.ts';
import type { AccessClaims } from '../tokens/claims.ts';
import { TokenError } from '../tokens/token-error.ts';

/** RFC 7662 §2.1 / RFC 7009 §2.1: `token`, and a hint we may ignore (both RFCs allow it). */
const TokenForm = z.object({
  token: z.string().min(1).max(8192).meta({ example: EXAMPLE.accessToken }),
  token_type_hint: z.string().max(64).optional().meta({ example: 'access_token' }),
});

const Introspection = z
  .object({
    active: z.boolean(),
    token_type: z.literal('access_token').optional(),
    sub: z.string().optional(),
    sid: z.string().optional(),
    jti: z.string().optional(),
    roles: z.array(z.string()).optional(),
    iss: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    iat: z.number().int().optional(),
    exp: z.number().int().optional(),
    amr: z.array(z.string()).optional().meta({ description: 'How the session logged in (RFC 8176): `["pwd"]` or `["pwd","otp"]`.' }),
  })
  .meta({
    id: 'Introspection',
    example: {
      active: true,
      token_type: 'access_token',
      sub: EXAMPLE.userId,
      sid: EXAMPLE.sessionId,
      jti: EXAMPLE.accessTokenId,
      roles: ['user'],
      iss: EXAMPLE.issuer,
      aud: 'tessera-api',
      iat: EXAMPLE.issuedAt,
      exp: EXAMPLE.issuedAt + 900,
      amr: ['pwd'],
    },
  });

export interface OAuthDeps {
  accessTokens: { verify(token: string): AccessClaims };
  isRevoked(claims: AccessClaims): boolean;
  /** Reloads signing keys after an unknown `kid` (rate-limited); true if anything changed. */
  reloadKeys(): Promise<boolean>;
  sessions: {
    logout(refreshToken: string, client: ReturnType<typeof clientInfo>): Promise<void>;
    revokeAccessToken(claims: { jti: string; exp: number }): Promise<void>;
  };
}

/**
 * The OAuth endpoints for other services (client authentication, form bodies as their RFCs
 * require): RFC 7662 introspection and RFC 7009 revocation.
 */
export function oauthEndpoints(deps: OAuthDeps): Endpoint[] {
  /** The claims of a live (signed by us, unexpired) access token, or undefined; revocation is the caller's check. */
  const verifiedAccessToken = async (token: string): Promise<AccessClaims | undefined> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return deps.accessTokens.verify(token);
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        // A key another instance has just published: reload once, as requireAuth does.
        if (error.reason !== 'unknown_key' || attempt > 0 || !(await deps.reloadKeys())) return undefined;
      }
    }
  };

  return [
    endpoint({
      method: 'post',
      path: '/oauth/introspect',
      operationId: 'introspectToken',
      summary: 'Token introspection (RFC 7662): whether an access token is live, and its claims',
      description: 'Form-encoded. A revoked, expired, malformed or foreign token, and any refresh token, is `{ "active": false }`.',
      access: 'client',
      bodyType: 'form',
      body: TokenForm,
      responses: { 200: { schema: Introspection, description: 'The token’s state', headers: ['Cache-Control'] } },
      async handler({ body, res }) {
        res.setHeader('Cache-Control', 'no-store');
        const claims = await verifiedAccessToken(body.token);
        if (!claims || deps.isRevoked(claims)) {
          res.json({ active: false });
          return;
        }
        const { sub, sid, jti, roles, iss, aud, iat, exp, amr } = claims;
        // amr beyond the contract's list (RFC 7662 allows more): a service that needs MFA can check it too.
        res.json({ active: true, token_type: 'access_token', sub, sid, jti, roles, iss, aud, iat, exp, ...(amr ? { amr } : {}) });
      },
    }),

    endpoint({
      method: 'post',
      path: '/oauth/revoke',
      operationId: 'revokeToken',
      summary: 'Token revocation (RFC 7009): a refresh token ends its session; an access token is revoked',
      description: 'Form-encoded. Always `200` for an authenticated client, whatever the token (RFC 7009 §2.2).',
      access: 'client',
      bodyType: 'form',
      body: TokenForm,
      responses: { 200: { description: 'Done (or nothing to do)', headers: ['Cache-Control'] } },
      async handler({ body, req, res }) {
        const claims = await verifiedAccessToken(body.token);
        if (claims) await deps.sessions.revokeAccessToken(claims);
        else await deps.sessions.logout(body.token, clientInfo(req));
        res.setHeader('Cache-Control', 'no-store');
        res.status(200).end();
      },
    }),
  ];
}
