// Password hashing for users held in the store. Only {algo, salt, hash} is replicated;
// the plaintext never leaves the connection layer. scrypt is the default; PBKDF2 records
// (e.g. imported) verify too. Comparison is constant-time.

import { pbkdf2Sync, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

export type PasswordAlgo = 'scrypt' | 'pbkdf2';

export interface PasswordRecord {
  readonly algo: PasswordAlgo;
  /** Hex. */
  readonly salt: string;
  /** Hex. */
  readonly hash: string;
}

export const saltBytes = 16;
export const hashBytes = 32;
/** scrypt cost (N=2^14, r=8, p=1: the RFC 7914 interactive-login example). */
export const scryptN = 16384;
export const pbkdf2Iterations = 210_000; // OWASP 2023 figure for PBKDF2-HMAC-SHA512
export const passwordBytesMax = 1024;

export function hashPassword(pw: string, salt?: Uint8Array): PasswordRecord {
  if (Buffer.byteLength(pw) > passwordBytesMax) throw new RangeError('password too long');
  const s = salt === undefined ? randomBytes(saltBytes) : Buffer.from(salt);
  const hash = scryptSync(pw, s, hashBytes, { N: scryptN, r: 8, p: 1 });
  return { algo: 'scrypt', salt: s.toString('hex'), hash: hash.toString('hex') };
}

export function hashPasswordPbkdf2(pw: string, salt?: Uint8Array): PasswordRecord {
  if (Buffer.byteLength(pw) > passwordBytesMax) throw new RangeError('password too long');
  const s = salt === undefined ? randomBytes(saltBytes) : Buffer.from(salt);
  const hash = pbkdf2Sync(pw, s, pbkdf2Iterations, hashBytes, 'sha512');
  return { algo: 'pbkdf2', salt: s.toString('hex'), hash: hash.toString('hex') };
}

export function verifyPassword(pw: string, record: PasswordRecord): boolean {
  if (Buffer.byteLength(pw) > passwordBytesMax) return false;
  const salt = Buffer.from(record.salt, 'hex');
  const want = Buffer.from(record.hash, 'hex');
  if (want.length !== hashBytes) return false;
  const got =
    record.algo === 'scrypt'
      ? scryptSync(pw, salt, hashBytes, { N: scryptN, r: 8, p: 1 })
      : pbkdf2Sync(pw, salt, pbkdf2Iterations, hashBytes, 'sha512');
  return timingSafeEqual(got, want);
}
