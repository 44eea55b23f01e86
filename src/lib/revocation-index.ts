/**
 * A session ended (kind 'sid') or one access token revoked (kind 'jti'), until `expiresAt` (ms):
 * by then every token it covers has expired. The server's rows and the feed's events alike.
 */
export interface Revocation {
  id: string;
  kind: 'sid' | 'jti';
  createdAt: number;
  expiresAt: number;
}

/**
 * Shared by the server (fed by its poll) and the resource-server library (fed by the feed).
 * Answers "is this access token revoked?" on every authenticated request without I/O.
 * Holds only the ids of sessions ended (and tokens revoked) while their access tokens
 * can still be live, so its size is bounded by how many sessions end within one
 * access-token lifetime.
 */
export interface RevocationIndex {
  isRevoked(sid: string, jti: string): boolean;
  /** Records revocations locally; persisting and broadcasting is the caller's job. */
  apply(revocations: Iterable<Revocation>): void;
  size(): number;
}

export function createMemoryRevocationIndex(clock: { now(): number }): RevocationIndex {
  const sessions = new Map<string, number>();
  const tokens = new Map<string, number>();
  let nextSweep = 0;

  // Expired entries are swept lazily, at most once a second, so the index stays bounded
  // without a timer.
  const sweep = (now: number) => {
    if (now < nextSweep) return;
    nextSweep = now + 1000;
    for (const map of [sessions, tokens]) {
      for (const [id, expiresAt] of map) if (expiresAt <= now) map.delete(id);
    }
  };

  return {
    isRevoked(sid, jti) {
      if (sessions.size === 0 && tokens.size === 0) return false;
      return sessions.has(sid) || tokens.has(jti);
    },
    apply(revocations) {
      const now = clock.now();
      for (const r of revocations) {
        if (r.expiresAt <= now) continue;
        const map = r.kind === 'sid' ? sessions : tokens;
        map.set(r.id, Math.max(map.get(r.id) ?? 0, r.expiresAt));
      }
      sweep(now);
    },
    size: () => sessions.size + tokens.size,
  };
}
