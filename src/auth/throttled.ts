import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.ts';
import type { ClientInfo } from '../lib/client-info.ts';
import { rateLimited } from '../lib/errors.ts';
import type { AccountThrottle } from './account-throttle.ts';

/** Runs a credential check under the account throttle (see createThrottled). */
export type Throttled = <T>(key: string, client: ClientInfo, check: () => Promise<T>) => Promise<T>;

/**
 * Runs a check (a password, a second-factor code) under the account throttle: refused while the
 * key is locked, an attempt counted before the check runs, a success clearing the count. The key
 * names the account (`login:<email>`, `password:<id>`, `mfa:<id>`) or a device (`device:<id>`).
 * A throttle outage (Redis down, or silent until its command timeout) is logged and does not stop logins.
 */
export function createThrottled(deps: { throttle: AccountThrottle; audit: AuditLog; logger: Logger }): Throttled {
  const { throttle, audit, logger } = deps;
  return async (key, client, check) => {
    const lockedMs = await throttle.attempt(key).catch((error: unknown) => {
      // The outage itself is logged once by the Redis client; one line per login would flood the log.
      logger.debug({ err: error }, 'account throttle unavailable');
      return 0;
    });
    if (lockedMs > 0) {
      const seconds = Math.ceil(lockedMs / 1000);
      const scope = key.slice(0, key.indexOf(':'));
      await audit.record({ type: 'login.locked', ...client, details: { scope, seconds } });
      // The log line tells a locked account (or device) from a client over the per-IP limit.
      throw rateLimited(seconds, `locked_out:${scope}`);
    }
    const result = await check();
    await throttle.succeed(key).catch(() => {});
    return result;
  };
}
