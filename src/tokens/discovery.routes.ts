import { z } from 'zod';
import { EXAMPLE, READS_NO_INPUT } from '../http/common-schemas.ts';
import { endpoint, type Endpoint } from '../http/endpoint.ts';

const CLIENT_AUTH = ['client_secret_basic'] as const;

const MetadataFields = z.object({
  issuer: z.string().meta({ description: 'Exactly the `iss` of the access tokens (JWT_ISSUER, by default APP_URL).' }),
  jwks_uri: z.string(),
  introspection_endpoint: z.string().meta({ description: 'RFC 7662, for service clients.' }),
  introspection_endpoint_auth_methods_supported: z.array(z.literal('client_secret_basic')),
  revocation_endpoint: z.string().meta({ description: 'RFC 7009, for service clients.' }),
  revocation_endpoint_auth_methods_supported: z.array(z.literal('client_secret_basic')),
  service_documentation: z.string(),
  // What the resource-server library reads to hold this issuer's tokens to Tessera's profile,
  // not to RFC 9068 alone (express/discovery.ts); prefixed, as RFC 8414 §2 asks of extensions.
  tessera_access_token_profile: z.literal('tessera').meta({
    description: 'This issuer is a Tessera server: its access tokens carry `sid` and `roles` and are signed low-S (ES256).',
  }),
  tessera_revocation_feed_endpoint: z.string().meta({
    description: 'The revocation feed (Server-Sent Events) for service clients, with HTTP Basic like introspection.',
  }),
});

// Its example: the document of a server whose JWT_ISSUER (or APP_URL) is https://auth.example.com.
const Metadata = MetadataFields.meta({
  id: 'AuthorizationServerMetadata',
  example: authorizationServerMetadata({ issuer: EXAMPLE.issuer, appUrl: EXAMPLE.issuer }),
});

/**
 * Where Tessera's endpoints are, as a discovery client reached them: under the issuer when it is
 * an http(s) URL (the document was fetched from there, which may be an address APP_URL is not:
 * APP_URL can point at an app's own pages), else under APP_URL.
 */
function baseUrl(issuer: string, appUrl: string): string {
  const base = /^https?:\/\//.test(issuer) && URL.canParse(issuer) ? issuer : appUrl;
  return base.replace(/\/+$/, '');
}

/**
 * The metadata of RFC 8414, limited to what Tessera has. Tessera is not an OAuth authorization
 * server in full (its login is its own API, not an authorization or token endpoint) nor an OpenID
 * Provider (no ID tokens), so `authorization_endpoint`, `token_endpoint` and the OpenID fields
 * are absent rather than made up. `response_types_supported`, which RFC 8414 §2 marks required,
 * is absent too: Tessera supports none, §3.2 forbids an empty list, and erratum 7793 makes the
 * field required only where the authorization endpoint is used.
 */
export function authorizationServerMetadata(config: { issuer: string; appUrl: string }): z.infer<typeof MetadataFields> {
  const base = baseUrl(config.issuer, config.appUrl);
  return {
    issuer: config.issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    introspection_endpoint: `${base}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH],
    revocation_endpoint: `${base}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH],
    service_documentation: `${base}/docs`,
    tessera_access_token_profile: 'tessera',
    tessera_revocation_feed_endpoint: `${base}/api/revocations`,
  };
}

/**
 * The discovery documents: resource services find the JWKS (and whether the issuer is Tessera)
 * from the issuer alone. Both paths serve the same metadata: RFC 8414's, and OpenID Connect's for
 * the libraries that only look there (express-oauth2-jwt-bearer tries it first). Cacheable like
 * the JWKS: it changes only with the configuration.
 */
export function discoveryEndpoints(deps: { issuer: string; appUrl: string; maxAgeSeconds: number }): Endpoint[] {
  const metadata = authorizationServerMetadata(deps);
  const document = (operationId: string, path: string, summary: string) =>
    endpoint({
      method: 'get',
      path,
      operationId,
      summary,
      access: 'public',
      responses: {
        200: { schema: Metadata, description: 'Authorization server metadata', headers: ['Cache-Control'] },
        no4xx: READS_NO_INPUT,
      },
      handler({ res }) {
        res.setHeader('Cache-Control', `public, max-age=${deps.maxAgeSeconds}`);
        res.json(metadata);
      },
    });
  return [
    document('authorizationServerMetadata', '/.well-known/oauth-authorization-server', 'Authorization server metadata (RFC 8414)'),
    document('openidConfiguration', '/.well-known/openid-configuration', 'The same metadata, where OpenID Connect discovery looks'),
  ];
}
