import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LogIndex } from '../../core/keeper/log-index';
import { AssertionError } from '../../net/types';

// Model test: LogIndex against the plain array of objects it replaced in the Keeper.

interface Seg {
  readonly name: string;
}

interface ModelEntry {
  term: number;
  seg: Seg | null;
  pos: number;
  bytes: number;
  payload: Uint8Array | null;
}

const segPool: readonly Seg[] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
const payloadPool: readonly Uint8Array[] = [new Uint8Array([1]), new Uint8Array([2, 3]), new Uint8Array(0)];

type Op =
  | { kind: 'push'; term: number; seg: number | null; pos: number; bytes: number; payload: number | null }
  | { kind: 'truncate'; frac: number }
  | { kind: 'dropFront'; frac: number }
  | { kind: 'setPlace'; at: number; seg: number; pos: number }
  | { kind: 'clearPayload'; at: number }
  | { kind: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      term: fc.nat({ max: 1_000_000 }),
      seg: fc.option(fc.nat({ max: segPool.length - 1 })),
      pos: fc.integer({ min: -1, max: 1 << 30 }),
      bytes: fc.integer({ min: 24, max: 1 << 20 }),
      payload: fc.option(fc.nat({ max: payloadPool.length - 1 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropFront' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('setPlace' as const),
      at: fc.nat(),
      seg: fc.nat({ max: segPool.length - 1 }),
      pos: fc.nat({ max: 1 << 30 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clearPayload' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

/** Applies `op` to both; returns what dropFront returned (for comparison), else null. */
function apply(op: Op, idx: LogIndex<Seg>, model: ModelEntry[]): { got: number; want: number } | null {
  const n = model.length;
  switch (op.kind) {
    case 'push': {
      const seg = op.seg === null ? null : segPool[op.seg]!;
      const payload = op.payload === null ? null : payloadPool[op.payload]!;
      idx.push(op.term, seg, op.pos, op.bytes, payload);
      model.push({ term: op.term, seg, pos: op.pos, bytes: op.bytes, payload });
      return null;
    }
    case 'truncate': {
      const len = Math.floor(op.frac * n);
      idx.truncate(len);
      model.length = len;
      return null;
    }
    case 'dropFront': {
      const k = Math.floor(op.frac * n);
      const got = idx.dropFront(k);
      const want = model.splice(0, k).reduce((s, e) => s + e.bytes, 0);
      return { got, want };
    }
    case 'setPlace': {
      if (n === 0) return null;
      const i = op.at % n;
      idx.setPlace(i, segPool[op.seg]!, op.pos);
      model[i]!.seg = segPool[op.seg]!;
      model[i]!.pos = op.pos;
      return null;
    }
    case 'clearPayload': {
      if (n === 0) return null;
      const i = op.at % n;
      idx.clearPayload(i);
      model[i]!.payload = null;
      return null;
    }
    case 'clear':
      idx.clear();
      model.length = 0;
      return null;
    default: {
      const never: never = op;
      throw new Error(`unknown op ${JSON.stringify(never)}`);
    }
  }
}

function expectAgrees(idx: LogIndex<Seg>, model: readonly ModelEntry[]): void {
  idx.invariants();
  expect(idx.length).toBe(model.length);
  for (let i = 0; i < model.length; i++) {
    const e = model[i]!;
    expect(idx.termAt(i)).toBe(e.term);
    expect(idx.segAt(i)).toBe(e.seg);
    expect(idx.posAt(i)).toBe(e.pos);
    expect(idx.bytesAt(i)).toBe(e.bytes);
    expect(idx.payloadAt(i)).toBe(e.payload);
  }
  for (const seg of segPool) {
    let want = -1;
    for (let i = 0; i < model.length; i++) if (model[i]!.seg === seg) want = i;
    expect(idx.lastIndexIn(seg)).toBe(want);
  }
}

describe('LogIndex', () => {
  it('agrees with an array of objects after every push, truncate, dropFront and set', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const idx = new LogIndex<Seg>();
        const model: ModelEntry[] = [];
        for (const op of ops) {
          const dropped = apply(op, idx, model);
          if (dropped) expect(dropped.got).toBe(dropped.want);
          expectAgrees(idx, model);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses out-of-range indices and cuts as bugs (assertions)', () => {
    const idx = new LogIndex<Seg>();
    idx.push(1, null, -1, 30, payloadPool[0]!);
    idx.push(2, segPool[0]!, 16, 31, null);
    expect(() => idx.termAt(2)).toThrow(AssertionError);
    expect(() => idx.bytesAt(-1)).toThrow(AssertionError);
    expect(() => idx.setPlace(2, segPool[0]!, 0)).toThrow(AssertionError);
    expect(() => idx.setPlace(0, segPool[0]!, -1)).toThrow(AssertionError);
    expect(() => idx.clearPayload(5)).toThrow(AssertionError);
    expect(() => idx.truncate(3)).toThrow(AssertionError);
    expect(() => idx.truncate(-1)).toThrow(AssertionError);
    expect(() => idx.dropFront(3)).toThrow(AssertionError);
    expect(() => idx.dropFront(0.5)).toThrow(AssertionError);
    // A refused call changed nothing.
    expect(idx.length).toBe(2);
    expect(idx.termAt(1)).toBe(2);
    expect(idx.dropFront(1)).toBe(30);
    expect(idx.termAt(0)).toBe(2);
    expect(idx.posAt(0)).toBe(16);
  });

  it('holds a quarter of a million records and drops them in one call', () => {
    const n = 250_000;
    const idx = new LogIndex<Seg>();
    for (let i = 0; i < n; i++) idx.push(7, segPool[i % 3]!, 16 + i * 40, 40, null);
    expect(idx.length).toBe(n);
    expect(idx.posAt(n - 1)).toBe(16 + (n - 1) * 40);
    expect(idx.dropFront(n - 10)).toBe((n - 10) * 40);
    expect(idx.length).toBe(10);
    expect(idx.posAt(0)).toBe(16 + (n - 10) * 40);
    idx.invariants();
  });
});
