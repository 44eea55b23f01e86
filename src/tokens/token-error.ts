/** Why a token was refused; mapped to the contract's codes by the HTTP layer. */
export type TokenFailure = 'invalid' | 'expired' | 'revoked' | 'unknown_key';

export class TokenError extends Error {
  override name = 'TokenError';
  constructor(
    readonly reason: TokenFailure,
    /** Safe to show a client: says which check failed, never key material. */
    readonly detail: string,
  ) {
    super(detail);
  }
}
