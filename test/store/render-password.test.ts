// net/render.ts (redis-cli's TTY format) and net/password.ts (scrypt/PBKDF2 records).

import { describe, expect, it } from 'vitest';
import { array, bulkStr, double, EMPTY_ARRAY, err, int, NULL, NULL_ARRAY, OK, type Reply } from '../../net/reply';
import { renderReply } from '../../net/render';
import { hashPassword, hashPasswordPbkdf2, verifyPassword } from '../../net/password';

describe('renderReply', () => {
  it('renders scalars as redis-cli does', () => {
    expect(renderReply(OK)).toBe('OK');
    expect(renderReply(err('ERR x'))).toBe('(error) ERR x');
    expect(renderReply(int(-3))).toBe('(integer) -3');
    expect(renderReply({ t: 'int', n: 2n ** 63n - 1n })).toBe('(integer) 9223372036854775807');
    expect(renderReply(NULL)).toBe('(nil)');
    expect(renderReply(NULL_ARRAY)).toBe('(nil)');
    expect(renderReply(EMPTY_ARRAY)).toBe('(empty array)');
    expect(renderReply(double(1.1))).toBe('"1.1000000000000001"');
    expect(renderReply({ t: 'bool', v: true })).toBe('(integer) 1');
    expect(renderReply({ t: 'bulk', b: Buffer.from([0x22, 0x5c, 0x0a, 0x00, 0xff, 0x41]) })).toBe('"\\"\\\\\\n\\x00\\xffA"');
  });

  it('aligns indices and indents nested arrays by the parent index width', () => {
    const ten: Reply[] = Array.from({ length: 10 }, (_, i) => int(i));
    const lines = renderReply(array(ten)).split('\n');
    expect(lines[0]).toBe(' 1) (integer) 0');
    expect(lines[9]).toBe('10) (integer) 9');
    const nested = array([bulkStr('0'), array([bulkStr('a'), array([bulkStr('x')]), EMPTY_ARRAY])]);
    expect(renderReply(nested)).toBe(['1) "0"', '2) 1) "a"', '   2) 1) "x"', '   3) (empty array)'].join('\n'));
    const map: Reply = { t: 'map', entries: [[bulkStr('f'), bulkStr('v')]] };
    expect(renderReply(map)).toBe('1) "f"\n2) "v"');
  });
});

describe('passwords', () => {
  it('verifies scrypt and PBKDF2 records with per-user salt', () => {
    const a = hashPassword('secret');
    const b = hashPassword('secret');
    expect(a.algo).toBe('scrypt');
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(verifyPassword('secret', a)).toBe(true);
    expect(verifyPassword('Secret', a)).toBe(false);
    const fixed = hashPassword('pw', Buffer.alloc(16, 1));
    expect(hashPassword('pw', Buffer.alloc(16, 1))).toEqual(fixed);
    const p = hashPasswordPbkdf2('pw');
    expect(p.algo).toBe('pbkdf2');
    expect(verifyPassword('pw', p)).toBe(true);
    expect(verifyPassword('px', p)).toBe(false);
    expect(verifyPassword('pw', { ...p, hash: 'abcd' })).toBe(false);
  });
});
