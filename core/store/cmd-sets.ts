// Set commands (t_set.c).

import { array, bulk, int, ONE, ZERO, type Reply } from '../../net/reply';
import { parseInt64 } from './numbers';
import type { Handler, StoreOps } from './types';
import { E, key, keyBuf, lookupTyped } from './util';
import { newSet, setAdd, setRem, type SetVal } from './values';

/**
 * Redis keeps small all-integer sets as a sorted intset (set-max-intset-entries 512, members
 * string2ll accepts: in int64 range), and answers from it in ascending order. Any other set is
 * a hashtable whose order Redis does not define; we answer those in insertion order.
 */
const intsetEntriesMax = 512;

/** `members` in the order Redis answers them (see intsetEntriesMax); sorts in place. */
function redisOrder(members: string[]): string[] {
  if (members.length > intsetEntriesMax) return members;
  const ints: bigint[] = [];
  for (const m of members) {
    const v = parseInt64(m);
    if (v === null) return members;
    ints.push(v);
  }
  const byValue = new Map(members.map((m, i) => [m, ints[i]!]));
  return members.sort((a, b) => (byValue.get(a)! < byValue.get(b)! ? -1 : 1));
}

/** A multi-bulk of members in Redis's order, as a RESP3 set (addReplySetLen). */
const membersReply = (members: Iterable<string>): Reply => ({ t: 'set', items: redisOrder([...members]).map((m) => bulk(keyBuf(m))) });

export const sadd: Handler = (s, argv) => {
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'set');
  if (t === 'wrongtype') return E.wrongType;
  const v = t?.v ?? newSet();
  const e = t?.e ?? s.create(k, v, Infinity);
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (setAdd(v, key(argv[i]!))) n++;
  s.wrote(e);
  return int(n);
};

export const srem: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return ZERO;
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (setRem(t.v, key(argv[i]!))) n++;
  if (n > 0) s.wrote(t.e);
  return int(n);
};

export const smembers: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  return membersReply(t?.v.s ?? []);
};

export const sismember: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  return t !== undefined && t.v.s.has(key(argv[2]!)) ? ONE : ZERO;
};

export const smismember: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) out.push(t !== undefined && t.v.s.has(key(argv[i]!)) ? ONE : ZERO);
  return array(out);
};

export const scard: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  return int(t === undefined ? 0 : t.v.s.size);
};

/** SMOVE: as in Redis, a missing source answers 0 before the types are checked. */
export const smove: Handler = (s, argv) => {
  const src = lookupTyped(s, key(argv[1]!), 'set');
  const dk = key(argv[2]!);
  const dst = lookupTyped(s, dk, 'set');
  if (src === undefined) return ZERO;
  if (src === 'wrongtype' || dst === 'wrongtype') return E.wrongType;
  const member = key(argv[3]!);
  // Moving within one set changes nothing: only membership is answered.
  if (dst !== undefined && dst.e === src.e) return src.v.s.has(member) ? ONE : ZERO;
  if (!setRem(src.v, member)) return ZERO;
  s.wrote(src.e);
  const v = dst?.v ?? newSet();
  const e = dst?.e ?? s.create(dk, v, Infinity);
  setAdd(v, member);
  s.wrote(e);
  return ONE;
};

/** The sets named by argv[from..]; a missing key is an empty set (undefined). */
function lookupSets(s: StoreOps, argv: readonly Buffer[], from: number): (SetVal | undefined)[] | Reply {
  const sets: (SetVal | undefined)[] = [];
  for (let i = from; i < argv.length; i++) {
    const t = lookupTyped(s, key(argv[i]!), 'set');
    if (t === 'wrongtype') return E.wrongType;
    sets.push(t?.v);
  }
  return sets;
}

/**
 * Members common to every set, at most `limit` of them (0: no limit). Like Redis, walks the
 * smallest set and probes the others, so the cost follows the smallest set's size.
 */
function intersect(sets: readonly (SetVal | undefined)[], limit: number): string[] {
  const present = sets.filter((x): x is SetVal => x !== undefined);
  if (present.length < sets.length) return [];
  const [smallest, ...rest] = present.sort((a, b) => a.s.size - b.s.size);
  const out: string[] = [];
  for (const m of smallest!.s) {
    if (!rest.every((o) => o.s.has(m))) continue;
    out.push(m);
    if (out.length === limit) break;
  }
  return out;
}

function union(sets: readonly (SetVal | undefined)[]): string[] {
  const out = new Set<string>();
  for (const x of sets) for (const m of x?.s ?? []) out.add(m);
  return [...out];
}

/** Members of the first set in none of the others. */
function diff(sets: readonly (SetVal | undefined)[]): string[] {
  const [first, ...rest] = sets;
  return [...(first?.s ?? [])].filter((m) => !rest.some((o) => o !== undefined && o.s.has(m)));
}

type SetOp = 'inter' | 'union' | 'diff';

const setOps: Record<SetOp, (sets: readonly (SetVal | undefined)[]) => string[]> = {
  inter: (sets) => intersect(sets, 0),
  union,
  diff,
};

/** SINTER, SUNION, SDIFF: every key is type-checked, missing keys are empty sets. */
function setOpCommand(s: StoreOps, argv: readonly Buffer[], op: SetOp): Reply {
  const sets = lookupSets(s, argv, 1);
  if (!Array.isArray(sets)) return sets;
  return membersReply(setOps[op](sets));
}

/**
 * SINTERSTORE, SUNIONSTORE, SDIFFSTORE: the destination, whatever it held (and its deadline),
 * is replaced by the result, or deleted when the result is empty. Replicated as argv: the
 * result follows from the sources, which the follower holds too.
 */
function setOpStoreCommand(s: StoreOps, argv: readonly Buffer[], op: SetOp): Reply {
  const sets = lookupSets(s, argv, 2);
  if (!Array.isArray(sets)) return sets;
  const members = setOps[op](sets);
  const dk = key(argv[1]!);
  s.remove(dk);
  if (members.length > 0) {
    const v = newSet();
    for (const m of members) setAdd(v, m);
    s.create(dk, v, Infinity);
  }
  return int(members.length);
}

export const sinter: Handler = (s, argv) => setOpCommand(s, argv, 'inter');
export const sunion: Handler = (s, argv) => setOpCommand(s, argv, 'union');
export const sdiff: Handler = (s, argv) => setOpCommand(s, argv, 'diff');
export const sinterstore: Handler = (s, argv) => setOpStoreCommand(s, argv, 'inter');
export const sunionstore: Handler = (s, argv) => setOpStoreCommand(s, argv, 'union');
export const sdiffstore: Handler = (s, argv) => setOpStoreCommand(s, argv, 'diff');
