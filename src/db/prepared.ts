import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { DatabaseSchema } from '../database.ts';

/**
 * Stands in for a value while the query is compiled; found again among the compiled parameters.
 * Using it as a value in JavaScript (`v.now + 1000`, a template string, a comparison) throws:
 * the result would be compiled into the query once and reused for every call.
 */
class Placeholder {
  constructor(readonly name: string) {}

  [Symbol.toPrimitive](): never {
    throw new Error(`prepared query: ${this.name} is used as a value while the query is built; bind it as a parameter`);
  }
}

/**
 * A query on the hot path (rotation, the session lookup) built and compiled once, then run
 * with new values: Kysely otherwise builds, transforms and compiles it on every call, 9–16 µs a
 * query, most of the Kysely share of a refresh (bench:profile). This is Kysely's own
 * "splitting query building and execution" recipe (`executeQuery` with a CompiledQuery); the
 * query still comes from the typed builder, so a column renamed in the schema fails to compile.
 *
 * `build` receives placeholders typed as the values; every placeholder must end up as a bound
 * parameter (a value in set/values/where). Both are checked here, when the repository is made,
 * so a mistake fails at start rather than at the first request.
 */
export function prepared<V extends Record<string, unknown>, R>(
  db: Kysely<DatabaseSchema>,
  names: readonly (keyof V & string)[],
  build: (db: Kysely<DatabaseSchema>, values: V) => Compilable<R>,
): (executor: Kysely<DatabaseSchema>, values: V) => Promise<QueryResult<R>> {
  const placeholders = new Map(names.map((name) => [name, new Placeholder(name)]));
  // A name missing from `names` would be undefined, which Kysely drops from set() and values() without a word.
  const values = new Proxy({} as V, {
    get(_target, key) {
      const placeholder = typeof key === 'string' ? placeholders.get(key) : undefined;
      if (!placeholder) throw new Error(`prepared query: ${String(key)} is not among its names (${names.join(', ')})`);
      return placeholder;
    },
  });
  const compiled: CompiledQuery<R> = build(db, values).compile();
  const slots = compiled.parameters.map((parameter) => (parameter instanceof Placeholder ? parameter.name : { constant: parameter }));
  const bound = new Set(slots.filter((slot): slot is string => typeof slot === 'string'));
  const unbound = names.filter((name) => !bound.has(name));
  if (unbound.length > 0) throw new Error(`prepared query: ${unbound.join(', ')} not bound as parameters in ${compiled.sql}`);

  return (executor, input) => {
    const parameters = slots.map((slot) => (typeof slot === 'string' ? input[slot] : slot.constant));
    return executor.executeQuery({ ...compiled, parameters });
  };
}
