/**
 * Here rather than in tokens/, with the rest of the claims: the HTTP edge (http/endpoint.ts) types
 * a Bearer endpoint's `auth` with it, and http/ imports no domain folder.
 */
/** The claims of a Tessera access token (RFC 9068 profile plus `roles` and `sid`). */
export interface AccessClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  roles: string[];
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  nbf?: number;
  /**
   * RFC 8176 methods the login proved: `["pwd"]`, or `["pwd", "otp"]` after a second factor.
   * Every token Tessera issues carries it; optional when verifying, so that tokens issued before
   * it existed (and the library's default `requiredClaims`) keep working.
   */
  amr?: string[];
  /**
   * When the session last proved a credential (seconds; RFC 9068 / OIDC): a refresh keeps it.
   * Optional when verifying, for tokens issued before it existed.
   */
  auth_time?: number;
}
