import type { z } from 'zod';
import { validationFailed, type FieldProblem } from '../lib/errors.ts';

/**
 * Paths of strings holding a NUL character. PostgreSQL cannot store NUL in text, and no
 * email, password, name or id legitimately has one, so they are refused up front.
 */
function nulPaths(value: unknown, path: string[] = [], found: FieldProblem[] = []): FieldProblem[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) found.push({ path: path.join('.') || '(body)', message: 'Must not contain NUL characters.' });
  } else if (value !== null && typeof value === 'object' && path.length < 32) {
    for (const [key, child] of Object.entries(value)) nulPaths(child, [...path, key], found);
  }
  return found;
}

/** Parses input with a schema; failures become 400 validation_failed listing each field. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const nul = nulPaths(input);
  if (nul.length > 0) throw validationFailed(nul);
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw validationFailed(
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(body)',
      message: issue.message,
    })),
  );
}
