import type { Request, RequestHandler } from 'express';
import { invalidClient } from '../lib/errors.ts';
import type { ClientsService, ServiceClient } from './clients.service.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** The service client authenticated with HTTP Basic, set by requireClient. */
    serviceClient?: ServiceClient;
  }
}

const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
/** Longer than any id and secret we issue, short enough that decoding costs nothing. */
const MAX_CREDENTIALS = 512;

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/** The id and secret of an `Authorization: Basic` header, or undefined if it is not one. */
export function basicCredentials(req: Request): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (!header || header.length > MAX_CREDENTIALS) return undefined;
  const encoded = BASIC.exec(header)?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return id && secret ? { id, secret } : undefined;
}

/** Lets only service clients through (HTTP Basic); anything else is 401 invalid_client with a Basic challenge. */
export function requireClient(clients: ClientsService): RequestHandler {
  return (req, _res, next) => {
    const credentials = basicCredentials(req);
    if (!credentials) return next(invalidClient());
    clients.authenticate(credentials.id, credentials.secret).then((client) => {
      if (!client) return next(invalidClient());
      req.serviceClient = client;
      next();
    }, next);
  };
}
