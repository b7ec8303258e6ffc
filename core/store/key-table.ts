// A database's key index: string key -> entry, by open addressing with linear probing.
//
// Why not V8's Map: with 100k keys a Map lookup costs several dependent cache misses. Its
// chains hold no hashes, so each entry walked loads its key string to compare it; its table
// (buckets, then key/value/chain triples) is several MB. Here a probe reads a slot's 32-bit hash
// from one Int32Array and loads an entry (and its key) only when the hash matches, so a hit costs
// the entry it returns plus about one miss into the hash array.
// A perf profile of the server under redis-benchmark GET at pipeline 16 on 100k keys had V8's
// Map lookup (FindOrderedHashMapEntry) at 22% of the process's CPU.
//
// Iteration order is not this table's business: the store keeps its entries in slot arrays.
//
// The hash is seeded (the seed comes from the node's randomness: a peer cannot aim keys at one
// probe sequence across runs) and an insert that walks more than probeLenMax slots re-seeds
// the table: a defence against accidental clustering and casual flooding, not a keyed PRF.

import { assert } from '../../net/types';

export interface Keyed {
  readonly key: string;
}

/** Smallest capacity (slots); always a power of two. */
const capacityMin = 16;
/** Grow when more than this share of the slots is used. */
const loadMax = 0.6;
/** Shrink when less than this share is used (and above capacityMin). */
const loadMin = 0.125;
/** An insert that probes more slots than this re-seeds and rebuilds the table. */
export const probeLenMax = 64;
/** Re-seeds in a row that did not help before the table stops trying (and stays correct, only slower). */
const reseedsMax = 4;

/** A 32-bit hash of the key's char codes, never 0 (0 marks an empty slot). */
export function keyHash(k: string, seed: number): number {
  let h = (seed ^ k.length) | 0;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  // murmur3's finalizer: every input bit reaches the low bits the slot index uses.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === 0 ? 1 : h;
}

export class KeyTable<E extends Keyed> {
  private hashes: Int32Array;
  private items: (E | undefined)[];
  private mask: number;
  private count = 0;
  private seed: number;
  private reseedsInARow = 0;

  /** `nextSeed` gives a seed now and whenever the table re-seeds. */
  constructor(private readonly nextSeed: () => number) {
    this.seed = nextSeed() | 0;
    this.hashes = new Int32Array(capacityMin);
    this.items = new Array<E | undefined>(capacityMin).fill(undefined);
    this.mask = capacityMin - 1;
  }

  get size(): number {
    return this.count;
  }

  get(k: string): E | undefined {
    const h = keyHash(k, this.seed);
    const hashes = this.hashes;
    const mask = this.mask;
    // Ends: the table always has an empty slot (load stays below loadMax < 1).
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = hashes[i]!;
      if (x === 0) return undefined;
      if (x === h) {
        const e = this.items[i]!;
        if (e.key === k) return e;
      }
    }
  }

  has(k: string): boolean {
    return this.get(k) !== undefined;
  }

  /** Insert an entry whose key is not in the table. */
  add(e: E): void {
    if ((this.count + 1) > (this.mask + 1) * loadMax) this.rebuild((this.mask + 1) * 2, this.seed);
    const probes = this.place(e, keyHash(e.key, this.seed));
    this.count++;
    if (probes <= probeLenMax) {
      this.reseedsInARow = 0;
    } else if (this.reseedsInARow < reseedsMax) {
      this.reseedsInARow++;
      this.rebuild(this.mask + 1, this.nextSeed() | 0);
    }
  }

  /** Remove the key's entry; false when it is not there. */
  delete(k: string): boolean {
    const h = keyHash(k, this.seed);
    const hashes = this.hashes;
    const items = this.items;
    const mask = this.mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const x = hashes[i]!;
      if (x === 0) return false;
      if (x === h && items[i]!.key === k) break;
    }
    // Backward-shift deletion: pull later entries of the run into the hole unless their home
    // slot lies cyclically in (hole, their slot], where they must stay; no tombstones.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const x = hashes[j]!;
      if (x === 0) break;
      const home = x & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      hashes[i] = x;
      items[i] = items[j];
      i = j;
    }
    hashes[i] = 0;
    items[i] = undefined;
    this.count--;
    const capacity = mask + 1;
    if (capacity > capacityMin && this.count < capacity * loadMin) this.rebuild(capacity / 2, this.seed);
    return true;
  }

  /** Check the table's own invariants against the entries it should hold (tests, Store.invariants). */
  invariants(expected: readonly E[]): void {
    assert(this.count === expected.length, `key table holds ${this.count}, expected ${expected.length}`);
    let used = 0;
    for (let i = 0; i <= this.mask; i++) if (this.hashes[i] !== 0) used++;
    assert(used === this.count, 'key table slot count');
    for (const e of expected) assert(this.get(e.key) === e, `key table lookup of ${e.key}`);
  }

  /** Puts the entry in the first empty slot of its run; returns the slots probed. */
  private place(e: E, h: number): number {
    const mask = this.mask;
    let probes = 1;
    let i = h & mask;
    while (this.hashes[i] !== 0) {
      i = (i + 1) & mask;
      probes++;
    }
    this.hashes[i] = h;
    this.items[i] = e;
    return probes;
  }

  /** Re-places every entry; keeps their hashes unless the seed changes (no key is read then). */
  private rebuild(capacity: number, seed: number): void {
    assert(capacity >= capacityMin && (capacity & (capacity - 1)) === 0, `key table capacity ${capacity}`);
    const oldItems = this.items;
    const oldHashes = this.hashes;
    const rehash = seed !== this.seed;
    this.seed = seed;
    this.hashes = new Int32Array(capacity);
    this.items = new Array<E | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (let i = 0; i < oldItems.length; i++) {
      const e = oldItems[i];
      if (e !== undefined) this.place(e, rehash ? keyHash(e.key, seed) : oldHashes[i]!);
    }
  }
}
