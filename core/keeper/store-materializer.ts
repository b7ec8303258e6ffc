// The store as the keeper's materializer: WAL payloads are msgpack batches of store
// mutations, applied with Store.applyMutation (the deterministic follower path); snapshots
// are Store.snapshot() bytes. The batch encoding is defined here so the Core leader (which
// writes payloads) and the keeper (which reads them) share one codec.

import { decode } from '@msgpack/msgpack';
import { Store, type Mutation, type StoreOptions } from '../store';
import { arrayHeaderBytes, binHeaderBytes, uintBytes, writeArrayHeader, writeBinHeader, writeUint } from '../store/msgpack-write';
import type { SnapshotMaterializer } from './keeper';
import { assert } from '../../net/types';

/** Most mutations in one WAL payload (one replicated entry). */
export const batchMutationsMax = 200_000; // one command: up to evictionsPerCallMax DELs plus its own

/**
 * `[[db, [arg, ...]], ...]` in msgpack, args as binary: exactly the bytes @msgpack/msgpack's
 * encoder writes for that value (test/keeper/mutation-codec.test.ts checks it), written by hand
 * into one buffer sized up front. This runs once per write command, so it skips the generic
 * encoder's type dispatch and the arrays and views it would need as input.
 */
export function encodeMutationBatch(ms: readonly Mutation[]): Uint8Array {
  if (!(ms.length <= batchMutationsMax)) assert(false, `mutation batch of ${ms.length} above batchMutationsMax`);
  let size = arrayHeaderBytes(ms.length);
  for (const m of ms) {
    assert(Number.isInteger(m.db) && m.db >= 0 && m.db <= 0xffffffff, 'mutation db out of range');
    size += 1 + uintBytes(m.db) + arrayHeaderBytes(m.argv.length);
    for (const a of m.argv) size += binHeaderBytes(a.length) + a.length;
  }
  // Buffer.allocUnsafe carves small payloads out of a shared pool: no ArrayBuffer of its own
  // per write command (every byte is written below; the size check at the end proves it).
  const out = Buffer.allocUnsafe(size);
  let p = writeArrayHeader(out, 0, ms.length);
  for (const m of ms) {
    out[p++] = 0x92; // fixarray of 2: [db, argv]
    p = writeUint(out, p, m.db);
    p = writeArrayHeader(out, p, m.argv.length);
    for (const a of m.argv) {
      p = writeBinHeader(out, p, a.length);
      const n = a.length;
      if (n <= smallCopyBytesMax) {
        // Keys and small values: a loop costs less than TypedArray#set's native call.
        for (let i = 0; i < n; i++) out[p + i] = a[i]!;
      } else {
        out.set(a, p);
      }
      p += n;
    }
  }
  assert(p === size, 'mutation batch size mismatch');
  return out;
}

/** Arguments up to this size are copied by a loop rather than TypedArray#set. */
const smallCopyBytesMax = 32;

export type BatchDecode = { readonly ok: true; readonly mutations: Mutation[] } | { readonly ok: false; readonly reason: string };

export function decodeMutationBatch(bytes: Uint8Array): BatchDecode {
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (e) {
    return { ok: false, reason: `not msgpack: ${(e as Error).message}` };
  }
  if (!Array.isArray(raw) || raw.length > batchMutationsMax) return { ok: false, reason: 'not a mutation batch' };
  const out: Mutation[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || item.length !== 2) return { ok: false, reason: 'bad mutation shape' };
    const [db, argv] = item as [unknown, unknown];
    if (typeof db !== 'number' || !Array.isArray(argv) || argv.length === 0) return { ok: false, reason: 'bad mutation fields' };
    if (!argv.every((a) => a instanceof Uint8Array)) return { ok: false, reason: 'mutation argument not binary' };
    out.push({ db, argv: argv.map((a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length)) });
  }
  return { ok: true, mutations: out };
}

/**
 * Payload bytes a StoreMaterializer holds undecoded before it applies them: payloads queue up
 * (copied into slabs) and are applied in order in runs of this size, or when the store is
 * looked at (a snapshot, an invariant check). Every payload is decoded and applied once either
 * way; runs keep that work smooth (no long pause at snapshot time) and the queue small.
 * (A Keeper that shares its process with the Core keeps no store at all: core/node/core-snapshots.ts.)
 */
export const materializerQueuedBytesMax = 256 * 1024;

/** Size of the slabs the queued payloads are copied into. */
export const materializerSlabBytes = 1024 * 1024;

export class StoreMaterializer implements SnapshotMaterializer {
  private current: Store;
  /**
   * Payloads not applied yet, copied back to back (length-prefixed) into large slabs: a
   * payload's own buffer then dies young instead of being kept (and promoted, and traced by
   * every major GC) until the next snapshot.
   */
  private slabs: { readonly bytes: Uint8Array; used: number }[] = [];
  private queuedBytes = 0;
  constructor(private readonly opts: StoreOptions) {
    this.current = new Store(opts);
  }
  /** The store with every applied payload in it. */
  get store(): Store {
    this.flush();
    return this.current;
  }
  reset(): void {
    this.current = new Store(this.opts);
    this.dropQueue();
  }
  apply(payload: Uint8Array): void {
    const need = 4 + payload.length;
    let slab = this.slabs[this.slabs.length - 1];
    if (slab === undefined || slab.used + need > slab.bytes.length) {
      slab = { bytes: new Uint8Array(Math.max(materializerSlabBytes, need)), used: 0 };
      this.slabs.push(slab);
    }
    const b = slab.bytes;
    const at = slab.used;
    b[at] = payload.length >>> 24;
    b[at + 1] = (payload.length >>> 16) & 0xff;
    b[at + 2] = (payload.length >>> 8) & 0xff;
    b[at + 3] = payload.length & 0xff;
    b.set(payload, at + 4);
    slab.used = at + need;
    this.queuedBytes += payload.length;
    if (this.queuedBytes > materializerQueuedBytesMax) this.flush();
  }
  snapshot(): Uint8Array {
    return this.store.snapshot();
  }
  restore(bytes: Uint8Array): void {
    this.current = Store.restore(bytes, this.opts);
    this.dropQueue();
  }
  private dropQueue(): void {
    this.slabs = [];
    this.queuedBytes = 0;
  }
  private flush(): void {
    for (const { bytes: b, used } of this.slabs) {
      let at = 0;
      while (at < used) {
        const len = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
        const payload = b.subarray(at + 4, at + 4 + len);
        at += 4 + len;
        const d = decodeMutationBatch(payload);
        // The payload passed its CRC and was written by our own encoder: a bad one is a bug.
        if (!(d.ok)) assert(false, `undecodable WAL payload: ${d.ok ? '' : d.reason}`);
        for (const m of d.mutations) this.current.applyMutation(m);
      }
    }
    this.dropQueue();
  }
}
