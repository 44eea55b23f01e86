import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ErrorCode } from './errors.ts';

const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

type ResponseSpec = { schema: z.ZodType; description: string } | { description: string } | ErrorCode[];

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  description?: string;
  bearer?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  params?: z.ZodObject;
  responses: Record<number, ResponseSpec>;
}

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests.
 * Routers describe each endpoint next to its handler.
 */
export function createApiDocs(info: { version: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  let cached: object | undefined;

  return {
    describe(doc: RouteDoc): void {
      cached = undefined;
      const responses = Object.fromEntries(
        Object.entries(doc.responses).map(([status, spec]) => {
          if (Array.isArray(spec)) {
            return [
              status,
              { description: `Problem: ${spec.join(', ')}`, content: { 'application/problem+json': { schema: Problem } } },
            ];
          }
          if ('schema' in spec) {
            return [status, { description: spec.description, content: { 'application/json': { schema: spec.schema } } }];
          }
          return [status, { description: spec.description }];
        }),
      );
      registry.registerPath({
        method: doc.method,
        path: doc.path.replace(/:(\w+)/g, '{$1}'),
        summary: doc.summary,
        ...(doc.description ? { description: doc.description } : {}),
        ...(doc.bearer ? { security: [{ bearer: [] }] } : {}),
        request: {
          ...(doc.body ? { body: { required: true, content: { 'application/json': { schema: doc.body } } } } : {}),
          ...(doc.query ? { query: doc.query } : {}),
          ...(doc.params ? { params: doc.params } : {}),
        },
        responses,
      });
    },

    document(): object {
      cached ??= new OpenApiGeneratorV31(registry.definitions).generateDocument({
        openapi: '3.1.0',
        info: {
          title: 'Tessera',
          version: info.version,
          description: 'JWT authentication server: access and refresh tokens, rotation, revocation, JWKS.',
        },
      });
      return cached;
    },
  };
}

export type ApiDocs = ReturnType<typeof createApiDocs>;
