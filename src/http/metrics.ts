import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

export type LoginOutcome = 'success' | 'invalid_credentials' | 'account_disabled' | 'rate_limited' | 'error';

/** A registry per app (never prom-client's global one), so isolated apps in one process do not collide. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const logins = new Counter({
    name: 'tessera_logins_total',
    help: 'Login attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'tessera_refresh_total',
    help: 'Refresh attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    login: (outcome: LoginOutcome) => logins.inc({ outcome }),
    refresh: (outcome: string) => refreshes.inc({ outcome }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
