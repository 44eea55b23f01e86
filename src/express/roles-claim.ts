/** Where requireAuth reads roles: a dot path into the claims, or a function of them. */
export type RolesClaim = string | ((claims: Readonly<Record<string, unknown>>) => string[]);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The value at a dot path (`realm_access.roles`). A claim name that itself holds dots, as the
 * namespaced claims of Auth0 do (`https://example.com/roles`), is matched whole: at each level
 * the longest run of segments that names an own property wins.
 */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  const parts = path.split('.');
  const walk = (value: unknown, from: number): unknown => {
    if (from === parts.length) return value;
    if (!isObject(value)) return undefined;
    for (let to = parts.length; to > from; to -= 1) {
      const name = parts.slice(from, to).join('.');
      if (!Object.hasOwn(value, name)) continue;
      const found = walk(value[name], to);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(claims, 0);
}

/** Reads the roles of verified claims: undefined when the claim is absent (no roles). */
export function rolesReader(rolesClaim: RolesClaim): (claims: Record<string, unknown>) => unknown {
  if (typeof rolesClaim === 'function') return (claims) => rolesClaim(claims);
  return (claims) => claimAt(claims, rolesClaim);
}
