import type { Clock } from '../lib/clock.ts';
import { unavailable } from '../lib/errors.ts';
import type { VerifiedClaims } from '../tokens/claims.ts';
import { sharedRevocationFeed } from './feed-registry.ts';
import { feedLabel, feedSettings, KEEP_ALIVE_MS, type RevocationFeedOptions } from './revocation-options.ts';

/**
 * A keep-alive may come a little late (a busy server, a slow network): a staleAfter that does not
 * leave at least this over the interval would call a quiet, healthy stream stale.
 */
const KEEP_ALIVE_MARGIN_MS = 5_000;

/** What requireAuth runs on every verified token when it has a `revocations` option. */
export interface RevocationCheck {
  /** True when the feed revoked the token's session (`sid`) or the token itself (`jti`). */
  isRevoked(claims: VerifiedClaims): boolean;
  /**
   * Once nothing has been heard from the feed for longer than staleAfter: logs (once per
   * silence), and throws `unavailable` for onStale 'deny'.
   */
  assertFresh(): void;
}

/** Checks the options, then opens (or joins) the process's stream for this feed. */
export function createRevocationCheck(options: RevocationFeedOptions, clock: Clock): RevocationCheck {
  const settings = feedSettings(options);
  const feed = sharedRevocationFeed(settings, clock);
  if (settings.staleAfter < KEEP_ALIVE_MS + KEEP_ALIVE_MARGIN_MS) {
    settings.logger.warn(
      { feed: feedLabel(settings.url), staleAfter: settings.staleAfter, keepAliveMs: KEEP_ALIVE_MS },
      'revocation feed: staleAfter is not well above the keep-alive interval; a healthy stream with nothing to say will count as silent between keep-alives',
    );
  }
  /** The heardAt of the silence last reported: one warning per silence. */
  let reported: number | undefined;

  return {
    isRevoked(claims) {
      // A token of another issuer may lack either claim; '' matches nothing (the feed never sends an empty id).
      return feed.isRevoked(claims.sid ?? '', claims.jti ?? '');
    },
    assertFresh() {
      const heardAt = feed.heardAt();
      const silentForMs = clock.now() - heardAt;
      if (silentForMs <= settings.staleAfter) return;
      if (reported !== heardAt) {
        reported = heardAt;
        const deny = settings.onStale === 'deny';
        settings.logger.warn(
          { feed: feedLabel(settings.url), state: feed.state(), silentForMs, staleAfter: settings.staleAfter, onStale: settings.onStale },
          deny
            ? 'revocation feed: stale; refusing verified tokens with 503 until it is heard again'
            : 'revocation feed: stale; accepting verified tokens without checking revocations until it is heard again',
        );
      }
      if (settings.onStale === 'deny') throw unavailable('Token revocations cannot be checked right now; try again shortly.');
    },
  };
}
