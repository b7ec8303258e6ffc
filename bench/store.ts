// Store throughput in-process on one core: SET then GET of 16-byte values over 1M keys,
// through Store.execute with argv as the RESP parser would hand it (Buffers).
// Run: npx tsx bench/store.ts   (bench/run.ts imports benchStore()).

import v8 from 'node:v8';
import vm from 'node:vm';
import { Store } from '../core/store';
import type { Rng } from '../net/types';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const keysCount = 1_000_000;
const valueBytes = 16;

/** A fixed-seed generator (mulberry32); the bench never draws randomness on the hot path. */
function benchRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), chance: (p) => next() < p };
}

/** A full garbage collection (V8's gc() without --expose-gc on the command line). */
function fullGc(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** Heap plus memory outside it, in bytes. (`external` already includes `arrayBuffers`, the Buffers' backing stores.) */
function usedBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export function benchStore(): BenchResult[] {
  const keys = Array.from({ length: keysCount }, (_, i) => Buffer.from(`key:${String(i).padStart(12, '0')}`));
  fullGc();
  const before = usedBytes();
  const store = new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: benchRng(1) });
  const session = { db: 0, user: null };
  const value = Buffer.alloc(valueBytes, 0x61);
  const SET = Buffer.from('SET');
  const GET = Buffer.from('GET');
  const nowMs = 1_700_000_000_000;

  let t0 = process.hrtime.bigint();
  for (let i = 0; i < keysCount; i++) store.execute([SET, keys[i]!, value], nowMs, session);
  const setSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  fullGc();
  const realBytesPerKey = (usedBytes() - before) / keysCount;

  const getSeqSeconds = timeGets(store, GET, keys, (i) => i, nowMs, session);
  // Stride through the keyspace (7919 is prime): lookups in no useful memory order.
  const getSeconds = timeGets(store, GET, keys, (i) => (i * 7919) % keysCount, nowMs, session);

  return [
    { name: 'store SET 16B (1M keys)', value: Math.round(keysCount / setSeconds), unit: 'ops/s' },
    { name: 'store GET 16B (1M keys, insertion order)', value: Math.round(keysCount / getSeqSeconds), unit: 'ops/s' },
    { name: 'store GET 16B (1M keys, scattered order)', value: Math.round(keysCount / getSeconds), unit: 'ops/s' },
    { name: 'store used memory (1M keys)', value: Math.round(store.usedMemoryBytes() / 2 ** 20), unit: 'MiB (estimate)' },
    // What a key really costs in V8 (heap and Buffer memory after a full GC), and what the
    // store counts for it (INFO used_memory, MEMORY USAGE, --maxmemory).
    { name: 'store real bytes per key (16-byte key and value)', value: Math.round(realBytesPerKey), unit: 'bytes' },
    { name: 'store estimated bytes per key (16-byte key and value)', value: Math.round(store.usedMemoryBytes() / keysCount), unit: 'bytes' },
  ];
}

function timeGets(
  store: Store,
  GET: Buffer,
  keys: readonly Buffer[],
  at: (i: number) => number,
  nowMs: number,
  session: { db: number; user: null },
): number {
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < keysCount; i++) {
    const r = store.execute([GET, keys[at(i)]!], nowMs, session);
    if (r.reply.t === 'bulk' || r.reply.t === 'latin1') hits++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (hits !== keysCount) throw new Error(`bench: ${hits} hits of ${keysCount}`);
  return seconds;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of benchStore()) console.log(`${r.name}: ${r.value.toLocaleString('en-US')} ${r.unit}`);
}
