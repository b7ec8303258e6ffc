// Value containers and their memory estimate. Every container keeps `bytes`, an estimate
// of its payload size, updated by the helpers below on every change, so a key's memory
// cost is O(1) to read. The figures are estimates in the spirit of redis's
// objectComputeSize, not exact allocator numbers:
//   entry:  entryOverheadBytes + key bytes + payload
//   string: value bytes (a string value is its bytes themselves: no container object)
//   hash:   per field hashFieldOverheadBytes + field bytes + value bytes
//   list:   per element listElementOverheadBytes + element bytes
//   set:    per member setMemberOverheadBytes + member bytes
//   zset:   per member zsetMemberOverheadBytes + member bytes (score included)
//   json:   the document's compact UTF-8 serialization (json.ts), recomputed on every write

import { Deque } from './deque';
import { bulk, bulkLatin1, type Reply } from '../../net/reply';
import { jsonBytes, type J } from './json';
import { latin1 } from './util';

// The overheads are what V8 really spends (Node 20, measured by test/store/memory-estimate.test.ts,
// which fails when the estimate drifts outside 0.75x-1.33x of the real heap): a key costs its
// slots in the key index and the entries array, the entry object, the key string and the value
// (a string value has no object of its own: its string or Buffer is the value): about 175 bytes
// before the bytes themselves (Redis: about 70).
// Counting less would let --maxmemory admit more memory than it names.
export const entryOverheadBytes = 174;
export const hashFieldOverheadBytes = 160;
export const listElementOverheadBytes = 120;
export const setMemberOverheadBytes = 50;
export const zsetMemberOverheadBytes = 112;

/**
 * A string value's bytes. Up to `stringTextBytesMax` they are a JS string whose char codes are
 * the bytes (latin1, 0..255 each: V8 keeps it as a one-byte string with the bytes inside the
 * heap object). A GET then replies with the string itself (the `latin1` reply), one object away
 * from the entry, where a Buffer is three (the typed array, its store, the bytes) and costs about
 * 100 bytes more. Larger values are Buffers: off the V8 heap, never copied by its GC, and not
 * bounded by V8's longest string.
 */
export type StrData = string | Buffer;
export const stringTextBytesMax = 4096;

export interface HashVal {
  readonly type: 'hash';
  readonly m: Map<string, Buffer>;
  bytes: number;
}
export interface ListVal {
  readonly type: 'list';
  readonly a: Deque;
  bytes: number;
}
export interface SetVal {
  readonly type: 'set';
  readonly s: Set<string>;
  bytes: number;
}
/** A member with its score; `sorted` is ordered by (score, member bytes). */
export interface ZItem {
  readonly member: string;
  readonly score: number;
}
export interface ZSetVal {
  readonly type: 'zset';
  readonly scores: Map<string, number>;
  readonly sorted: ZItem[];
  bytes: number;
}

/** A RedisJSON document. */
export interface JsonVal {
  readonly type: 'json';
  doc: J;
  bytes: number;
}

/** A value with elements: an object that keeps its type and its payload's byte count. */
export type Container = HashVal | ListVal | SetVal | ZSetVal | JsonVal;

/**
 * A key's value. A string value is its data itself, not an object holding it: a GET reads
 * entry -> string, one dependent load fewer than entry -> container -> string, and a key costs
 * one object less. Every other type is a `Container`.
 */
export type Value = StrData | Container;
export type ValueType = 'string' | Container['type'];

/** Whether `v` is a string value (its data). */
export const isStr = (v: Value): v is StrData => typeof v === 'string' || v instanceof Uint8Array;

/** What TYPE names `v`. */
export const valueType = (v: Value): ValueType => (isStr(v) ? 'string' : v.type);

/** The payload estimate of `v` (see the top of this file). */
export const valueBytes = (v: Value): number => (isStr(v) ? v.length : v.bytes);

/** What TYPE answers per container. */
export const typeName = {
  string: 'string',
  hash: 'hash',
  list: 'list',
  set: 'set',
  zset: 'zset',
  json: 'ReJSON-RL',
} as const satisfies Record<ValueType, string>;

/**
 * The stored form of `bytes`. A copy unless `owned` (a buffer nobody else holds) and large:
 * arguments can be views into a connection's receive buffer, which must not be pinned.
 */
export function strData(bytes: Uint8Array, owned: boolean): StrData {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length <= stringTextBytesMax) return latin1(b);
  return owned ? b : Buffer.from(b);
}

/** The bytes as a Buffer: the value's own when it is one (do not change it), else a new one. */
export const strBuffer = (d: StrData): Buffer => (typeof d === 'string' ? Buffer.from(d, 'latin1') : d);

/** The value as a bulk reply (the text form without a copy). */
export const strReply = (d: StrData): Reply => (typeof d === 'string' ? bulkLatin1(d) : bulk(d));
export const newHash = (): HashVal => ({ type: 'hash', m: new Map(), bytes: 0 });
export const newList = (): ListVal => ({ type: 'list', a: new Deque(), bytes: 0 });
export const newSet = (): SetVal => ({ type: 'set', s: new Set(), bytes: 0 });
export const newZSet = (): ZSetVal => ({ type: 'zset', scores: new Map(), sorted: [], bytes: 0 });

export const newJson = (doc: J): JsonVal => ({ type: 'json', doc, bytes: jsonBytes(doc) });

/** After changing a document in place (or replacing it): recount its bytes. */
export function setJson(v: JsonVal, doc: J): void {
  v.doc = doc;
  v.bytes = jsonBytes(doc);
}

/** Returns true when the field is new. */
export function hashSet(h: HashVal, field: string, value: Buffer): boolean {
  const old = h.m.get(field);
  if (old === undefined) {
    h.bytes += hashFieldOverheadBytes + field.length + value.length;
  } else {
    h.bytes += value.length - old.length;
  }
  h.m.set(field, value);
  return old === undefined;
}

export function hashDel(h: HashVal, field: string): boolean {
  const old = h.m.get(field);
  if (old === undefined) return false;
  h.m.delete(field);
  h.bytes -= hashFieldOverheadBytes + field.length + old.length;
  return true;
}

export const listElementBytes = (b: Buffer): number => listElementOverheadBytes + b.length;

export function listRecount(l: ListVal): void {
  let bytes = 0;
  for (const e of l.a.toArray()) bytes += listElementBytes(e);
  l.bytes = bytes;
}

export function setAdd(s: SetVal, member: string): boolean {
  if (s.s.has(member)) return false;
  s.s.add(member);
  s.bytes += setMemberOverheadBytes + member.length;
  return true;
}

export function setRem(s: SetVal, member: string): boolean {
  if (!s.s.delete(member)) return false;
  s.bytes -= setMemberOverheadBytes + member.length;
  return true;
}

/** Redis orders equal scores by member bytes (memcmp); latin1 strings compare the same. */
export function zcmp(aScore: number, aMember: string, bScore: number, bMember: string): number {
  if (aScore !== bScore) return aScore < bScore ? -1 : 1;
  return aMember < bMember ? -1 : aMember > bMember ? 1 : 0;
}

/** Index of the first item not less than (score, member). */
export function zLowerBound(z: ZSetVal, score: number, member: string): number {
  let lo = 0;
  let hi = z.sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const it = z.sorted[mid]!;
    if (zcmp(it.score, it.member, score, member) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Insert or re-score a member. O(n) splice: a skip list is future work. */
export function zsetPut(z: ZSetVal, member: string, score: number): void {
  const old = z.scores.get(member);
  if (old !== undefined) {
    if (old === score) return;
    z.sorted.splice(zLowerBound(z, old, member), 1);
  } else {
    z.bytes += zsetMemberOverheadBytes + member.length;
  }
  z.scores.set(member, score);
  z.sorted.splice(zLowerBound(z, score, member), 0, { member, score });
}

export function zsetDel(z: ZSetVal, member: string): boolean {
  const old = z.scores.get(member);
  if (old === undefined) return false;
  z.sorted.splice(zLowerBound(z, old, member), 1);
  z.scores.delete(member);
  z.bytes -= zsetMemberOverheadBytes + member.length;
  return true;
}

/** Remove the `count` (<= size) lowest items, or with `max` the highest, in one splice; in pop order. */
export function zsetPopEnd(z: ZSetVal, max: boolean, count: number): ZItem[] {
  const taken = max ? z.sorted.splice(z.sorted.length - count, count).reverse() : z.sorted.splice(0, count);
  for (const it of taken) {
    z.scores.delete(it.member);
    z.bytes -= zsetMemberOverheadBytes + it.member.length;
  }
  return taken;
}

/** Remove every item `drop` selects in one pass (range removals: one O(n) pass, not a splice each). */
export function zsetDelWhere(z: ZSetVal, drop: (it: ZItem) => boolean): number {
  let kept = 0;
  for (const it of z.sorted) {
    if (drop(it)) {
      z.scores.delete(it.member);
      z.bytes -= zsetMemberOverheadBytes + it.member.length;
    } else z.sorted[kept++] = it;
  }
  const removed = z.sorted.length - kept;
  z.sorted.length = kept;
  return removed;
}

/** A sorted set of `items`, already in (score, member) order with distinct members (ZUNIONSTORE's result). */
export function zsetFromSorted(items: ZItem[]): ZSetVal {
  const z: ZSetVal = { type: 'zset', scores: new Map(), sorted: items, bytes: 0 };
  for (const it of items) {
    z.scores.set(it.member, it.score);
    z.bytes += zsetMemberOverheadBytes + it.member.length;
  }
  return z;
}

/** Number of elements: an emptied container is deleted with its key, as in Redis. */
export function valueLength(v: Value): number {
  if (isStr(v)) return 1;
  switch (v.type) {
    case 'json':
      return 1;
    case 'hash':
      return v.m.size;
    case 'list':
      return v.a.length;
    case 'set':
      return v.s.size;
    case 'zset':
      return v.scores.size;
    default:
      return unreachableValue(v);
  }
}

/** Recompute a payload estimate from scratch (used by invariant checks). */
export function valueBytesFromScratch(v: Value): number {
  if (isStr(v)) return v.length;
  switch (v.type) {
    case 'hash': {
      let n = 0;
      for (const [f, x] of v.m) n += hashFieldOverheadBytes + f.length + x.length;
      return n;
    }
    case 'list': {
      let n = 0;
      for (const e of v.a.toArray()) n += listElementBytes(e);
      return n;
    }
    case 'set': {
      let n = 0;
      for (const m of v.s) n += setMemberOverheadBytes + m.length;
      return n;
    }
    case 'zset': {
      let n = 0;
      for (const m of v.scores.keys()) n += zsetMemberOverheadBytes + m.length;
      return n;
    }
    case 'json':
      return jsonBytes(v.doc);
    default:
      return unreachableValue(v);
  }
}

function unreachableValue(x: never): never {
  throw new Error(`unreachable value: ${JSON.stringify(x)}`);
}
