import { VERSION } from '../version.ts';
import { READS_NO_INPUT } from './common-schemas.ts';
import { endpoint, type Endpoint } from './endpoint.ts';

/**
 * GET / in a browser: what this server is and where to go, instead of a JSON 404. Static HTML
 * with the account pages' stylesheet and no script, so its CSP allows nothing else.
 */
export const HOME_CSP = ["default-src 'none'", "style-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join(
  '; ',
);

/** The places an operator or a developer looks first; every one is served by this process. */
const LINKS: readonly [href: string, text: string][] = [
  ['/docs', 'API reference'],
  ['/openapi.json', 'OpenAPI document'],
  ['/healthz', 'Liveness (/healthz)'],
  ['/readyz', 'Readiness: the database and Redis answer (/readyz)'],
  ['/.well-known/jwks.json', 'Signing keys (JWKS)'],
  ['/.well-known/oauth-authorization-server', 'Metadata, for resource servers (RFC 8414)'],
];

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera ${VERSION}</title>
<link rel="stylesheet" href="/assets/account.css">
</head>
<body>
<main>
<h1>Tessera</h1>
<p>An authentication server: accounts, sessions and signed access tokens for your services. Version ${VERSION}.</p>
<ul>
${LINKS.map(([href, text]) => `<li><a href="${href}">${text}</a></li>`).join('\n')}
</ul>
</main>
</body>
</html>
`;

export function homeEndpoints(): Endpoint[] {
  return [
    endpoint({
      method: 'get',
      path: '/',
      operationId: 'home',
      summary: 'A small page naming this server and its version, with links to the API reference and the health endpoints',
      access: 'public',
      responses: { 200: { description: 'HTML page', contentType: 'text/html' }, no4xx: READS_NO_INPUT },
      handler({ res }) {
        res.setHeader('Content-Security-Policy', HOME_CSP);
        res.type('html').send(PAGE);
      },
    }),
  ];
}
