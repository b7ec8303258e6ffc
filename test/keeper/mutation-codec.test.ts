// The WAL payload codec: encodeMutationBatch writes msgpack by hand, so it must write exactly
// the bytes the msgpack library writes for the same value (the format on disk is msgpack), and
// decodeMutationBatch must read back what it wrote.
import fc from 'fast-check';
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodeMutationBatch, encodeMutationBatch } from '../../core/keeper/store-materializer';
import type { Mutation } from '../../core/store';

const byLibrary = (ms: readonly Mutation[]): Uint8Array => encode(ms.map((m) => [m.db, m.argv.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.length))]));

// Sizes around every msgpack header boundary: fixarray/array16, bin8/bin16/bin32, fixint/uint8/16/32.
const argBytes = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 300 }), weight: 30 }, { arbitrary: fc.constantFrom(255, 256, 65_535, 65_536, 70_000), weight: 1 });
const arg = argBytes.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((u) => Buffer.from(u)));
const db = fc.oneof(fc.integer({ min: 0, max: 15 }), fc.constantFrom(127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1));
const mutation = fc.record({ db, argv: fc.array(arg, { minLength: 1, maxLength: 18 }) });

describe('mutation batch codec', () => {
  it('writes the same bytes as the msgpack library, and reads them back', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 0, maxLength: 8 }), (ms) => {
        const mine = encodeMutationBatch(ms);
        expect(Buffer.from(mine).equals(Buffer.from(byLibrary(ms)))).toBe(true);
        const back = decodeMutationBatch(mine);
        expect(back.ok).toBe(true);
        if (back.ok) expect(back.mutations.map((m) => ({ db: m.db, argv: m.argv.map((a) => Buffer.from(a).toString('hex')) }))).toEqual(ms.map((m) => ({ db: m.db, argv: m.argv.map((a) => a.toString('hex')) })));
      }),
      { numRuns: 100 },
    );
  });

  it('writes array16 and array32 headers for long batches and argument lists', () => {
    for (const n of [15, 16, 65_535, 65_536]) {
      const ms: Mutation[] = [{ db: 0, argv: Array.from({ length: n }, (_, i) => Buffer.from(String(i % 10))) }];
      expect(Buffer.from(encodeMutationBatch(ms)).equals(Buffer.from(byLibrary(ms)))).toBe(true);
    }
    const many: Mutation[] = Array.from({ length: 70_000 }, () => ({ db: 1, argv: [Buffer.from('DEL'), Buffer.from('k')] }));
    expect(Buffer.from(encodeMutationBatch(many)).equals(Buffer.from(byLibrary(many)))).toBe(true);
  });
});
