import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

const LOGIN_OUTCOMES = new Set(['success', 'mfa_required', 'invalid_credentials', 'account_disabled', 'rate_limited']);

/** A registry per app (never prom-client's global one), so isolated apps in one process do not collide. */
export function createMetrics(sizes: { revocationIndex: () => number; verifyCache: () => number; feedStreams: () => number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'tessera_revocation_index_entries',
    help: 'Revoked sessions and tokens held in memory (bounded by those ended within one access-token lifetime)',
    registers: [registry],
    collect() {
      this.set(sizes.revocationIndex());
    },
  });
  new Gauge({
    name: 'tessera_verify_cache_entries',
    help: 'Verified access tokens cached in memory (bounded by VERIFY_CACHE_SIZE)',
    registers: [registry],
    collect() {
      this.set(sizes.verifyCache());
    },
  });
  new Gauge({
    name: 'tessera_revocation_feed_streams',
    help: 'Revocation feed (GET /api/revocations) streams open on this instance',
    registers: [registry],
    collect() {
      this.set(sizes.feedStreams());
    },
  });
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
  const mails = new Counter({
    name: 'tessera_mail_total',
    help: 'Mail delivery attempts by outcome: sent, retried (an attempt failed, another follows), failed (given up)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    mail: (outcome: 'sent' | 'retried' | 'failed') => mails.inc({ outcome }),
    /** Outcomes are error codes or 'success'; anything unexpected is counted as 'error' (bounded labels). */
    login: (outcome: string) => logins.inc({ outcome: LOGIN_OUTCOMES.has(outcome) ? outcome : 'error' }),
    refresh: (outcome: string) => refreshes.inc({ outcome }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
