/**
 * Secrets of a class: the class code in the join link, the trainer's token, each seat's token.
 * 32 random bytes from the OS's CSPRNG each (256 bits, base64url: 43 characters), compared in
 * constant time over their SHA-256 so a wrong guess learns nothing from timing or length.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
