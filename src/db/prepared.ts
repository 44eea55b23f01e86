import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { DatabaseSchema } from '../database.ts';

/** Stands in for a value while the query is compiled; found again among the compiled parameters. */
class Placeholder {
  constructor(readonly name: string) {}
}

/**
 * A query on the hot path (rotation, the session lookup) built and compiled once, then run
 * with new values: Kysely otherwise builds, transforms and compiles it on every call, 9–16 µs a
 * query, most of the Kysely share of a refresh (bench:profile). This is Kysely's own
 * "splitting query building and execution" recipe (`executeQuery` with a CompiledQuery); the
 * query still comes from the typed builder, so a column renamed in the schema fails to compile.
 *
 * `build` receives placeholders typed as the values; every placeholder must end up as a bound
 * parameter (a value in set/values/where), which is checked when the query is compiled.
 */
export function prepared<V extends Record<string, unknown>, R>(
  db: Kysely<DatabaseSchema>,
  names: readonly (keyof V & string)[],
  build: (db: Kysely<DatabaseSchema>, values: V) => Compilable<R>,
): (executor: Kysely<DatabaseSchema>, values: V) => Promise<QueryResult<R>> {
  let compiled: CompiledQuery<R> | undefined;
  let slots: (string | { constant: unknown })[] = [];
  const compile = (): CompiledQuery<R> => {
    const placeholders = Object.fromEntries(names.map((name) => [name, new Placeholder(name)])) as unknown as V;
    const query = build(db, placeholders).compile();
    slots = query.parameters.map((parameter) => (parameter instanceof Placeholder ? parameter.name : { constant: parameter }));
    const bound = new Set(slots.filter((slot): slot is string => typeof slot === 'string'));
    const unbound = names.filter((name) => !bound.has(name));
    if (unbound.length > 0) throw new Error(`prepared query: ${unbound.join(', ')} not bound as parameters in ${query.sql}`);
    return query;
  };
  return async (executor, values) => {
    compiled ??= compile();
    const parameters = slots.map((slot) => (typeof slot === 'string' ? values[slot] : slot.constant));
    return executor.executeQuery({ ...compiled, parameters });
  };
}
