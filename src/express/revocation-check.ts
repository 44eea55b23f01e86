import type { Clock } from '../lib/clock.ts';
import { unavailable } from '../lib/errors.ts';
import type { VerifiedClaims } from '../tokens/claims.ts';
import { sharedRevocationFeed } from './feed-registry.ts';
import type { Outage } from './revocation-feed.ts';
import { feedLabel, feedSettings, type RevocationFeedOptions } from './revocation-options.ts';

/** What requireAuth runs on every verified token when it has a `revocations` option. */
export interface RevocationCheck {
  /** True when the feed revoked the token's session (`sid`) or the token itself (`jti`). */
  isRevoked(claims: VerifiedClaims): boolean;
  /** Once the stream has been down longer than staleAfter: logs (once per outage), and throws `unavailable` for onStale 'deny'. */
  assertFresh(): void;
}

/** Checks the options, then opens (or joins) the process's stream for this feed. */
export function createRevocationCheck(options: RevocationFeedOptions, clock: Clock): RevocationCheck {
  const settings = feedSettings(options);
  const feed = sharedRevocationFeed(settings, clock);
  let reported: Outage | undefined;

  return {
    isRevoked(claims) {
      // A token of another issuer may lack either claim; '' matches nothing (the feed never sends an empty id).
      return feed.isRevoked(claims.sid ?? '', claims.jti ?? '');
    },
    assertFresh() {
      const outage = feed.outage();
      if (!outage) return;
      const downForMs = clock.now() - outage.since;
      if (downForMs <= settings.staleAfter) return;
      if (reported !== outage) {
        reported = outage;
        const deny = settings.onStale === 'deny';
        settings.logger.warn(
          { feed: feedLabel(settings.url), state: feed.state(), downForMs, staleAfter: settings.staleAfter, onStale: settings.onStale },
          deny
            ? 'revocation feed: stale; refusing verified tokens with 503 until it is current'
            : 'revocation feed: stale; accepting verified tokens without checking revocations until it is current',
        );
      }
      if (settings.onStale === 'deny') throw unavailable('Token revocations cannot be checked right now; try again shortly.');
    },
  };
}
