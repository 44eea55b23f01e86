/**
 * Where requireAuth reads roles: a dot path into nested claims (`'realm_access.roles'`), the
 * keys of one exactly (`['https://example.com/roles']`, `['realm_access', 'roles']`), or a
 * function of the claims.
 */
export type RolesClaim = string | readonly string[] | ((claims: Readonly<Record<string, unknown>>) => string[]);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The keys a dot path names: one per segment, each a key of the object the one before found.
 * A path is never matched against a claim whose own name holds its dots: the token's issuer
 * (or whoever can put a claim in its tokens) must not be able to supply the roles through a
 * flat `realm_access.roles`, or through `https://example` holding `{"com/roles": …}`.
 * So a path that reads like one namespaced claim name (a dot beside `:` or `/`, as in a URI)
 * is refused: it is meant as a key, and the array form says so.
 */
export function pathKeys(path: string): string[] {
  const keys = path.split('.');
  if (keys.some((key) => key === '')) throw new TypeError(`requireAuth: rolesClaim '${path}' has an empty segment`);
  if (keys.length > 1 && /[:/]/.test(path)) {
    throw new TypeError(
      `requireAuth: rolesClaim '${path}' looks like one claim name with dots; for that claim pass ['${path}'], for nested keys pass them as a list`,
    );
  }
  return keys;
}

/** The value under `keys`, walked through nested objects (own properties only); undefined when absent. */
export function claimAt(claims: Record<string, unknown>, keys: string | readonly string[]): unknown {
  let value: unknown = claims;
  for (const key of typeof keys === 'string' ? pathKeys(keys) : keys) {
    if (!isObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** Reads the roles of verified claims: undefined when the claim is absent (no roles). */
export function rolesReader(rolesClaim: RolesClaim): (claims: Record<string, unknown>) => unknown {
  if (typeof rolesClaim === 'function') return (claims) => rolesClaim(claims);
  if (typeof rolesClaim === 'string') {
    // Checked once, when requireAuth is built: a mistaken path fails at start, not per request.
    const keys = pathKeys(rolesClaim);
    return (claims) => claimAt(claims, keys);
  }
  // Copied, so a list changed after requireAuth was built changes nothing.
  const keys: unknown[] = Array.isArray(rolesClaim) ? [...(rolesClaim as readonly unknown[])] : [];
  if (keys.length === 0 || !keys.every((key): key is string => typeof key === 'string' && key !== '')) {
    throw new TypeError('requireAuth: rolesClaim must be a dot path, a non-empty list of claim keys, or a function');
  }
  const checked: readonly string[] = keys;
  return (claims) => claimAt(claims, checked);
}
