import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * What a generated client needs of /openapi.json (issue 28 item 7): a body type for every answer
 * with a body, `format: date-time` on every time, an example wherever a reader would otherwise see
 * "string", and a 4xx on every operation that can answer one. Read from the served document.
 */

type Json = Record<string, unknown>;
type Schema = Json & { $ref?: string; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[] };
interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema?: Schema; example?: unknown }> }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  parameters?: { name: string; in: string; schema: Schema; example?: unknown }[];
  'x-no-4xx'?: string;
}

const operationsOf = (doc: Json): [string, Operation][] =>
  Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  );

/** Every schema reachable from `schema`, each named by its path, with whether an enclosing schema carries an example. */
function* leaves(
  doc: Json,
  schema: Schema | undefined,
  at: string,
  covered = false,
  seen = new Set<string>(),
): Generator<[string, Schema, boolean]> {
  if (!schema) return;
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    if (seen.has(name)) return;
    seen.add(name);
    yield* leaves(doc, ((doc.components as Json).schemas as Record<string, Schema>)[name], name, covered, seen);
    return;
  }
  const own = covered || schema.example !== undefined || schema.examples !== undefined;
  yield [at, schema, own];
  for (const [key, property] of Object.entries(schema.properties ?? {})) yield* leaves(doc, property, `${at}.${key}`, own, seen);
  yield* leaves(doc, schema.items, `${at}[]`, own, seen);
  for (const [i, branch] of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].entries())
    yield* leaves(doc, branch, `${at}|${i}`, own, seen);
}

const typesOf = (schema: Schema): string[] => [schema.type ?? []].flat() as string[];

describe('the OpenAPI document, strictly', () => {
  let t: TestApp;
  let doc: Json;
  beforeAll(async () => {
    t = await createTestApp();
    doc = (await request(t.app).get('/openapi.json')).body as Json;
  });
  afterAll(async () => {
    await t.close();
  });

  it('every operation declares a 4xx, or says in x-no-4xx why it has none (never both)', () => {
    for (const [name, op] of operationsOf(doc)) {
      const has4xx = Object.keys(op.responses).some((status) => /^4[0-9X]{2}$/i.test(status));
      expect(has4xx !== (op['x-no-4xx'] !== undefined), `${name}: 4xx ${has4xx}, x-no-4xx ${op['x-no-4xx']}`).toBe(true);
    }
  });

  it('every 2xx with a body declares its content type and schema (RFC 7009’s empty revocation 200 and 204s have none)', () => {
    for (const [name, op] of operationsOf(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!status.startsWith('2') || status === '204' || op.operationId === 'revokeToken') continue;
        const content = Object.entries(response.content ?? {});
        expect(content.length, `${name} ${status}`).toBeGreaterThan(0);
        for (const [type, media] of content) expect(media.schema, `${name} ${status} ${type}`).toBeDefined();
      }
    }
  });

  it('serves each parameterless public GET with the content type it declares', async () => {
    const expected: Record<string, string> = {
      '/metrics': 'text/plain; version=0.0.4',
      '/openapi.json': 'application/json',
      '/docs': 'text/html',
      '/verify-email': 'text/html',
      '/assets/account.css': 'text/css',
      '/assets/account.js': 'text/javascript',
    };
    for (const [path, type] of Object.entries(expected)) {
      const declared = Object.keys((doc.paths as Record<string, Record<string, Operation>>)[path]!.get!.responses['200']!.content ?? {});
      expect(declared, path).toEqual([type]);
      const res = await request(t.app).get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(new RegExp(`^${type.replace(/[.+]/g, '\\$&')}(;|$)`));
    }
  });

  it('every time is `format: date-time` (properties named …At)', () => {
    const times: string[] = [];
    for (const [name, schema] of Object.entries((doc.components as Json).schemas as Record<string, Schema>)) {
      for (const [at, leaf] of leaves(doc, schema, name)) {
        const property = at.split('.').pop()!;
        if (!/At$/.test(property) && !/^(date|time)$/i.test(property)) continue;
        times.push(at);
        expect(leaf.format, at).toBe('date-time');
      }
    }
    expect(times).toEqual(
      expect.arrayContaining(['Session.createdAt', 'Session.lastUsedAt', 'Session.expiresAt', 'AuditEvent.createdAt', 'User.createdAt']),
    );
  });

  it('every string and number in a JSON body or parameter has an example, its own or its object’s', () => {
    const missing: string[] = [];
    const check = (at: string, schema: Schema | undefined, covered: boolean) => {
      for (const [where, leaf, hasExample] of leaves(doc, schema, at, covered)) {
        const scalar = typesOf(leaf).some((type) => ['string', 'number', 'integer'].includes(type));
        if (scalar && !hasExample && leaf.enum === undefined && leaf.const === undefined && leaf.default === undefined) missing.push(where);
      }
    };
    for (const [name, op] of operationsOf(doc)) {
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) check(`${name} body (${type})`, media.schema, false);
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (type.endsWith('json')) check(`${name} ${status}`, media.schema, media.example !== undefined);
        }
      }
      for (const parameter of op.parameters ?? [])
        check(`${name} ${parameter.in} ${parameter.name}`, parameter.schema, parameter.example !== undefined);
    }
    expect(missing).toEqual([]);
  });

  it('examples look like the real values: the user’s email, a UUIDv7, a JWT, an ISO time', () => {
    const user = ((doc.components as Json).schemas as Record<string, Schema>).User!.properties!;
    expect(user.email!.example).toBe('ada@example.com');
    expect(user.id!.example).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Date(user.createdAt!.example as string).toISOString()).toBe(user.createdAt!.example);
    const token = ((doc.components as Json).schemas as Record<string, Schema>).TokenResponse!.properties!;
    const [header, payload] = (token.accessToken!.example as string)
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Json);
    expect(header).toMatchObject({ typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: user.id!.example });
  });
});
