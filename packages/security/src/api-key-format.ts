import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** An API key's parts: `gq_<id>_<secret>`. */
export interface ApiKeyParts {
  /** 16 lowercase hex characters; names the record, so lookup is one read. */
  id: string;
  /** 43 base64url characters: 32 random bytes. */
  secret: string;
}

const KEY = /^gq_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const ID = /^[0-9a-f]{16}$/;

/** True when `id` has the form of a key id. */
export function isApiKeyId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id);
}

/** A fresh key from the secure random source: `gq_` + 8 random bytes of id + 32 of secret. */
export function generateApiKey(): ApiKeyParts & { key: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `gq_${id}_${secret}` };
}

/** The parts of a well-formed key, or undefined. */
export function parseApiKey(key: unknown): ApiKeyParts | undefined {
  if (typeof key !== 'string') return undefined;
  const match = KEY.exec(key);
  if (match === null) return undefined;
  return { id: match[1] as string, secret: match[2] as string };
}

/**
 * SHA-256 of the secret bound to its id, hex. The secret is 256 random bits, so a fast hash is
 * enough: there is nothing to guess from it.
 */
export function hashSecret(id: string, secret: string): string {
  return createHash('sha256').update(`${id}.${secret}`).digest('hex');
}

/** Compares two hex hashes in constant time. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
