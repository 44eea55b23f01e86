/**
 * Tabs of one origin share one cookie jar, hence one session. They take turns refreshing it (Web
 * Locks) and tell each other the outcome (BroadcastChannel), so no two tabs present the same
 * refresh cookie, a tab that waited uses the token another tab just got, and a logout in one tab
 * ends them all. Either mechanism may be missing (old browsers; Web Locks need a secure context):
 * the channel alone narrows the race but cannot close it (two tabs may both refresh before
 * hearing of each other), and with neither the client refreshes single-flight within its own
 * tab. In Node neither is used unless passed in.
 */
export type TabMessage =
  /** A tab starts a network refresh; its outcome follows with the same id. */
  | { type: 'refreshing'; id: string }
  /**
   * Fresh tokens of the shared session. `login`: a new session replaced the old one (the cookie
   * jar now holds it); otherwise a refresh, which other tabs take only for the session they have.
   */
  | { type: 'tokens'; id?: string; accessToken: string; csrfToken?: string; login?: boolean }
  /** The refresh failed without ending the session (network, 5xx, csrf_failed): try yourself. */
  | { type: 'failed'; id: string }
  /** The session is over: logged out here, or a refresh was refused. `session`: its CSRF token, naming it. */
  | { type: 'ended'; id?: string; code?: string; session?: string }
  /** A tab that has no CSRF token (reloaded on another host than the API) asks the others. */
  | { type: 'ask' }
  | { type: 'csrf'; csrfToken: string };

/** The part of the Web Locks API the client uses (navigator.locks). */
export interface TabLocks {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
}

/** The part of BroadcastChannel the client uses. */
export interface TabChannel {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

export interface Tabs {
  /** Runs `fn` while no other tab of the origin runs its own (or at once without Web Locks). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Waits, for a bounded time, for the outcome of refreshes other tabs announced. */
  othersDone(): Promise<void>;
  /** Asks the other tabs for the CSRF token; resolves when one answers or after a moment. */
  ask(): Promise<void>;
  /** Announces a network refresh and returns the id its outcome must carry. */
  announce(): string;
  post(message: TabMessage): void;
  close(): void;
}

/** The holder posted its outcome before releasing the lock: only the delivery is left. */
const AFTER_LOCK_MS = 1_000;
/** Without locks the other tab may still be on the network. */
const WITHOUT_LOCK_MS = 10_000;
const ANSWER_MS = 250;

const isMessage = (data: unknown): data is TabMessage =>
  typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string';

/** Resolves when `promise` does or after `ms`, leaving no timer behind. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, timeout]).then(() => clearTimeout(timer));
}

let counter = 0;
const newId = () => `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}.${++counter}`;

export function openTabs(
  lockName: string,
  locks: TabLocks | undefined,
  channel: TabChannel | undefined,
  receive: (message: TabMessage) => void,
): Tabs {
  /** Refreshes other tabs announced and have not yet reported on. */
  const pending = new Map<string, { done: Promise<void>; settle: () => void }>();
  const answered = new Set<() => void>();

  if (channel)
    channel.onmessage = ({ data }) => {
      if (!isMessage(data)) return;
      if (data.type === 'refreshing') {
        let settle = () => {};
        const done = new Promise<void>((resolve) => (settle = resolve));
        pending.set(data.id, { done, settle });
      } else if ('id' in data && data.id !== undefined) {
        pending.get(data.id)?.settle();
        pending.delete(data.id);
      }
      receive(data);
      if (data.type === 'csrf') for (const resolve of answered) resolve();
    };

  let closed = false;
  // After close() the channel is gone: a refresh still in flight must not fail for that.
  const post = (message: TabMessage) => {
    if (!closed) channel?.postMessage(message);
  };

  return {
    exclusive: async <T>(fn: () => Promise<T>) => (locks ? ((await locks.request(lockName, fn)) as T) : fn()),
    async othersDone() {
      const waiting = [...pending.entries()];
      if (waiting.length === 0) return;
      await within(Promise.all(waiting.map(([, { done }]) => done)), locks ? AFTER_LOCK_MS : WITHOUT_LOCK_MS);
      // A tab closed in the middle of its refresh never reports: stop waiting for it.
      for (const [id] of waiting) pending.delete(id);
    },
    async ask() {
      if (!channel) return;
      let resolve = () => {};
      const answer = new Promise<void>((r) => (resolve = r));
      answered.add(resolve);
      post({ type: 'ask' });
      await within(answer, ANSWER_MS);
      answered.delete(resolve);
    },
    announce() {
      const id = newId();
      post({ type: 'refreshing', id });
      return id;
    },
    post,
    close() {
      closed = true;
      if (channel) channel.onmessage = null;
      for (const { settle } of pending.values()) settle();
      pending.clear();
    },
  };
}

type Global = {
  navigator?: { locks?: TabLocks };
  BroadcastChannel?: new (name: string) => TabChannel & { unref?: () => void };
};

/** Tabs exist only in a browser: in Node, clients of one process are separate users with separate cookie jars. */
const inBrowser = (): boolean => typeof (globalThis as { document?: unknown }).document !== 'undefined';

/** A BroadcastChannel in a browser that has one (never in Node, whose channel spans the whole process). */
export function defaultChannel(name: string): (TabChannel & { unref?: () => void }) | undefined {
  const Channel = (globalThis as Global).BroadcastChannel;
  if (!Channel || !inBrowser()) return undefined;
  const channel = new Channel(name);
  channel.unref?.(); // Node: a client must never keep the process alive
  return channel;
}

/** navigator.locks where the platform has it (browsers; not Node). */
export const defaultLocks = (): TabLocks | undefined => (inBrowser() ? (globalThis as Global).navigator?.locks : undefined);
