import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../lib/clock.ts';
import { safeEqual, sha256 } from '../lib/hash.ts';
import type { Actor } from '../users/users.service.ts';
import type { ServiceClientRepository } from './service-client.repository.ts';

/** What a request authenticated as a service client knows about it. */
export interface ServiceClient {
  id: string;
  name: string;
  createdAt: number;
}

/** The 16-byte id and 32-byte secret are base64url (RFC 4648 §5): form-encoding them for Basic changes nothing. */
const newClientId = () => `svc_${randomBytes(16).toString('base64url')}`;
const newSecret = () => randomBytes(32).toString('base64url');

/**
 * Service clients: the other services that read the revocation feed and introspect or revoke
 * tokens. Secrets are 256 random bits, so a fast hash (SHA-256) protects the stored copy as well
 * as a password hash would (there is nothing to guess), and checking one costs microseconds on
 * every introspection instead of an argon2 run, as RFC 6819 §5.1.4.1.3 and node-oidc-provider
 * allow for high-entropy client secrets.
 */
export function createClientsService(deps: { clients: ServiceClientRepository; audit: AuditLog; clock: Clock }) {
  const { clients, audit, clock } = deps;
  return {
    /** Creates a client; the secret is returned this once and never stored. */
    async create(name: string, actor: Actor): Promise<{ client: ServiceClient; secret: string }> {
      const client = { id: newClientId(), name, createdAt: clock.now() };
      const secret = newSecret();
      await clients.insert({ ...client, secretHash: sha256(secret) });
      await audit.record({
        type: 'client.created',
        actorId: actor.actorId,
        details: { clientId: client.id, name, via: actor.via, ...(actor.osUser ? { osUser: actor.osUser } : {}) },
      });
      return { client, secret };
    },

    list: async (): Promise<ServiceClient[]> => (await clients.list()).map(({ secretHash: _hash, ...client }) => client),

    async delete(id: string, actor: Actor): Promise<boolean> {
      const deleted = await clients.delete(id);
      if (deleted)
        await audit.record({
          type: 'client.deleted',
          actorId: actor.actorId,
          details: { clientId: id, via: actor.via, ...(actor.osUser ? { osUser: actor.osUser } : {}) },
        });
      return deleted;
    },

    /** The client these credentials name, or undefined: unknown id and wrong secret look the same. */
    async authenticate(id: string, secret: string): Promise<ServiceClient | undefined> {
      const row = await clients.find(id);
      // Compared in constant time, against a throwaway hash when the id is unknown.
      const expected = row?.secretHash ?? sha256(randomBytes(32).toString('base64url'));
      if (!safeEqual(sha256(secret), expected) || !row) return undefined;
      return { id: row.id, name: row.name, createdAt: row.createdAt };
    },

    /** Whether a client still exists (a long-lived feed re-checks it, so a deleted client is cut off). */
    exists: async (id: string): Promise<boolean> => (await clients.find(id)) !== undefined,
  };
}

export type ClientsService = ReturnType<typeof createClientsService>;
