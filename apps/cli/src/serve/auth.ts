import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Whether an Authorization header carries `Bearer <key>`. Compares SHA-256 digests with timingSafeEqual, so the
 * time taken says nothing about the key (not even its length).
 */
export function hasApiKey(header: string | undefined, key: string): boolean {
  const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  return timingSafeEqual(digest(given), digest(key)) && given.length > 0;
}
