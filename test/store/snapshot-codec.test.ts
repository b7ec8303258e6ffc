// The direct snapshot encoder (core/store/snapshot-codec.ts) against the generic one it
// replaced: on random stores built through the command API, Store.snapshot() must be
// byte-equal to `encode({ version: 1, dbs, users })` built the old way (kept here as the
// reference), and a restore of it must snapshot to the same bytes. One example store pins
// each msgpack form at its threshold, so the property cannot pass with a form never seen.

import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Store, type Session } from '../../core/store';
import { encodeValue, latin1Bytes } from '../../core/store/dump';
import type { Entry } from '../../core/store/types';
import { seededRng } from './rng';

const nowMs = 1;
const opts = (databases: number) => ({ maxmemoryBytes: 0, policy: 'noeviction' as const, rng: seededRng(7), databases });

/** Store.snapshot() as it was before the direct encoder: the nested array, then the library. */
function referenceSnapshot(s: Store): Uint8Array {
  // The test reads the store's private databases (the old builder ran inside the class).
  const internals = s as unknown as { dbs: { entries: Entry[] }[] };
  expect(Array.isArray(internals.dbs)).toBe(true);
  const dbs = internals.dbs.map((db) =>
    db.entries.map((e) => [latin1Bytes(e.key), e.expireAtMs === Infinity ? null : e.expireAtMs, ...encodeValue(e.v)]),
  );
  return encode({ version: 1, dbs, users: [...s.users().values()] });
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
type Cmd = { readonly db: number; readonly argv: readonly Buffer[] };

function runAll(databases: number, cmds: readonly Cmd[]): Store {
  const s = new Store(opts(databases));
  for (const c of cmds) {
    const session: Session = { db: c.db % databases, user: null };
    s.execute([...c.argv], nowMs, session);
  }
  s.invariants();
  return s;
}

function keyCount(s: Store): number {
  let n = 0;
  for (let db = 0; db < s.databases; db++) n += s.inDb(db, () => s.size());
  return n;
}

function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  // Buffer.compare, not toEqual on megabytes: a mismatch reports the first differing offset.
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  if (!a.equals(e)) {
    let i = 0;
    while (a[i] === e[i]) i++;
    expect.fail(`bytes differ at offset ${i}: got ${a.subarray(i, i + 12).toString('hex')}, want ${e.subarray(i, i + 12).toString('hex')}`);
  }
}

function checkStore(s: Store, databases: number): void {
  const bytes = s.snapshot();
  expectSameBytes(bytes, referenceSnapshot(s));
  const r = Store.restore(bytes, opts(databases));
  r.invariants();
  expect(r.digest()).toBe(s.digest());
  expectSameBytes(r.snapshot(), bytes);
}

// ---- Generators -----------------------------------------------------------------------

/** Lengths on both sides of msgpack's fixstr / 8-bit / 16-bit boundaries. */
const smallThresholds = [0, 1, 15, 16, 31, 32, 255, 256];
const bigThresholds = [65535, 65536];

const bytesArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 20, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 4, arbitrary: fc.constantFrom(...smallThresholds).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...bigThresholds), fc.integer({ min: 0, max: 255 })).map(([n, x]) => new Uint8Array(n).fill(x)) },
  )
  .map((u) => Buffer.from(u));

/** Keys, fields and members: a small shared pool (so commands meet), or any bytes. */
const nameArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', '', '\x00', '\xff', '\x00\xff\x80').map(b) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 24 }).map((u) => Buffer.from(u)) },
  { weight: 1, arbitrary: fc.constantFrom(31, 32, 255, 256).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })).map((u) => Buffer.from(u)) },
);

/** Absolute deadlines (nowMs is 1): small, around 2^31, 2^32 and 2^53, up to int64 max. */
const deadlineArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc.integer({ min: 2, max: 70_000 }).map(String),
    fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 1.8e12, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 60).map((n) => BigInt(n).toString()),
    fc.constant('9223372036854775807'),
  )
  .map(b);

/** Scores on every integer form (negative ones included), non-integers, and infinities. */
const scoreArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc.integer({ min: -70_000, max: 70_000 }).map(String),
    fc.constantFrom('-32', '-33', '-128', '-129', '-32768', '-32769', '-2147483648', '-2147483649', '-1099511627776', '4294967296', '1e300', '-1e18'),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.constantFrom('inf', '-inf', '-0', '0.5'),
  )
  .map(b);

const listOf = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T[]> =>
  fc.oneof({ weight: 4, arbitrary: fc.array(a, { minLength: 1, maxLength: 6 }) }, { weight: 1, arbitrary: fc.array(a, { minLength: 14, maxLength: 20 }) });

const jsonArb: fc.Arbitrary<Buffer> = fc.json({ maxDepth: 3, stringUnit: 'binary' }).map((t) => Buffer.from(t, 'utf8'));

const hexArb = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((u) => Buffer.from(u).toString('hex'));

const argvArb: fc.Arbitrary<Buffer[]> = fc.oneof(
  fc.tuple(nameArb, bytesArb).map(([k, v]) => [b('SET'), k, v]),
  fc.tuple(nameArb, bytesArb, deadlineArb).map(([k, v, d]) => [b('SET'), k, v, b('PXAT'), d]),
  fc.tuple(nameArb, deadlineArb).map(([k, d]) => [b('PEXPIREAT'), k, d]),
  fc.tuple(nameArb, listOf(fc.tuple(nameArb, bytesArb))).map(([k, fv]) => [b('HSET'), k, ...fv.flat()]),
  fc.tuple(fc.constantFrom('RPUSH', 'LPUSH'), nameArb, listOf(bytesArb)).map(([c, k, xs]) => [b(c), k, ...xs]),
  fc.tuple(nameArb, listOf(nameArb)).map(([k, ms]) => [b('SADD'), k, ...ms]),
  fc.tuple(nameArb, listOf(fc.tuple(scoreArb, nameArb))).map(([k, sm]) => [b('ZADD'), k, ...sm.flat()]),
  fc.tuple(nameArb, jsonArb).map(([k, j]) => [b('JSON.SET'), k, b('$'), j]),
  nameArb.map((k) => [b('DEL'), k]),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 8, unit: 'binary' }), fc.constantFrom('admin', 'readwrite', 'readonly'), fc.constantFrom('*', '0', '0,1'), fc.constantFrom('scrypt', 'pbkdf2'), hexArb, hexArb)
    .map((a) => [b('KSUSER.SET'), ...a.map((x) => Buffer.from(x, 'utf8'))]),
);

const storeArb = fc.record({
  databases: fc.integer({ min: 1, max: 18 }),
  cmds: fc.array(fc.record({ db: fc.nat({ max: 17 }), argv: argvArb }), { maxLength: 40 }),
});

// ---- Tests ----------------------------------------------------------------------------

describe('encodeStoreSnapshot', () => {
  it('writes the bytes the library wrote, and a restore snapshots to the same bytes', () => {
    let keysSeen = 0;
    fc.assert(
      fc.property(storeArb, ({ databases, cmds }) => {
        const s = runAll(databases, cmds);
        keysSeen += keyCount(s);
        checkStore(s, databases);
      }),
      { numRuns: 300 },
    );
    expect(keysSeen).toBeGreaterThan(300);
  });

  it('an empty store and a store with only users', () => {
    checkStore(new Store(opts(16)), 16);
    const s = runAll(1, [{ db: 0, argv: ['KSUSER.SET', 'ana', 'readonly', '0', 'scrypt', 'ab', 'cd'].map(b) }]);
    expect(s.users().size).toBe(1);
    checkStore(s, 1);
  });

  it('every msgpack form at its threshold (bin/array 16 and 32 bits, uint64, int64, float64)', () => {
    const cmds: Cmd[] = [];
    const add = (...argv: (string | Buffer)[]) => cmds.push({ db: 0, argv: argv.map((x) => (typeof x === 'string' ? b(x) : x)) });
    add('SET', 'bin16', Buffer.alloc(65535, 0xab));
    add('SET', 'bin32', Buffer.alloc(65536, 0xcd), 'PXAT', String(2 ** 32)); // uint64 deadline
    add('SET', 'far', 'x', 'PXAT', '9223372036854775807'); // not a safe integer: float64
    add('SET', 'u32', 'x', 'PXAT', String(2 ** 32 - 1));
    add('ZADD', 'z', '-1099511627776', 'int64', '-2147483649', 'int64b', '-2147483648', 'int32', '0.25', 'float', '-1', 'fixneg');
    const members = Array.from({ length: 65536 }, (_, i) => b(`m${i}`));
    add('SADD', 'array32', ...members);
    add('SADD', 'array16', ...members.slice(0, 65535));
    const fields = Array.from({ length: 32768 }, (_, i) => [b(`f${i}`), b('v')]).flat();
    add('HSET', 'hash-array32', ...fields); // 2 * 32768 items
    const s = runAll(1, cmds);
    const bytes = Buffer.from(s.snapshot());
    const has = (hex: string): boolean => bytes.includes(Buffer.from(hex, 'hex'));
    expect(has('c5ffff' + 'ab'.repeat(4))).toBe(true); // bin16 of 65535
    expect(has('c600010000' + 'cd'.repeat(4))).toBe(true); // bin32 of 65536
    expect(has('cf0000000100000000')).toBe(true); // uint64 2^32
    expect(has('ceffffffff')).toBe(true); // uint32 2^32-1
    expect(has('cb43e0000000000000')).toBe(true); // float64 2^63
    expect(has('d3ffffff0000000000')).toBe(true); // int64 -2^40
    expect(has('d280000000')).toBe(true); // int32 -2^31
    expect(has('d3ffffffff7fffffff')).toBe(true); // int64 -2^31-1
    expect(has('cb3fd0000000000000')).toBe(true); // float64 0.25
    expect(has('dd00010000')).toBe(true); // array32 of 65536
    expect(has('dcffff')).toBe(true); // array16 of 65535
    checkStore(s, 1);
  });
});
