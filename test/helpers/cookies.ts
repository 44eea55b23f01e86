import type { Response } from 'supertest';

/** The Set-Cookie lines of a response, always as an array. */
export function setCookies(res: Response): string[] {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []);
}

/** The value a Set-Cookie list gives to `name`, or undefined. */
export function cookieValue(lines: string[], name: string): string | undefined {
  for (const line of lines) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    if (eq > 0 && pair!.slice(0, eq).trim() === name) return decodeURIComponent(pair!.slice(eq + 1).trim());
  }
  return undefined;
}

/** The full Set-Cookie line for `name`, or undefined. */
export function cookieLine(lines: string[], name: string): string | undefined {
  return lines.find((line) => line.split('=')[0]!.trim() === name);
}

/** The session cookies of a login/refresh response. */
export function sessionCookies(res: Response): { refresh: string; csrf: string } {
  const lines = setCookies(res);
  const refresh = cookieValue(lines, 'refresh_token');
  const csrf = cookieValue(lines, 'csrf_token');
  if (!refresh || !csrf) throw new Error(`missing session cookies: ${JSON.stringify(lines)}`);
  return { refresh, csrf };
}

/** A Cookie request header. */
export const cookieHeader = (cookies: Record<string, string>): string =>
  Object.entries(cookies)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('; ');

/** The payload of a JWT, unverified. */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export const sidOf = (accessToken: string): string => jwtPayload(accessToken).sid as string;
