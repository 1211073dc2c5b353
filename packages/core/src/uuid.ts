import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

// One randomFillSync per 256 ids instead of one randomBytes per id: it was most of createJob's cost.
const POOL = Buffer.alloc(16 * 256);
let poolOffset = POOL.length;

/**
 * Returns a UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids
 * made in the same millisecond in creation order within this process, then 62 random bits.
 * Ids therefore sort by creation time as strings.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else {
    counter++;
    if (counter > 0xfff) {
      // The counter overflowed inside one millisecond: borrow the next millisecond so order holds.
      lastMs++;
      counter = 0;
    }
  }
  if (poolOffset >= POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  // The id's 16 bytes are written over the next 16 random ones of the pool, in place.
  const at = poolOffset;
  poolOffset += 16;
  const bytes = POOL;
  const ms = lastMs;
  bytes[at] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[at + 1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[at + 2] = (ms >>> 24) & 0xff;
  bytes[at + 3] = (ms >>> 16) & 0xff;
  bytes[at + 4] = (ms >>> 8) & 0xff;
  bytes[at + 5] = ms & 0xff;
  bytes[at + 6] = 0x70 | ((counter >>> 8) & 0x0f);
  bytes[at + 7] = counter & 0xff;
  bytes[at + 8] = 0x80 | ((bytes[at + 8] as number) & 0x3f);
  const hex = bytes.toString('hex', at, at + 16);
  return (
    hex.slice(0, 8) +
    '-' +
    hex.slice(8, 12) +
    '-' +
    hex.slice(12, 16) +
    '-' +
    hex.slice(16, 20) +
    '-' +
    hex.slice(20)
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID in canonical text form (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
