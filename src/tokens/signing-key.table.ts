export interface SigningKeyTable {
  kid: string;
  alg: string;
  /** Public JWK as JSON text. */
  publicJwk: string;
  /** PKCS#8 private key, AES-256-GCM encrypted under KEY_ENCRYPTION_SECRET. */
  privateKey: string;
  createdAt: number;
  /** When it starts signing: a rotated key is published (in every instance's JWKS) first. */
  activatesAt: number;
  /** When the key stopped signing; it keeps verifying until its last token expires. */
  retiredAt: number | null;
}
