// Set commands (t_set.c).

import { array, bulk, EMPTY_ARRAY, err, int, NULL, ONE, ZERO, type Reply } from '../../net/reply';
import { parseInt64 } from './numbers';
import type { Handler, StoreOps } from './types';
import { parseElementScan, scanElements } from './cmd-keys';
import { drawDistinct, drawRepeats, E, key, keyBuf, lookupTyped, parseLimit, parseRandCount, upper } from './util';
import { newSet, setAdd, setRem, type SetVal } from './values';

/**
 * Redis keeps small all-integer sets as a sorted intset (set-max-intset-entries 512, members
 * string2ll accepts: in int64 range), and answers from it in ascending order. Any other set is
 * a hashtable whose order Redis does not define; we answer those in insertion order.
 */
const intsetEntriesMax = 512;

/** The members' integer values if Redis would keep them as an intset, else null. */
function intsetValues(members: Iterable<string>, size: number): Map<string, bigint> | null {
  if (size > intsetEntriesMax) return null;
  const values = new Map<string, bigint>();
  for (const m of members) {
    const v = parseInt64(m);
    if (v === null) return null;
    values.set(m, v);
  }
  return values;
}

/** `members` in the order Redis answers them (see intsetEntriesMax); sorts in place. */
function redisOrder(members: string[]): string[] {
  const values = intsetValues(members, members.length);
  return values === null ? members : members.sort((a, b) => (values.get(a)! < values.get(b)! ? -1 : 1));
}

const memberReplies = (members: readonly string[]): Reply[] => members.map((m) => bulk(keyBuf(m)));

/** A multi-bulk of members in Redis's order, as a RESP3 set (addReplySetLen). */
const membersReply = (members: Iterable<string>): Reply => ({ t: 'set', items: memberReplies(redisOrder([...members])) });

const SREM = Buffer.from('SREM');
const DEL = Buffer.from('DEL');
/** Redis replicates SPOP's picks as SREMs of at most this many members each. */
const spopSremBatch = 1024;

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
  if (dst !== undefined && dst.v.s.has(member)) {
    // The destination does not change: logged as the SREM it amounts to, so a WATCH of the
    // destination stays valid (Redis signals only the source then).
    s.propagate([[SREM, argv[1]!, argv[3]!]]);
    return ONE;
  }
  const v = dst?.v ?? newSet();
  const e = dst?.e ?? s.create(dk, v, Infinity);
  setAdd(v, member);
  s.wrote(e);
  return ONE;
};

/** The sets named by argv[from..to); a missing key is an empty set (undefined). */
function lookupSets(s: StoreOps, argv: readonly Buffer[], from: number, to = argv.length): (SetVal | undefined)[] | Reply {
  const sets: (SetVal | undefined)[] = [];
  for (let i = from; i < to; i++) {
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

/** The member at position `i` of the set's order: O(i), as a Set has no index. */
function memberAt(v: SetVal, i: number): string {
  let j = 0;
  for (const m of v.s) if (j++ === i) return m;
  throw new Error(`memberAt ${i} of a set of ${v.s.size}`);
}

/** A member chosen uniformly with the store's generator (the set is not empty). */
const randomMember = (s: StoreOps, v: SetVal): string => memberAt(v, s.randomInt(v.s.size));

/** `count` (< size) distinct members chosen uniformly. */
const randomDistinct = (s: StoreOps, v: SetVal, count: number): string[] => drawDistinct(s, [...v.s], count);

/** `count` members chosen uniformly and independently (repeats possible). */
function randomRepeats(s: StoreOps, v: SetVal, count: number): Reply[] {
  // One reply per member, shared by its repeats: the reply costs a pointer per pick.
  return drawRepeats(s, memberReplies([...v.s]), count);
}

/** SREMs removing `members` from `k`, in Redis's batches. */
function sremBatches(k: Buffer, members: readonly string[]): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 0; i < members.length; i += spopSremBatch) {
    out.push([SREM, k, ...members.slice(i, i + spopSremBatch).map(keyBuf)]);
  }
  return out;
}

/**
 * SPOP: the picks are random, so the command replicates as what it did: SREM of the popped
 * members, or DEL when the whole set goes (count >= size), as Redis does.
 */
export const spop: Handler = (s, argv) => {
  if (argv.length > 3) return E.syntax;
  let count: bigint | null = null;
  if (argv.length === 3) {
    count = parseInt64(argv[2]!);
    if (count === null || count < 0n) return E.mustBePositive;
  }
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  if (count === null) {
    if (t === undefined) return NULL;
    const m = randomMember(s, t.v);
    setRem(t.v, m);
    s.wrote(t.e);
    s.propagate([[SREM, argv[1]!, keyBuf(m)]]);
    return bulk(keyBuf(m));
  }
  if (t === undefined || count === 0n) return membersReply([]);
  if (count >= BigInt(t.v.s.size)) {
    const all = [...t.v.s];
    s.remove(t.e.key);
    s.propagate([[DEL, argv[1]!]]);
    return membersReply(all);
  }
  const popped = randomDistinct(s, t.v, Number(count));
  for (const m of popped) setRem(t.v, m);
  s.wrote(t.e);
  s.propagate(sremBatches(argv[1]!, popped));
  return { t: 'set', items: memberReplies(popped) };
};

/**
 * SRANDMEMBER: without a count one member (nil if none); a count >= 0 asks for distinct
 * members (the whole set, in its order, when it has no more), a negative one for |count|
 * independent picks.
 */
export const srandmember: Handler = (s, argv) => {
  if (argv.length > 3) return E.syntax;
  if (argv.length === 2) {
    const t = lookupTyped(s, key(argv[1]!), 'set');
    if (t === 'wrongtype') return E.wrongType;
    return t === undefined ? NULL : bulk(keyBuf(randomMember(s, t.v)));
  }
  const c = parseRandCount(argv, null);
  if ('t' in c) return c;
  const count = c.n;
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined || count === 0n) return EMPTY_ARRAY;
  if (count < 0n) return array(randomRepeats(s, t.v, Number(-count)));
  if (count >= BigInt(t.v.s.size)) return array(memberReplies(redisOrder([...t.v.s])));
  return array(memberReplies(randomDistinct(s, t.v, Number(count))));
};

const numkeysTooMany = err("ERR Number of keys can't be greater than number of args");

/** SINTERCARD numkeys key [key ...] [LIMIT limit]: the intersection's size, counting stops at limit (0: none). */
export const sintercard: Handler = (s, argv) => {
  const numkeys = parseInt64(argv[1]!);
  if (numkeys === null || numkeys < 1n) return E.numkeysNotPositive;
  if (numkeys > BigInt(argv.length - 2)) return numkeysTooMany;
  const keysEnd = 2 + Number(numkeys);
  let limit = 0;
  for (let j = keysEnd; j < argv.length; j++) {
    if (upper(argv[j]!) !== 'LIMIT' || j + 1 >= argv.length) return E.syntax;
    const l = parseLimit(argv[++j]!);
    if (typeof l !== 'number') return l;
    limit = l;
  }
  const sets = lookupSets(s, argv, 2, keysEnd);
  if (!Array.isArray(sets)) return sets;
  return int(intersect(sets, limit).length);
};

/**
 * Sets up to this many members answer SSCAN in one reply with cursor 0, as an intset does in
 * Redis 7.0 (and a listpack set, set-max-listpack-entries 128, in 7.2), so nothing is missed.
 */
const sscanWholeMembersMax = 128;

/** SSCAN: small sets in one reply (an intset sorted, as Redis's); larger ones walk insertion order. */
export const sscan: Handler = (s, argv) => {
  const p = parseElementScan(argv, () => lookupTyped(s, key(argv[1]!), 'set'));
  if ('t' in p) return p;
  const set = p.v.v.s;
  const intset = intsetValues(set, set.size) !== null;
  const ordered = intset ? redisOrder([...set]) : set;
  return scanElements(ordered, set.size, p.o, intset || set.size <= sscanWholeMembersMax, (m) => m, (m) => [bulk(keyBuf(m))]);
};
