import { READS_NO_INPUT } from '../http/common-schemas.ts';
import { endpoint, type Endpoint } from '../http/endpoint.ts';
import { PAGES, PAGES_CSP, PAGES_CSS, PAGES_JS } from './account-pages.ts';

/** GET /verify-email, /reset-password, /confirm-email and their two assets. */
export function pagesEndpoints(): Endpoint[] {
  const pages = Object.entries(PAGES).map(([path, html]) =>
    endpoint({
      method: 'get',
      path,
      operationId: `page${path.replace(/(^\/|-)(\w)/g, (_m, _sep, c: string) => c.toUpperCase())}`,
      summary: `The page a mailed link opens (${path}?token=…)`,
      access: 'public',
      responses: {
        200: { description: 'HTML page', contentType: 'text/html' },
        no4xx:
          'The server does not read the query: the page’s script sends the link’s `token` to the API, which answers `400 invalid_link` for a dead one. ' +
          READS_NO_INPUT,
      },
      handler({ res }) {
        res.setHeader('Content-Security-Policy', PAGES_CSP);
        res.setHeader('Cache-Control', 'no-store');
        res.type('html').send(html);
      },
    }),
  );
  const asset = (path: string, type: string, body: string, operationId: string) =>
    endpoint({
      method: 'get',
      path,
      operationId,
      summary: `Asset of the account pages (${type})`,
      access: 'public',
      responses: { 200: { description: type, contentType: type === 'css' ? 'text/css' : 'text/javascript' }, no4xx: READS_NO_INPUT },
      handler({ res }) {
        res.setHeader('Cache-Control', 'public, max-age=300');
        res.type(type).send(body);
      },
    });
  // Browsers ask for it on every page; an empty answer beats a logged 404 (and a data: icon would need a looser CSP).
  const favicon = endpoint({
    method: 'get',
    path: '/favicon.ico',
    operationId: 'favicon',
    summary: 'No icon (an empty answer, so browsers stop asking)',
    access: 'public',
    responses: { 204: { description: 'No content' }, no4xx: READS_NO_INPUT },
    handler({ res }) {
      res.setHeader('Cache-Control', 'public, max-age=86400');
      res.status(204).end();
    },
  });
  return [
    ...pages,
    favicon,
    asset('/assets/account.js', 'js', PAGES_JS, 'pageScript'),
    asset('/assets/account.css', 'css', PAGES_CSS, 'pageStyles'),
  ];
}
