/**
 * One resource server of the bench's resource-server group: Express 5 and `GET /r` answering a
 * small JSON, behind the authentication stack RS_STACK names, run in its own process. From the
 * environment: PORT, RS_STACK, JWKS_URL, JWT_ISSUER, JWT_AUDIENCE, and RS_OPTIONS (JSON, optional)
 * merged into the stack's own options, so a variant (requireAuth with other options, say) is one
 * entry in bench/lib/resource-servers.ts and no code here.
 */
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { expressjwt } from 'express-jwt';
import { auth } from 'express-oauth2-jwt-bearer';
import { expressJwtSecret, passportJwtSecret } from 'jwks-rsa';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
// The built library, through the package's own exports (dist/express/index.js), as users import it.
import { problemHandler, requireAuth, type RequireAuthOptions } from 'tessera-auth/express';
import { STACKS, type Stack } from './lib/stacks.ts';

const port = Number(process.env.PORT ?? 4000);
const stack = process.env.RS_STACK as Stack;
if (!STACKS.includes(stack)) throw new Error(`RS_STACK must be one of ${STACKS.join(', ')}`);
const jwksUri = process.env.JWKS_URL ?? 'http://127.0.0.1:5000/.well-known/jwks.json';
const issuer = process.env.JWT_ISSUER ?? 'tessera';
const audience = process.env.JWT_AUDIENCE ?? 'tessera-api';
const extra = JSON.parse(process.env.RS_OPTIONS ?? '{}') as Record<string, unknown>;

/** What every stack answers on success; the bench checks that the protected ones match `bare`. */
const answer: RequestHandler = (_req, res) => {
  res.json({ message: 'ok' });
};

/** The peers' failures (UnauthorizedError, InvalidTokenError…) carry a status: a small JSON body. */
const peerErrors: ErrorRequestHandler = (error: { status?: number; code?: string }, _req, res, _next) => {
  res.status(error.status ?? 500).json({ error: error.code ?? 'error' });
};

function build(): express.Express {
  const app = express();
  switch (stack) {
    case 'bare':
      app.get('/r', answer);
      return app;

    case 'requireAuth':
      app.get(
        '/r',
        requireAuth({ jwksUrl: jwksUri, issuer, audience, algorithms: ['ES256'], ...(extra as Partial<RequireAuthOptions>) }),
        answer,
      );
      app.use(problemHandler());
      return app;

    // express-jwt (jsonwebtoken) with the key jwks-rsa fetches and caches. Neither checks `typ`.
    case 'express-jwt':
      app.get(
        '/r',
        expressjwt({
          secret: expressJwtSecret({ jwksUri, cache: true, rateLimit: true }),
          algorithms: ['ES256'],
          issuer,
          audience,
          ...extra,
        }),
        answer,
      );
      app.use(peerErrors);
      return app;

    // Auth0's middleware (jose). What Tessera's tokens over plain http on loopback needed:
    // - `jwksUri` + `issuer`, not `issuerBaseURL`: that one runs OpenID/OAuth discovery, a fetch
    //   at start-up that the other libraries here are not asked to do either.
    // - `validators: { typ: 'at+jwt' }` to check `typ` as requireAuth does: the default
    //   (`strict: false`) checks no `typ`, and `strict: true` would also demand `client_id`,
    //   which Tessera's user tokens do not carry (RFC 9068 wants it).
    // - nothing for http: jose fetches an http:// jwksUri; DPoP stays at its default (allowed,
    //   not required), which leaves a Bearer token without `cnf` alone.
    case 'express-oauth2-jwt-bearer':
      app.get('/r', auth({ jwksUri, issuer, audience, tokenSigningAlg: 'ES256', validators: { typ: 'at+jwt' }, ...extra }), answer);
      app.use(peerErrors);
      return app;

    // passport-jwt (jsonwebtoken) with jwks-rsa's key provider; no session.
    case 'passport-jwt':
      passport.use(
        new JwtStrategy(
          {
            jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
            secretOrKeyProvider: passportJwtSecret({ jwksUri, cache: true, rateLimit: true }),
            algorithms: ['ES256'],
            issuer,
            audience,
            ...extra,
          },
          (payload: object, done: (error: unknown, user?: object) => void) => done(null, payload),
        ),
      );
      app.use(passport.initialize());
      app.get('/r', passport.authenticate('jwt', { session: false }) as RequestHandler, answer);
      app.use(peerErrors);
      return app;
  }
}

// A pino-shaped info line: the bench echoes only warnings and lines that are not JSON.
build().listen(port, '127.0.0.1', () => console.log(JSON.stringify({ level: 30, msg: `resource-server listening (${stack}) on ${port}` })));
