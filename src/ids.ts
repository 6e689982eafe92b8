import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;
// Entropy drawn in bulk: one system call for 4,096 ids instead of one each.
const POOL_IDS = 4096;
const pool = Buffer.alloc(16 * POOL_IDS);
let poolOffset = pool.length;

/**
 * A UUID-shaped id that sorts by creation time (the layout of UUIDv7: 48 bits
 * of milliseconds, a 26-bit counter, then randomness), so records made in one
 * millisecond still list in the order they were made within this process.
 */
export function sortableId(now = Date.now()): string {
  if (now <= lastMs) {
    counter += 1;
    now = lastMs;
  } else {
    lastMs = now;
    counter = 0;
  }
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, (poolOffset += 16)));
  bytes.writeUIntBE(now, 0, 6);
  // A 26-bit counter around the version and variant bits: 12 + 6 + 8 bits, most significant first.
  bytes.writeUInt16BE(0x7000 | ((counter >>> 14) & 0x0fff), 6);
  bytes[8] = 0x80 | ((counter >>> 8) & 0x3f);
  bytes[9] = counter & 0xff;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
