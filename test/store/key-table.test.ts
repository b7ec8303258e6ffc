// The store's key index (core/store/key-table.ts) against a Map model: any sequence of adds,
// deletes and lookups, through growth, shrinking and backward-shift deletion, and the re-seed
// an aimed run of colliding keys triggers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyHash, KeyTable, probeLenMax } from '../../core/store/key-table';

interface Item {
  readonly key: string;
  readonly n: number;
}

type Op = { readonly op: 'add' | 'delete' | 'get'; readonly key: string };

/** Few distinct keys (so ops meet), including the empty key and high latin1 chars. */
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map((i) => `k${i}`),
  fc.constantFrom('', '\x00', '\xff', 'a\x00b'),
  fc.string({ maxLength: 6, unit: 'binary-ascii' }),
);
const opArb: fc.Arbitrary<Op> = fc.record({ op: fc.constantFrom('add', 'add', 'delete', 'get'), key: keyArb });

/** `count` keys whose hashes under `seed` share their low 10 bits: one home slot in any table up to 1024 slots. */
function aimedKeys(prefix: string, seed: number, count: number): string[] {
  const aimed: string[] = [];
  for (let i = 0; aimed.length < count; i++) {
    const k = `${prefix}${i}`;
    if ((keyHash(k, seed) & 1023) === 0) aimed.push(k);
  }
  return aimed;
}

describe('KeyTable', () => {
  it('behaves as a Map under any adds, deletes and lookups (property)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 600 }), fc.integer(), (ops, seed) => {
        const t = new KeyTable<Item>(() => seed);
        const m = new Map<string, Item>();
        let n = 0;
        for (const { op, key } of ops) {
          if (op === 'add') {
            if (m.has(key)) continue; // add is only for absent keys
            const item = { key, n: n++ };
            t.add(item);
            m.set(key, item);
          } else if (op === 'delete') {
            expect(t.delete(key)).toBe(m.delete(key));
          } else {
            expect(t.get(key)).toBe(m.get(key));
          }
          expect(t.size).toBe(m.size);
        }
        t.invariants([...m.values()]);
        for (const [k, item] of m) expect(t.get(k)).toBe(item);
        // Deleting everything leaves an empty, shrunk, still working table.
        for (const k of [...m.keys()]) expect(t.delete(k)).toBe(true);
        expect(t.size).toBe(0);
        expect(t.get('k1')).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('grows to many keys and shrinks back', () => {
    const t = new KeyTable<Item>(() => 7);
    const items = Array.from({ length: 50_000 }, (_, n) => ({ key: `key:${String(n).padStart(12, '0')}`, n }));
    for (const it of items) t.add(it);
    t.invariants(items);
    for (const it of items.slice(0, 49_990)) expect(t.delete(it.key)).toBe(true);
    t.invariants(items.slice(49_990));
    expect(t.get(items[0]!.key)).toBeUndefined();
  });

  it('a run of keys aimed at one slot makes the table re-seed, and lookups stay right', () => {
    const seed = 12345;
    // Inserting keys with one home slot probes further and further.
    const aimed = aimedKeys('x', seed, 80);
    const seeds = [seed, 999, 31337, 4242, 777, 555];
    let drawn = 0;
    const t = new KeyTable<Item>(() => seeds[Math.min(drawn++, seeds.length - 1)]!);
    aimed.forEach((key, n) => t.add({ key, n }));
    expect(aimed.length).toBeGreaterThan(probeLenMax);
    expect(drawn).toBeGreaterThan(1); // re-seeded at least once
    aimed.forEach((key, n) => expect(t.get(key)?.n).toBe(n));
    t.invariants(aimed.map((key, n) => t.get(key) ?? { key, n: -1 - n }));
  });

  it('a seed source that keeps giving the same seed: a few tries, then it stays correct and stops re-seeding', () => {
    const seed = 99;
    const aimed = aimedKeys('y', seed, 200);
    let drawn = 0;
    const t = new KeyTable<Item>(() => (drawn++, seed));
    aimed.forEach((key, n) => t.add({ key, n }));
    expect(drawn).toBeGreaterThan(1);
    expect(drawn).toBeLessThan(10); // bounded: no rebuild per insert
    aimed.forEach((key, n) => expect(t.get(key)?.n).toBe(n));
  });

  it('keyHash: never 0, and sensitive to every char and to the seed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: 'binary' }), fc.integer(), (k, seed) => {
        expect(keyHash(k, seed)).not.toBe(0);
      }),
    );
    expect(keyHash('abc', 1)).not.toBe(keyHash('abd', 1));
    expect(keyHash('abc', 1)).not.toBe(keyHash('abc', 2));
    expect(keyHash('', 1)).not.toBe(keyHash('\x00', 1));
  });
});
