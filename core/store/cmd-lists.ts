// List commands (t_list.c) over a Deque: O(1) amortised push/pop at both ends.

import { array, bulk, EMPTY_ARRAY, err, int, NULL, NULL_ARRAY, OK, type Reply } from '../../net/reply';
import { parseIntArg } from './numbers';
import type { Entry, Handler, StoreOps } from './types';
import { E, key, lookupTyped, rangeIndices, upper } from './util';
import { listElementBytes, listRecount, newList, type ListVal } from './values';

function push(s: StoreOps, argv: readonly Buffer[], left: boolean): Reply {
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'list');
  if (t === 'wrongtype') return E.wrongType;
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

export const lpush: Handler = (s, argv) => push(s, argv, true);
export const rpush: Handler = (s, argv) => push(s, argv, false);

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
  const n = Math.min(count, t.v.a.length);
  const taken: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = left ? t.v.a.popFront()! : t.v.a.popBack()!;
    t.v.bytes -= listElementBytes(b);
    taken.push(b);
  }
  s.wrote(t.e);
  return hasCount ? array(taken.map(bulk)) : bulk(taken[0]!);
}

export const lpop: Handler = (s, argv) => pop(s, argv, true);
export const rpop: Handler = (s, argv) => pop(s, argv, false);

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
