/** One Server-Sent Event as a subscriber sees it (comments are kept too, as `comment`). */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/**
 * A raw subscriber for the revocation feed tests: fetches `url`, parses the stream as it comes
 * (a deliberately plain parser, separate from the library's), and lets a test wait for events.
 */
export async function openFeed(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  let buffer = '';
  const reading = (async () => {
    if (!res.body || !res.headers.get('content-type')?.startsWith('text/event-stream')) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon) as keyof SseEvent;
              event[field] = line.slice(colon + 1).trimStart();
            }
          }
          events.push(event);
        }
        for (const wake of waiters) wake();
      }
    } catch {
      // aborted
    } finally {
      ended = true;
      for (const wake of waiters) wake();
    }
  })();

  const revocations = () =>
    events
      .filter((e) => e.event === 'revocation')
      .map((e) => ({
        seq: Number(e.id),
        ...(JSON.parse(e.data ?? '{}') as { kind: string; id: string; createdAt: string; expiresAt: string }),
      }));

  return {
    res,
    events,
    revocations,
    get ended() {
      return ended;
    },
    /** Resolves once `check()` holds; rejects after `timeoutMs` with what has arrived. */
    async waitFor(check: () => boolean, timeoutMs = 3000, what = 'an event'): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, Math.min(left, 50));
          waiters.add(wake);
        });
      }
    },
    ready: () => events.some((e) => e.event === 'ready'),
    async close() {
      controller.abort();
      await reading;
    },
  };
}
