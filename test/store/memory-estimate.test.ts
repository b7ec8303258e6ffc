// The store's memory estimate (INFO used_memory, MEMORY USAGE, what --maxmemory evicts against)
// must stay close to what the keys really cost in V8's heap, or a memory cap would let the
// process grow several times past it. Real cost here: heap and external memory after a full
// GC, per item, with the arguments allocated outside Buffer's shared pool (as the server's
// arguments are views of its socket reads) so the harness's own garbage does not pin pool slabs.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Store } from '../../core/store';
import { SeededRng } from '../../sim/rng';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const arg = (s: string): Buffer => {
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(s));
  b.write(s, 'latin1');
  return b;
};
const key = (k: number) => `key:${String(k).padStart(12, '0')}`;
const v16 = 'v'.repeat(16);

function realAndEstimate(keys: number, build: (run: (...a: string[]) => void, k: number) => void): { real: number; estimate: number } {
  gc();
  gc();
  const m0 = process.memoryUsage();
  const store = new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: new SeededRng('memory') });
  const run = (...a: string[]) => {
    store.execute(a.map(arg), 1000, { db: 0, user: null });
  };
  for (let k = 0; k < keys; k++) build(run, k);
  gc();
  gc();
  const m1 = process.memoryUsage();
  // `external` already includes `arrayBuffers` (Buffers' backing stores): counting both would
  // count value bytes twice.
  const real = m1.heapUsed - m0.heapUsed + (m1.external - m0.external);
  const estimate = store.usedMemoryBytes();
  expect(store.dbSize(0)).toBe(keys); // the store is alive until here
  return { real, estimate };
}

describe('memory estimate against real heap usage (V8)', () => {
  const cases: [string, number, (run: (...a: string[]) => void, k: number) => void][] = [
    ['strings (16-byte key, 16-byte value)', 40_000, (run, k) => run('SET', key(k), v16)],
    ['strings (16-byte key, 200-byte value)', 20_000, (run, k) => run('SET', key(k), 'x'.repeat(200))],
    ['hashes of 50 fields (8 + 16 bytes)', 400, (run, k) => { for (let f = 0; f < 50; f++) run('HSET', key(k), `f${String(f).padStart(7, '0')}`, v16); }],
    ['lists of 50 elements (16 bytes)', 400, (run, k) => { for (let f = 0; f < 50; f++) run('RPUSH', key(k), v16); }],
    ['sets of 50 members (16 bytes)', 400, (run, k) => { for (let f = 0; f < 50; f++) run('SADD', key(k), `m${String(f).padStart(15, '0')}`); }],
    ['sorted sets of 50 members (16 bytes)', 400, (run, k) => { for (let f = 0; f < 50; f++) run('ZADD', key(k), String(f), `m${String(f).padStart(15, '0')}`); }],
  ];
  it.each(cases)('%s: the estimate is within 0.75x-1.33x of the real cost', (_label, keys, build) => {
    const { real, estimate } = realAndEstimate(keys, build);
    const ratio = estimate / real;
    expect(ratio, `estimate ${estimate} B, real ${real} B`).toBeGreaterThan(0.75);
    expect(ratio, `estimate ${estimate} B, real ${real} B`).toBeLessThan(1.33);
  });
});
