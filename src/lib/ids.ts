import { randomFillSync } from 'node:crypto';

/** Random bytes drawn 4 KiB at a time (as node:crypto's randomUUID does): one CSPRNG call per 256 ids, not one each. */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * UUIDv7 (RFC 9562): random, yet ordered by creation time, so an index on the id
 * is also a chronological cursor for pagination.
 */
export function newId(nowMs: number): string {
  if (offset === POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  // A copy: the pool's bytes are each used once and never handed out.
  const bytes = Buffer.from(pool.subarray(offset, offset + 16));
  pool.fill(0, offset, offset + 16);
  offset += 16;
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x70, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
