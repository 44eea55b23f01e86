import type { Revocation as FeedRevocation } from '../lib/revocation-index.ts';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const parseJson = (data: string): unknown => {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
};

const instant = (value: unknown): number | undefined => {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
};

/**
 * The data of a `revocation` event, `{"kind":"sid"|"jti","id","createdAt","expiresAt"}` (ISO
 * times), or undefined if it is malformed. An empty id is malformed: it could match a token's
 * missing claim.
 */
export function revocationOf(data: string): FeedRevocation | undefined {
  const body = parseJson(data);
  if (!isObject(body)) return undefined;
  const { kind, id } = body;
  if ((kind !== 'sid' && kind !== 'jti') || typeof id !== 'string' || id.length === 0) return undefined;
  const createdAt = instant(body.createdAt);
  const expiresAt = instant(body.expiresAt);
  if (createdAt === undefined || expiresAt === undefined) return undefined;
  return { kind, id, createdAt, expiresAt };
}

/** The `seq` of a `ready` event's data `{"seq": n}`, or undefined. */
export function readySeqOf(data: string): number | undefined {
  const body = parseJson(data);
  return isObject(body) && Number.isSafeInteger(body.seq) && (body.seq as number) >= 0 ? (body.seq as number) : undefined;
}

/** An event id: a non-negative integer in decimal (a database sequence), or undefined. */
export function sequenceOf(id: string | undefined): number | undefined {
  if (id === undefined || !/^\d{1,15}$/.test(id)) return undefined;
  return Number(id);
}
