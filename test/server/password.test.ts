// The server's asynchronous password hashing agrees with net/password.ts (same algorithm
// and parameters), so users created by ACL SETUSER verify on both paths.

import { describe, expect, it } from 'vitest';
import { hashPassword, passwordBytesMax, verifyPassword } from '../../net/password';
import { hashPasswordAsync, verifyPasswordAsync } from '../../real/server/server';

describe('hashPasswordAsync', () => {
  it('makes records the synchronous verifier accepts, and the other way round', async () => {
    const rec = await hashPasswordAsync('correct horse');
    expect(rec.algo).toBe('scrypt');
    expect(verifyPassword('correct horse', rec)).toBe(true);
    expect(verifyPassword('correct horsf', rec)).toBe(false);
    expect(await verifyPasswordAsync('correct horse', rec)).toBe(true);
    expect(await verifyPasswordAsync('', rec)).toBe(false);
    expect(await verifyPasswordAsync('correct horse', hashPassword('correct horse'))).toBe(true);
    expect((await hashPasswordAsync('correct horse')).salt).not.toBe(rec.salt);
  });

  it('refuses passwords over the limit', async () => {
    await expect(hashPasswordAsync('x'.repeat(passwordBytesMax + 1))).rejects.toThrow(/too long/);
  });
});
