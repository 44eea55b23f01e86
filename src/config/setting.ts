import { z } from 'zod';

/**
 * One environment variable, declared once: its zod type with the default applied, what it
 * means, and the default as docs/configuration.md's table shows it (`npm run docs:config` writes
 * that table; a test holds it, and any row the README keeps, to these). A class, so a settings tree can tell a setting from a group of them.
 */
export class Setting<S extends z.ZodType = z.ZodType> {
  constructor(
    readonly env: string,
    readonly schema: S,
    readonly meaning: string,
    readonly readmeDefault: string,
  ) {}
}

interface Declaration<T extends z.ZodType> {
  env: string;
  type: T;
  /** Written as in the environment ("15m", "10") and parsed like a value that was set there. */
  default?: string;
  /** Table text for a default that is not one constant ("dev: generated"); else derived. */
  readme?: string;
  meaning: string;
}

export function setting<T extends z.ZodType>(d: Declaration<T> & { default: string }): Setting<z.ZodPrefault<T>>;
export function setting<T extends z.ZodType>(d: Declaration<T>): Setting<z.ZodOptional<T>>;
export function setting(d: Declaration<z.ZodType>): Setting {
  if (d.default === undefined) return new Setting(d.env, d.type.optional(), d.meaning, d.readme ?? 'unset');
  // prefault, not default: the default goes through the same parsing as a value from the environment.
  return new Setting(d.env, d.type.prefault(d.default), d.meaning, d.readme ?? `\`${d.default}\``);
}

/** Settings arranged as the Config they produce: a key holds a setting or a group of them. */
export interface SettingsTree {
  readonly [field: string]: Setting | SettingsTree;
}

/** The parsed values of a tree, keeping its nesting and field names (homomorphic, so docs carry over). */
export type Shape<T extends SettingsTree> = {
  -readonly [K in keyof T]: T[K] extends Setting<infer S> ? z.output<S> : T[K] extends SettingsTree ? Shape<T[K]> : never;
};

/** Every setting of a tree, in declaration order. */
export function settingsOf(tree: SettingsTree): Setting[] {
  return Object.values(tree).flatMap((node) => (node instanceof Setting ? [node] : settingsOf(node)));
}

function nest(tree: SettingsTree, values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(tree).map(([field, node]) => [field, node instanceof Setting ? values[node.env] : nest(node, values)]),
  );
}

/**
 * The environment schema of a tree: a flat object keyed by variable (so an issue's path
 * names the variable), transformed into the tree's nested shape.
 */
export function settingsSchema<T extends SettingsTree>(tree: T) {
  const byVariable = Object.fromEntries(settingsOf(tree).map((s) => [s.env, s.schema]));
  return z.object(byVariable).transform((values) => nest(tree, values) as Shape<T>);
}
