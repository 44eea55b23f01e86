import type { loadConfig } from './load-config.ts';

/**
 * The parsed, validated settings. Built once by loadConfig and passed to everything else.
 * Not written out by hand: it is the settings declared in settings.ts (each field's type
 * and meaning live there), with what loadConfig fills in (secrets, dependent defaults, warnings).
 */
export type Config = ReturnType<typeof loadConfig>;

export type NodeEnv = Config['env'];
export type RefreshTransport = Config['refreshTransport'];
