/** The only source of "now" for tokens, sessions and revocation, so tests can freeze and move time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
