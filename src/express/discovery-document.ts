/**
 * Reading an issuer's metadata: where the document is (OpenID Connect Discovery, RFC 8414) and
 * what must hold before it is used.
 */

/** How requireAuth holds an issuer's tokens: to Tessera's profile, or to RFC 9068 alone. */
export type IssuerProfile = 'tessera' | 'rfc9068';

/**
 * The metadata field by which an issuer says it is a Tessera server (value 'tessera'); Tessera's
 * own documents carry it (tokens/discovery.routes.ts, the same name: it is a wire format).
 */
export const TESSERA_PROFILE_FIELD = 'tessera_access_token_profile';

/** What requireAuth takes from the document. */
export interface IssuerMetadata {
  issuer: string;
  jwksUri: URL;
  profile: IssuerProfile;
}

const TIMEOUT_MS = 5000;

const isHttpUrl = (url: URL): boolean => url.protocol === 'https:' || url.protocol === 'http:';

/** A document that was read and cannot be used; its message names the URL. */
class Unusable extends Error {}

/** Why a fetch failed, as one short phrase: the network error's code (ECONNREFUSED) when there is one. */
const reasonOf = (error: unknown): string => {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
};

/**
 * The issuer as discovery needs it: one http(s) URL without query or fragment (RFC 8414 §2).
 * Checked when requireAuth is built, so a wrong option fails at start-up.
 */
export function discoveryIssuer(issuer: string | string[]): string {
  const list = typeof issuer === 'string' ? [issuer] : issuer;
  if (list.length !== 1) {
    throw new TypeError(
      'requireAuth: without jwksUrl the keys are found from the issuer, which must then be one issuer; with several, give jwksUrl',
    );
  }
  const [only] = list as [unknown];
  const url = typeof only === 'string' && URL.canParse(only) ? new URL(only) : undefined;
  // No query or fragment, even an empty one ('https://auth.example.com/?').
  if (!url || !isHttpUrl(url) || /[?#]/.test(only as string)) {
    throw new TypeError('requireAuth: without jwksUrl, issuer must be the issuer’s http(s) URL (its discovery document is read from it)');
  }
  return only as string;
}

/**
 * Where the document may be, in the order tried: OpenID Connect Discovery's (the issuer, then
 * /.well-known/openid-configuration), then RFC 8414's (the well-known segment inserted between
 * host and path, §3.1). A trailing slash of the issuer's path is dropped in both.
 */
export function discoveryUrls(issuer: string): URL[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  return [
    new URL(`${url.origin}${path}/.well-known/openid-configuration`),
    new URL(`${url.origin}/.well-known/oauth-authorization-server${path}`),
  ];
}

/**
 * The document at `url`, checked: a JSON object whose `issuer` is exactly the configured one
 * (RFC 8414 §3.3: otherwise nothing in it may be used; a document that names another issuer would
 * let whoever serves it choose the keys) and whose `jwks_uri` is an http(s) URL, https when the
 * issuer's is.
 */
async function readDocument(url: URL, issuer: string): Promise<IssuerMetadata> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Unusable(`${url.href} answered ${res.status}`);
  }
  let document: unknown;
  try {
    document = await res.json();
  } catch {
    throw new Unusable(`${url.href} is not JSON`);
  }
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw new Unusable(`${url.href} is not a JSON object`);
  const fields = document as Record<string, unknown>;
  if (fields.issuer !== issuer) {
    throw new Unusable(
      `${url.href} names the issuer ${JSON.stringify(fields.issuer)?.slice(0, 200)}, not ${JSON.stringify(issuer)}: not used (RFC 8414 §3.3)`,
    );
  }
  const jwksUri = typeof fields.jwks_uri === 'string' && URL.canParse(fields.jwks_uri) ? new URL(fields.jwks_uri) : undefined;
  if (!jwksUri || !isHttpUrl(jwksUri) || (new URL(issuer).protocol === 'https:' && jwksUri.protocol !== 'https:')) {
    throw new Unusable(`${url.href} has no usable jwks_uri (an http(s) URL, https for an https issuer)`);
  }
  return { issuer, jwksUri, profile: fields[TESSERA_PROFILE_FIELD] === 'tessera' ? 'tessera' : 'rfc9068' };
}

/** The issuer's metadata from the first place that has a valid document; else why none did. */
export async function fetchIssuerMetadata(issuer: string): Promise<IssuerMetadata> {
  const problems: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    try {
      return await readDocument(url, issuer);
    } catch (error) {
      problems.push(error instanceof Unusable ? error.message : `${url.href}: ${reasonOf(error)}`);
    }
  }
  throw new Error(`no discovery document of ${issuer} could be used: ${problems.join('; ')}`);
}
