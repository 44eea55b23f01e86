import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { expect } from 'vitest';
import { DomainError, type ErrorCode } from '../../src/lib/errors.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createServices, type ServiceDeps } from '../../src/services.ts';
import type { TestApp } from './test-app.ts';

/** A logger that writes nowhere, for services built beside a test app. */
export const silentLogger = (): Logger => createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }));

/**
 * The services over a test app's runtime (its database, keys, revocation index and clock),
 * as the app itself builds them; `overrides` replaces any dependency.
 */
export function servicesFor(t: TestApp, overrides: Partial<ServiceDeps> = {}) {
  return createServices({
    config: t.config,
    db: t.runtime.database.db,
    keystore: t.runtime.keystore,
    revocations: t.runtime.revocations,
    clock: t.clock,
    logger: silentLogger(),
    ...overrides,
  });
}

/** Awaits `promise`, expects it to reject with a DomainError of `code`, and returns that error. */
export async function expectDomainError(promise: Promise<unknown>, code: ErrorCode): Promise<DomainError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a DomainError ${code}, but the call succeeded`).toBeDefined();
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  return error as DomainError;
}

/** Calls `fn`, expects it to throw a DomainError of `code` synchronously, and returns that error. */
export function expectDomainErrorSync(fn: () => unknown, code: ErrorCode): DomainError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected a DomainError ${code}, but nothing was thrown`).toBeDefined();
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  return error as DomainError;
}
