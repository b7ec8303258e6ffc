// List commands (t_list.c) over a Deque: O(1) amortised push/pop at both ends.

import { array, bulk, EMPTY_ARRAY, err, int, NULL, NULL_ARRAY, OK, ZERO, type Reply } from '../../net/reply';
import { int64Min, parseInt64, parseIntArg } from './numbers';
import type { Entry, Handler, StoreOps } from './types';
import { E, firstTyped, key, keyBuf, lookupTyped, parseMpop, rangeIndices, upper } from './util';
import { listElementBytes, listRecount, newList, type ListVal } from './values';

/**
 * pushGenericCommand: LPUSH/RPUSH create the list, LPUSHX/RPUSHX (`onlyExisting`) answer 0
 * for a missing key. Logged as is; the Core wakes blocked pops from the logged mutation's
 * key (commandKeys), so every variant wakes them alike.
 */
function push(s: StoreOps, argv: readonly Buffer[], left: boolean, onlyExisting: boolean): Reply {
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined && onlyExisting) return ZERO;
  const v = t?.v ?? newList();
  const e = t?.e ?? s.create(k, v, Infinity);
  for (let i = 2; i < argv.length; i++) {
    // Copy: argv may be a view into a connection's receive buffer.
    const b = Buffer.from(argv[i]!);
    if (left) v.a.pushFront(b);
    else v.a.pushBack(b);
    v.bytes += listElementBytes(b);
  }
  s.wrote(e);
  return int(v.a.length);
}

export const lpush: Handler = (s, argv) => push(s, argv, true, false);
export const rpush: Handler = (s, argv) => push(s, argv, false, false);
export const lpushx: Handler = (s, argv) => push(s, argv, true, true);
export const rpushx: Handler = (s, argv) => push(s, argv, false, true);

function pop(s: StoreOps, argv: readonly Buffer[], left: boolean): Reply {
  if (argv.length > 3) return err(`ERR wrong number of arguments for '${left ? 'lpop' : 'rpop'}' command`);
  const hasCount = argv.length === 3;
  let count = 1;
  if (hasCount) {
    const n = parseIntArg(argv[2]!);
    if (n === null || n < 0) return E.mustBePositive;
    count = n;
  }
  const t = lookupTyped(s, key(argv[1]!), 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return hasCount ? NULL_ARRAY : NULL;
  if (hasCount && count === 0) return EMPTY_ARRAY;
  const taken = popElements(t.v, left, count);
  s.wrote(t.e);
  return hasCount ? array(taken.map(bulk)) : bulk(taken[0]!);
}

/** Remove up to `count` elements from the head (`left`) or the tail, in pop order. The caller writes. */
function popElements(l: ListVal, left: boolean, count: number): Buffer[] {
  const n = Math.min(count, l.a.length);
  const taken: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = left ? l.a.popFront()! : l.a.popBack()!;
    l.bytes -= listElementBytes(b);
    taken.push(b);
  }
  return taken;
}

export const lpop: Handler = (s, argv) => pop(s, argv, true);
export const rpop: Handler = (s, argv) => pop(s, argv, false);

const LPOP = Buffer.from('LPOP');
const RPOP = Buffer.from('RPOP');

/**
 * LMPOP numkeys key... LEFT|RIGHT [COUNT n] (mpopGenericCommand): pops from the first of the
 * keys that exists (a key of another type before it is WRONGTYPE; one after it is never looked
 * at). Logged as the LPOP or RPOP key n it amounts to, as Redis replicates it: the logged key
 * is the one written, so WATCH and blocked clients see exactly it.
 */
export const lmpop: Handler = (s, argv) => {
  const a = parseMpop(argv, ['LEFT', 'RIGHT'] as const);
  if ('t' in a) return a;
  const t = firstTyped(s, a.keys, 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return NULL_ARRAY;
  const left = a.where === 'LEFT';
  const taken = popElements(t.v, left, a.count);
  s.wrote(t.e);
  s.propagate([[left ? LPOP : RPOP, t.kb, Buffer.from(String(taken.length))]]);
  return array([bulk(keyBuf(t.e.key)), array(taken.map(bulk))]);
};

export const lrange: Handler = (s, argv) => {
  const start = parseIntArg(argv[2]!);
  const stop = parseIntArg(argv[3]!);
  if (start === null || stop === null) return E.notInteger;
  const t = lookupTyped(s, key(argv[1]!), 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return EMPTY_ARRAY;
  const r = rangeIndices(start, stop, t.v.a.length);
  if (r === null) return EMPTY_ARRAY;
  return array(t.v.a.slice(r[0], r[1] + 1).map(bulk));
};

export const llen: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'list');
  if (t === 'wrongtype') return E.wrongType;
  return int(t === undefined ? 0 : t.v.a.length);
};

export const lindex: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return NULL;
  const i = parseIntArg(argv[2]!);
  if (i === null) return E.notInteger;
  const b = t.v.a.at(i < 0 ? t.v.a.length + i : i);
  return b === undefined ? NULL : bulk(b);
};

export const lset: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return E.noSuchKey;
  const i = parseIntArg(argv[2]!);
  if (i === null) return E.notInteger;
  const at = i < 0 ? t.v.a.length + i : i;
  const old = t.v.a.at(at);
  if (old === undefined) return E.indexRange;
  const b = Buffer.from(argv[3]!);
  t.v.a.set(at, b);
  t.v.bytes += b.length - old.length;
  s.wrote(t.e);
  return OK;
};

export const lrem: Handler = (s, argv) => {
  const count = parseIntArg(argv[2]!);
  if (count === null) return E.notInteger;
  const t = lookupTyped(s, key(argv[1]!), 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return int(0);
  const a = t.v.a.toArray();
  const target = argv[3]!;
  const limit = count === 0 ? Infinity : Math.abs(count);
  const keep: boolean[] = new Array<boolean>(a.length).fill(true);
  let removed = 0;
  if (count >= 0) {
    for (let i = 0; i < a.length && removed < limit; i++) if (a[i]!.equals(target)) (keep[i] = false), removed++;
  } else {
    for (let i = a.length - 1; i >= 0 && removed < limit; i--) if (a[i]!.equals(target)) (keep[i] = false), removed++;
  }
  if (removed > 0) {
    t.v.a.replace(a.filter((_, i) => keep[i]));
    listRecount(t.v);
    s.wrote(t.e);
  }
  return int(removed);
};

export const ltrim: Handler = (s, argv) => {
  const start = parseIntArg(argv[2]!);
  const stop = parseIntArg(argv[3]!);
  if (start === null || stop === null) return E.notInteger;
  const t = lookupTyped(s, key(argv[1]!), 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return OK;
  const r = rangeIndices(start, stop, t.v.a.length);
  const before = t.v.a.length;
  t.v.a.replace(r === null ? [] : t.v.a.slice(r[0], r[1] + 1));
  if (t.v.a.length !== before) {
    listRecount(t.v);
    s.wrote(t.e);
  }
  return OK;
};

/** The first index of `target` in the list, or -1. */
function indexOf(l: ListVal, target: Buffer): number {
  for (let i = 0; i < l.a.length; i++) if (l.a.at(i)!.equals(target)) return i;
  return -1;
}

/** LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without the key. */
export const linsert: Handler = (s, argv) => {
  const where = upper(argv[2]!);
  if (where !== 'BEFORE' && where !== 'AFTER') return E.syntax;
  const t = lookupTyped(s, key(argv[1]!), 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return ZERO;
  const at = indexOf(t.v, argv[3]!);
  if (at < 0) return int(-1);
  const b = Buffer.from(argv[4]!);
  t.v.a.insert(where === 'BEFORE' ? at : at + 1, b);
  t.v.bytes += listElementBytes(b);
  s.wrote(t.e);
  return int(t.v.a.length);
};

interface LposOptions {
  /** Which match to start from, counted from the head (or from the tail when `fromTail`). */
  rank: number;
  fromTail: boolean;
  /** -1: no COUNT (reply with one index or nil); 0: every match. */
  count: number;
  /** 0: compare every element. */
  maxlen: number;
}

const rankZero = err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");

/** LPOS's options (lposCommand): RANK, COUNT, MAXLEN in any order, the last one winning. */
function parseLpos(argv: readonly Buffer[]): LposOptions | Reply {
  const o: LposOptions = { rank: 1, fromTail: false, count: -1, maxlen: 0 };
  for (let i = 3; i < argv.length; i++) {
    const opt = upper(argv[i]!);
    const arg = argv[i + 1];
    if (arg === undefined) return E.syntax;
    i++;
    if (opt === 'RANK') {
      const r = parseInt64(arg);
      if (r === null) return E.notInteger;
      if (r === 0n) return rankZero;
      // Redis 7.0 negates LONG_MIN in a long (it stays LONG_MIN): the first match from the tail.
      o.fromTail = r < 0n;
      o.rank = r === int64Min ? 1 : Number(r < 0n ? -r : r);
    } else if (opt === 'COUNT' || opt === 'MAXLEN') {
      const n = parseInt64(arg);
      if (n === null || n < 0n) return err(`ERR ${opt} can't be negative`);
      if (opt === 'COUNT') o.count = Number(n);
      else o.maxlen = Number(n);
    } else return E.syntax;
  }
  return o;
}

/** LPOS key element [RANK rank] [COUNT n] [MAXLEN len]: indices (from the head) of matches. */
export const lpos: Handler = (s, argv) => {
  const o = parseLpos(argv);
  if ('t' in o) return o;
  const t = lookupTyped(s, key(argv[1]!), 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return o.count === -1 ? NULL : EMPTY_ARRAY;
  const found = lposMatches(t.v, argv[2]!, o);
  if (o.count !== -1) return array(found.map(int));
  return found.length === 0 ? NULL : int(found[0]!);
};

/** The matching indices LPOS answers: from the rank-th match on, at most `count` (1 without COUNT). */
function lposMatches(l: ListVal, target: Buffer, o: LposOptions): number[] {
  const len = l.a.length;
  const scan = o.maxlen === 0 ? len : Math.min(o.maxlen, len);
  const wanted = o.count === -1 ? 1 : o.count === 0 ? Infinity : o.count;
  const out: number[] = [];
  let matches = 0;
  for (let n = 0; n < scan && out.length < wanted; n++) {
    const i = o.fromTail ? len - 1 - n : n;
    if (l.a.at(i)!.equals(target) && ++matches >= o.rank) out.push(i);
  }
  return out;
}

export type End = 'LEFT' | 'RIGHT';

function parseEnd(b: Buffer): End | null {
  const a = upper(b);
  return a === 'LEFT' || a === 'RIGHT' ? a : null;
}

/**
 * lmoveGenericCommand: pop from one end of src, push to one end of dst (src may equal
 * dst: a rotation). dst's type is checked before anything moves. Logged as is: replay
 * on the same state moves the same element. Exported for the blocking variant (BLMOVE):
 * it answers nil when src is missing, so a caller can park the client instead.
 */
export function lmoveGeneric(s: StoreOps, src: Buffer, dst: Buffer, from: End, to: End): Reply {
  const t = lookupTyped(s, key(src), 'list');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return NULL;
  const d = lookupTyped(s, key(dst), 'list');
  if (d === 'wrongtype') return E.wrongType;
  const b = from === 'LEFT' ? t.v.a.popFront()! : t.v.a.popBack()!;
  t.v.bytes -= listElementBytes(b);
  let e: Entry;
  let v: ListVal;
  if (d !== undefined) ({ e, v } = d);
  else if (key(src) === key(dst)) ({ e, v } = t);
  else {
    v = newList();
    e = s.create(key(dst), v, Infinity);
  }
  if (to === 'LEFT') v.a.pushFront(b);
  else v.a.pushBack(b);
  v.bytes += listElementBytes(b);
  s.wrote(e);
  if (e !== t.e) s.wrote(t.e);
  return bulk(b);
}

export const lmove: Handler = (s, argv) => {
  const from = parseEnd(argv[3]!);
  const to = parseEnd(argv[4]!);
  if (from === null || to === null) return E.syntax;
  return lmoveGeneric(s, argv[1]!, argv[2]!, from, to);
};

export const rpoplpush: Handler = (s, argv) => lmoveGeneric(s, argv[1]!, argv[2]!, 'RIGHT', 'LEFT');
