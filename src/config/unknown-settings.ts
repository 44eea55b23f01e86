import { editDistance } from './edit-distance.ts';
import type { EnvFile } from './read-env.ts';
import type { RawEnv } from './schema.ts';

/**
 * Prefixes of Tessera's settings (the contract's list, with RATE_LIMIT_ and REVOCATION_): a variable
 * starting with one that is not a setting is most likely a mistyped or invented one.
 */
const PREFIXES = (
  'JWT_ DATABASE_ TESSERA_ COOKIE_ SMTP_ MAIL_ AUTH_ PASSKEY_ KEY_ LOG_ HTTP_ MFA_ METRICS_ REDIS_ ADMIN_ CORS_ FEED_ REAUTH_ ' +
  'RATE_LIMIT_ REVOCATION_'
).split(' ');

/**
 * Whatever its prefix, a variable at most TYPO_DISTANCE edits from a setting whose name has at least
 * TYPO_MIN_LENGTH characters is taken for a typo of it (`DATABSE_URL`). Shorter settings are left out,
 * as too many names are near them: other programs' `API_URL` is one edit from `APP_URL`.
 */
const TYPO_DISTANCE = 2;
const TYPO_MIN_LENGTH = 8;

/**
 * Variables other programs set, which may share a prefix with ours: never reported, from the
 * environment or from `.env` (where `node --env-file` may have read them too).
 */
const OTHER_PROGRAMS = [
  /^npm_/i, // npm run
  /^NODE_/, // Node's own (NODE_OPTIONS, NODE_EXTRA_CA_CERTS); NODE_ENV is a setting
  /^(HTTPS?|NO|ALL)_PROXY$/i,
  /^(PATH|HOME|USER|LOGNAME|SHELL|PWD|OLDPWD|TERM|LANG|LANGUAGE|TZ|TMPDIR|HOSTNAME|LC_\w+)$/, // the system's
  /_SERVICE_(HOST|PORT)(_\w+)?$/, // Kubernetes service links (REDIS_SERVICE_HOST) ...
  /_PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?$/, // ... and Docker's links (REDIS_PORT_6379_TCP_ADDR)
];
/** `REDIS_PORT=tcp://10.0.0.3:6379`: the other service link form, told by its value. */
const isServiceLink = (name: string, value: string | undefined) => /_PORT$/.test(name) && /^(tcp|udp|sctp):\/\//.test(value ?? '');

const firstSegment = (name: string) => name.slice(0, name.indexOf('_') + 1) || name;

/**
 * The setting a name most likely meant: the nearest within TYPO_DISTANCE, else the nearest sharing
 * its prefix if less than half the name differs (`REDIS_HOST` → `REDIS_URL`), else none.
 */
function closestSetting(name: string, settings: readonly string[]): string | undefined {
  const upper = name.toUpperCase();
  const ranked = settings.map((setting) => ({ setting, distance: editDistance(upper, setting) })).sort((a, b) => a.distance - b.distance);
  const nearest = ranked[0];
  if (nearest && nearest.distance <= TYPO_DISTANCE) return nearest.setting;
  const sibling = ranked.find(({ setting }) => firstSegment(setting) === firstSegment(upper));
  return sibling && 2 * sibling.distance < upper.length ? sibling.setting : undefined;
}

function notASetting(name: string, settings: readonly string[]): string {
  const closest = closestSetting(name, settings);
  return closest ? `${name} is not a setting; did you mean ${closest}?` : `${name} is not a setting (every setting: docs/configuration.md)`;
}

/** Whether a variable of the environment looks like one of ours: a known prefix, or a typo of a setting. */
function looksLikeASetting(name: string, settings: readonly string[]): boolean {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) return false; // settings are upper case; npm_*, http_proxy are not ours
  if (PREFIXES.some((prefix) => name.startsWith(prefix))) return true;
  return settings.some((setting) => setting.length >= TYPO_MIN_LENGTH && editDistance(name, setting) <= TYPO_DISTANCE);
}

/**
 * One line for each variable that is not a setting but looks like one, and, in `.env` (which
 * Tessera alone reads, so a key there that is no setting does nothing), each unknown key and each
 * line that is no `NAME=value`. `.env`'s lines first, in file order; then the environment's, by name.
 */
export function unknownSettings(env: RawEnv, settings: readonly string[], file: EnvFile | undefined): string[] {
  const known = new Set(settings);
  const other = (name: string, value: string | undefined) => OTHER_PROGRAMS.some((p) => p.test(name)) || isServiceLink(name, value);
  const fromFile: [number, string][] = [];
  if (file) {
    for (const line of file.malformedLines) fromFile.push([line, `${file.path} line ${line} is not NAME=value; it was ignored`]);
    for (const [name, line] of file.keys) {
      if (!known.has(name) && !other(name, env[name])) fromFile.push([line, `${file.path} line ${line}: ${notASetting(name, settings)}`]);
    }
  }
  const fromEnvironment = Object.keys(env)
    .filter((name) => !known.has(name) && !file?.keys.has(name) && !other(name, env[name]) && looksLikeASetting(name, settings))
    .sort()
    .map((name) => notASetting(name, settings));
  return [...fromFile.sort(([a], [b]) => a - b).map(([, message]) => message), ...fromEnvironment];
}
