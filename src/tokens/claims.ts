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
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Checks the shape of a verified payload; a signed token from elsewhere may still lack our claims. */
export function isAccessClaims(payload: Record<string, unknown>): payload is Record<string, unknown> & AccessClaims {
  return (
    isString(payload.sub) &&
    isString(payload.sid) &&
    isString(payload.jti) &&
    typeof payload.iat === 'number' &&
    typeof payload.exp === 'number' &&
    Array.isArray(payload.roles) &&
    payload.roles.every(isString)
  );
}
