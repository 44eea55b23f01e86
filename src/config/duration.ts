const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses the contract's duration settings ("15m", "7d", "5s", "500ms", "90") into
 * milliseconds. A bare number means seconds, as `expiresIn` does in every response body.
 */
export function parseDurationMs(input: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(input);
  if (!match) return undefined;
  const value = Number(match[1]) * (UNIT_MS[(match[2] ?? 's').toLowerCase()] ?? 1000);
  return Number.isFinite(value) ? Math.round(value) : undefined;
}
