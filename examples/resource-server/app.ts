import express from 'express';
import { problemHandler, requireAuth, requireRole, type RevocationFeedOptions } from '../../src/express/index.ts';

/**
 * A second service that trusts Tessera's access tokens without sharing any secret: it knows the
 * JWKS URL, the issuer and the audience, and, given a service client, the revocation feed.
 */
export function createResourceServer(options: {
  jwksUrl: string;
  /** Tessera's `iss`: its APP_URL, unless it sets JWT_ISSUER. */
  issuer: string;
  audience?: string;
  revocations?: RevocationFeedOptions;
}) {
  const app = express();
  const auth = requireAuth({
    jwksUrl: options.jwksUrl,
    issuer: options.issuer,
    audience: options.audience ?? 'tessera-api',
    ...(options.revocations ? { revocations: options.revocations } : {}),
  });

  app.get('/orders', auth, (req, res) => {
    res.json({ orders: [], for: req.auth!.sub });
  });
  app.get('/reports', auth, requireRole('admin'), (_req, res) => {
    res.json({ reports: ['quarterly'] });
  });
  app.use(problemHandler());
  return app;
}
