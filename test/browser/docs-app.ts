import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { docsAssets, docsEndpoints } from '../../src/http/docs.routes.ts';
import { mountEndpoints, type Access } from '../../src/http/endpoint.ts';

const NO_GUARDS: Record<Access, RequestHandler[]> = { public: [], bearer: [], admin: [], refresh: [], metrics: [], client: [] };

/**
 * The docs page and its assets mounted as app.ts mounts them, behind the same global helmet CSP,
 * with `document` served as /openapi.json.
 */
export function docsApp(document: object = { openapi: '3.1.0', info: { title: 'T', version: '1' }, paths: {} }): Express {
  const app = express();
  app.use(helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } }));
  app.use('/docs/assets', docsAssets());
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  mountEndpoints(app.router, docsEndpoints(), NO_GUARDS);
  app.use((_req, res) => {
    res.status(404).end();
  });
  return app;
}
