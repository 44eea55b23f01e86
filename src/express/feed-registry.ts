import type { Clock } from '../lib/clock.ts';
import { openRevocationFeed, type RevocationFeed } from './revocation-feed.ts';
import { feedLabel, type FeedSettings } from './revocation-options.ts';

// The contract says requireAuth "keeps one stream per process": every requireAuth(...) with the
// same feed (one per router, say) must share one connection and one set of revocations, yet each
// is created on its own with nothing passed between them. So the streams are found here, in the
// library's one module-level state (STYLE.md otherwise passes dependencies in);
// closeRevocationFeeds() ends them all and empties it.
const feeds = new Map<string, { feed: RevocationFeed; clientSecret: string }>();

const keyOf = (url: URL, clientId: string) => `${url.href}\n${clientId}`;

/** The stream for (url, clientId), opened by the first caller; later callers share it. */
export function sharedRevocationFeed(settings: FeedSettings, clock: Clock): RevocationFeed {
  const key = keyOf(settings.url, settings.clientId);
  const open = feeds.get(key);
  if (open) {
    if (open.clientSecret !== settings.clientSecret) {
      settings.logger.warn(
        { feed: feedLabel(settings.url), clientId: settings.clientId },
        'revocation feed: already open with another secret for this client; sharing that stream',
      );
    }
    return open.feed;
  }
  const feed = openRevocationFeed(settings, clock);
  feeds.set(key, { feed, clientSecret: settings.clientSecret });
  return feed;
}

/** The open stream for (url, clientId), if any: its state, for tests and health checks. */
export function findRevocationFeed(url: string | URL, clientId: string): RevocationFeed | undefined {
  return feeds.get(keyOf(new URL(url), clientId))?.feed;
}

/**
 * Closes every revocation stream of this process and clears their timers (graceful shutdown,
 * tests). Middleware created before keeps working as if the stream were down (see `onStale`).
 */
export async function closeRevocationFeeds(): Promise<void> {
  const open = [...feeds.values()];
  feeds.clear();
  await Promise.all(open.map(({ feed }) => feed.close()));
}
