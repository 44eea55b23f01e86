import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../lib/clock.ts';
import { notFound } from '../lib/errors.ts';
import { insertRevocations, type KeyRevocation } from '../revocation/revocation.repository.ts';
import type { Revocations } from '../revocation/revocations.ts';
import type { Actor } from '../users/users.service.ts';
import type { Keystore, RevokedKey } from './keystore.ts';

/** Signing-key changes made by an operator: each one audited, naming who made it. */
export function createSigningKeysService(deps: {
  keystore: Keystore;
  revocations: Pick<Revocations, 'coverUntil' | 'applyKeys'>;
  audit: AuditLog;
  clock: Clock;
}) {
  const { keystore, revocations, audit, clock } = deps;

  return {
    /**
     * Signing-key compromise: the key is deleted and, in the same transaction, a revocation row
     * is written that every instance reads within a poll (or at once over Redis). Each drops the
     * key, so it leaves the JWKS and every token it signed (cached ones included) is refused;
     * one that signed with it switches to the replacement made here, which signs at once.
     * `not_found` for a kid that is not stored.
     */
    async revoke(kid: string, actor: Actor): Promise<RevokedKey> {
      const now = clock.now();
      // Until every token the key may have signed has expired: instances that start later read the keys without it.
      const row: KeyRevocation = { id: kid, kind: 'kid', createdAt: now, expiresAt: revocations.coverUntil(now) };
      const revoked = await keystore.revoke(kid, (trx) => insertRevocations(trx, [row]));
      if (!revoked) throw notFound(`No signing key has the kid ${kid}.`);
      revocations.applyKeys([row]);
      await audit.record({
        type: 'key.revoked',
        actorId: actor.actorId,
        ip: actor.ip ?? null,
        userAgent: actor.userAgent ?? null,
        requestId: actor.requestId ?? null,
        details: {
          kid,
          alg: revoked.alg,
          replacedBy: revoked.replacement?.kid ?? null,
          via: actor.via,
          ...(actor.osUser ? { osUser: actor.osUser } : {}),
        },
      });
      return revoked;
    },
  };
}

export type SigningKeysService = ReturnType<typeof createSigningKeysService>;
