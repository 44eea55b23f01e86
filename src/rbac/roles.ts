/**
 * Roles are plain data: short lowercase names carried in the token. `user` is what everyone
 * gets at signup; `admin` unlocks the admin API; any other name is yours to check with
 * requireRole().
 */

export const ROLE_PATTERN = /^[a-z][a-z0-9_:-]{0,31}$/;
export const MAX_ROLES = 16;
