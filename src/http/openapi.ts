import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ErrorCode } from '../lib/errors.ts';
import type { Endpoint, ResponseHeader } from './endpoint.ts';
import { EXAMPLE } from './common-schemas.ts';
import { statusOf, titleFor } from './problem.ts';

const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem document; `code` is stable.' });

/** The detail of each code's example problem: what the server says in the commonest case. */
const EXAMPLE_DETAIL: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'The request has invalid fields.',
  malformed_json: 'The request body is not a valid JSON object.',
  invalid_link: 'This link is invalid, expired or already used. Ask for a new one.',
  invalid_mfa_code: 'The code is wrong, expired or already used.',
  invalid_client: 'The client id or secret is wrong.',
  invalid_credentials: 'The email or password is wrong.',
  missing_token: 'This endpoint needs a Bearer access token.',
  reauth_required: 'Confirm your current password to do this.',
  account_disabled: 'This account is disabled.',
  csrf_failed: 'The X-CSRF-Token header does not match this session.',
  email_unverified: 'Confirm your email address first: follow the link we sent, or ask for a new one.',
  insufficient_role: 'This resource needs a role the token does not carry.',
  not_found: 'Nothing is here.',
  email_taken: 'An account with this email already exists.',
  last_admin: 'This is the last enabled admin: it can neither lose the admin role nor be disabled.',
  payload_too_large: 'The request body is larger than 16 KiB.',
  unsupported_media_type: 'Send the body as application/json.',
  rate_limited: 'Too many requests; try again later.',
  unavailable: 'The service is temporarily unavailable; try again shortly.',
};

/** A problem document as the server writes it for the first of `codes` (http/problem.ts); never empty by construction. */
const problemExample = ([code = 'internal_error']: ErrorCode[], status: number) => ({
  type: `https://tessera.dev/problems/${code.replaceAll('_', '-')}`,
  title: titleFor(status),
  status,
  detail: EXAMPLE_DETAIL[code] ?? `Refused: ${code}.`,
  code,
  ...(code === 'validation_failed' ? { errors: [{ path: 'email', message: 'Must be a valid email address.' }] } : {}),
});

const HEADER_DOCS: Record<
  ResponseHeader | 'Retry-After' | 'WWW-Authenticate' | 'X-Request-Id',
  { description: string; schema: { type: 'string' } }
> = {
  'X-Request-Id': {
    description: 'The id of this request in the server log: the one the client or proxy sent, if plain, else a new UUID.',
    schema: { type: 'string' },
  },
  'Set-Cookie': { description: 'Session cookies (see the cookie security scheme).', schema: { type: 'string' } },
  'Cache-Control': { description: '`no-store` on every response that carries a token.', schema: { type: 'string' } },
  'Retry-After': {
    description: 'Seconds to wait before trying again (the limit resets, or the database is back).',
    schema: { type: 'string' },
  },
  'WWW-Authenticate': {
    description: 'RFC 6750 challenge: `Bearer realm="tessera"`, with `error="invalid_token"` for a refused token.',
    schema: { type: 'string' },
  },
};

const BASIC_CHALLENGE = { description: 'RFC 7617 challenge: `Basic realm="tessera"`.', schema: { type: 'string' as const } };

const BEARER_401: ErrorCode[] = ['missing_token', 'invalid_token', 'token_expired', 'token_revoked'];

/** The error codes an endpoint can answer with: its own, plus what its access level, body and limits imply. */
const USES_DATABASE = /^\/(api\/auth\/|api\/admin\/|oauth\/|api\/revocations$)/;

function errorCodesOf(e: Endpoint): ErrorCode[] {
  const codes = new Set<ErrorCode>(e.responses.errors ?? []);
  if (e.method !== 'get') ['malformed_json', 'payload_too_large', 'unsupported_media_type'].forEach((c) => codes.add(c as ErrorCode));
  if (e.body || e.params || e.query) codes.add('validation_failed');
  if (e.access === 'bearer' || e.access === 'admin') BEARER_401.forEach((c) => codes.add(c));
  if (e.access === 'admin') codes.add('insufficient_role');
  if (e.access === 'metrics') ['missing_token', 'invalid_token', 'not_found'].forEach((c) => codes.add(c as ErrorCode));
  if (e.access === 'client') codes.add('invalid_client');
  // The refresh cookie or its CSRF cookie sent twice (http/cookie-conflict.ts).
  if (e.access === 'refresh') codes.add('cookie_conflict');
  // Every /api/auth request counts against the client's address (RATE_LIMIT_IP_MAX).
  if (e.path.startsWith('/api/auth/')) codes.add('rate_limited');
  // What reads or writes the database answers 503 with Retry-After while it is out of reach
  // (lib/database-unavailable.ts); Bearer-only routes and the pages do not touch it.
  if (USES_DATABASE.test(e.path)) codes.add('unavailable');
  return [...codes];
}

const SECURITY: Record<Endpoint['access'], Record<string, string[]>[]> = {
  public: [],
  bearer: [{ bearer: [] }],
  admin: [{ bearer: [] }],
  // The refresh token comes in the body (no scheme) or the HttpOnly cookie.
  refresh: [{}, { refreshCookie: [] }],
  metrics: [{ metricsToken: [] }],
  client: [{ clientBasic: [] }],
};

function responsesOf(e: Endpoint): Record<string, ResponseConfig> {
  const out: Record<string, ResponseConfig> = {};
  for (const [status, spec] of Object.entries(e.responses)) {
    if (status === 'errors' || status === 'no4xx' || typeof spec !== 'object' || Array.isArray(spec)) continue;
    out[status] = {
      description: spec.description,
      headers: Object.fromEntries([...(spec.headers ?? []), 'X-Request-Id' as const].map((h) => [h, HEADER_DOCS[h]])),
      ...(spec.schema ? { content: { [spec.contentType ?? 'application/json']: { schema: spec.schema } } } : {}),
      ...(!spec.schema && spec.contentType ? { content: { [spec.contentType]: { schema: { type: 'string' } } } } : {}),
    };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  const signedIn = e.access === 'bearer' || e.access === 'admin';
  for (const code of errorCodesOf(e)) {
    const status = statusOf(code, signedIn);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers: Record<string, (typeof HEADER_DOCS)[keyof typeof HEADER_DOCS]> = { 'X-Request-Id': HEADER_DOCS['X-Request-Id'] };
    if (status === 429 || status === 503) headers['Retry-After'] = HEADER_DOCS['Retry-After'];
    if (status === 401 && (e.access === 'bearer' || e.access === 'admin' || e.access === 'metrics'))
      headers['WWW-Authenticate'] = HEADER_DOCS['WWW-Authenticate'];
    if (status === 401 && e.access === 'client') headers['WWW-Authenticate'] = BASIC_CHALLENGE;
    if (status === 400 && e.access === 'refresh') headers['Set-Cookie'] = HEADER_DOCS['Set-Cookie'];
    out[String(status)] = {
      description: `Problem: ${codes.map((c) => `\`${c}\``).join(', ')}`,
      headers,
      content: { 'application/problem+json': { schema: Problem, example: problemExample(codes, status) } },
    };
  }
  return out;
}

const BODY_CONTENT_TYPE = { json: 'application/json', form: 'application/x-www-form-urlencoded' } as const;

function tagOf(path: string): string {
  if (path.startsWith('/oauth/') || path === '/api/revocations') return 'services';
  if (path.split('/')[2] === 'admin') return 'admin';
  return path.startsWith('/api/') ? 'auth' : 'operations';
}

/**
 * The OpenAPI 3.1 document, generated from the endpoint declarations: the same zod schemas
 * that validate requests, and every status an endpoint can answer with.
 */
export function createOpenApiDocument(endpoints: Endpoint[], info: { version: string; serverUrl?: string }): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token.',
  });
  registry.registerComponent('securitySchemes', 'refreshCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'refresh_token',
    description: 'The HttpOnly refresh cookie; requests that use it must send `X-CSRF-Token`.',
  });
  registry.registerComponent('securitySchemes', 'clientBasic', {
    type: 'http',
    scheme: 'basic',
    description: 'A service client’s `client_id` and `client_secret` (`tessera client create`), RFC 6749 §2.3.1.',
  });
  registry.registerComponent('securitySchemes', 'metricsToken', { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN.' });
  const csrfHeader = z.string().max(256).meta({
    description: 'The session’s CSRF token; required when the refresh token comes from the cookie.',
    example: EXAMPLE.opaqueToken,
  });

  for (const e of endpoints) {
    registry.registerPath({
      method: e.method,
      path: e.path.replace(/:(\w+)/g, '{$1}'),
      operationId: e.operationId,
      summary: e.summary,
      ...(e.description ? { description: e.description } : {}),
      ...(e.responses.no4xx ? { 'x-no-4xx': e.responses.no4xx } : {}),
      tags: [tagOf(e.path)],
      security: SECURITY[e.access],
      request: {
        ...(e.body ? { body: { required: e.access !== 'refresh', content: { [BODY_CONTENT_TYPE[e.bodyType]]: { schema: e.body } } } } : {}),
        ...(e.query ? { query: e.query as z.ZodObject } : {}),
        ...(e.params ? { params: e.params as z.ZodObject } : {}),
        ...(e.access === 'refresh' ? { headers: z.object({ 'X-CSRF-Token': csrfHeader.optional() }) } : {}),
      },
      responses: responsesOf(e),
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Tessera',
      version: info.version,
      description: 'JWT authentication server: access and refresh tokens, rotation, revocation, JWKS.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: info.serverUrl ?? '/', description: 'This server' }],
    tags: [
      { name: 'auth', description: 'Accounts, tokens and sessions' },
      { name: 'admin', description: 'User administration (role admin)' },
      { name: 'services', description: 'For other services: introspection, revocation, the revocation feed (service clients)' },
      { name: 'operations', description: 'Health, metrics, keys and this document' },
    ],
  });
}
