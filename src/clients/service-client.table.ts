/** A service allowed to read the revocation feed, introspect and revoke tokens. */
export interface ServiceClientTable {
  /** `client_id`: base64url characters only, so form-encoding it for HTTP Basic changes nothing. */
  id: string;
  name: string;
  /** SHA-256 of the secret (see clients.service.ts for why not a password hash). */
  secretHash: string;
  createdAt: number;
}
