/**
 * Roles as plain data. A role name is a short lowercase identifier; `admin` unlocks the
 * admin API, `user` is what everyone gets at signup.
 */
export const ROLES = {
  user: 'Default role of every account',
  admin: 'May use the admin API',
} as const;

export const ROLE_PATTERN = /^[a-z][a-z0-9_:-]{0,31}$/;
export const MAX_ROLES = 16;
