// Sorted set commands (t_zset.c), over values.ts's sorted array.

import { array, bulk, double, EMPTY_ARRAY, err, int, NULL, NULL_ARRAY, pairs, ZERO, type Reply } from '../../net/reply';
import { parseElementScan, scanElements } from './cmd-keys';
import { formatDouble17g, parseDouble, parseInt64, parseIntArg } from './numbers';
import type { Handler, StoreOps } from './types';
import { drawDistinct, drawRepeats, E, firstTyped, key, keyBuf, lookupTyped, parseLimit, parseMpop, parseRandCount, upper } from './util';
import { isStr, newZSet, zcmp, zLowerBound, zsetDel, zsetDelWhere, zsetFromSorted, zsetPopEnd, zsetPut, type ZItem, type ZSetVal } from './values';

const nanScore = err('ERR resulting score is not a number (NaN)');

interface ZaddFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
}

export const zadd: Handler = (s, argv) => {
  const f: ZaddFlags = { nx: false, xx: false, gt: false, lt: false, ch: false, incr: false };
  let i = 2;
  for (; i < argv.length; i++) {
    const a = upper(argv[i]!).toLowerCase();
    if (a === 'nx' || a === 'xx' || a === 'gt' || a === 'lt' || a === 'ch' || a === 'incr') f[a] = true;
    else break;
  }
  const elements = argv.length - i;
  if (elements === 0 || elements % 2 !== 0) return E.syntax;
  if (f.nx && f.xx) return err('ERR XX and NX options at the same time are not compatible');
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    return err('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (f.incr && elements > 2) return err('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = i; j < argv.length; j += 2) {
    const d = parseDouble(argv[j]!);
    if (d === null) return E.notFloat;
    scores.push(d);
  }
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'zset');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined && f.xx) return f.incr ? NULL : ZERO;
  const z = t?.v ?? newZSet();
  const e = t?.e ?? s.create(k, z, Infinity);
  let added = 0;
  let updated = 0;
  let last: number | null = null;
  for (let j = 0; j < scores.length; j++) {
    const member = key(argv[i + 2 * j + 1]!);
    const r = zsetAdd(z, member, scores[j]!, f);
    if (r === 'nan') {
      s.wrote(e);
      return nanScore;
    }
    if (r.kind === 'added') added++;
    if (r.kind === 'updated') updated++;
    if (r.kind !== 'nop') last = r.score;
  }
  s.wrote(e);
  if (f.incr) return last === null ? NULL : double(last);
  return int(f.ch ? added + updated : added);
};

type AddResult = { kind: 'added' | 'updated' | 'same'; score: number } | { kind: 'nop' } | 'nan';

function zsetAdd(z: ZSetVal, member: string, score: number, f: ZaddFlags): AddResult {
  const cur = z.scores.get(member);
  if (cur === undefined) {
    if (f.xx) return { kind: 'nop' };
    zsetPut(z, member, score);
    return { kind: 'added', score };
  }
  if (f.nx) return { kind: 'nop' };
  const next = f.incr ? cur + score : score;
  if (Number.isNaN(next)) return 'nan';
  if ((f.lt && next >= cur) || (f.gt && next <= cur)) return { kind: 'nop' };
  if (next === cur) return { kind: 'same', score: next };
  zsetPut(z, member, next);
  return { kind: 'updated', score: next };
}

export const zincrby: Handler = (s, argv) => {
  const by = parseDouble(argv[2]!);
  if (by === null) return E.notFloat;
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'zset');
  if (t === 'wrongtype') return E.wrongType;
  const member = key(argv[3]!);
  const cur = t?.v.scores.get(member) ?? 0;
  const next = cur + by;
  if (Number.isNaN(next)) return nanScore;
  const z = t?.v ?? newZSet();
  const e = t?.e ?? s.create(k, z, Infinity);
  zsetPut(z, member, next);
  s.wrote(e);
  return double(next);
};

export const zrem: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return ZERO;
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (zsetDel(t.v, key(argv[i]!))) n++;
  if (n > 0) s.wrote(t.e);
  return int(n);
};

export const zscore: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  const sc = t?.v.scores.get(key(argv[2]!));
  return sc === undefined ? NULL : double(sc);
};

export const zcard: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  return int(t === undefined ? 0 : t.v.scores.size);
};

function rank(s: StoreOps, argv: readonly Buffer[], rev: boolean): Reply {
  const t = lookupTyped(s, key(argv[1]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return NULL;
  const member = key(argv[2]!);
  const sc = t.v.scores.get(member);
  if (sc === undefined) return NULL;
  const r = zLowerBound(t.v, sc, member);
  return int(rev ? t.v.sorted.length - 1 - r : r);
}

export const zrank: Handler = (s, argv) => rank(s, argv, false);
export const zrevrank: Handler = (s, argv) => rank(s, argv, true);

interface ScoreRange {
  readonly min: number;
  readonly max: number;
  readonly minEx: boolean;
  readonly maxEx: boolean;
}

function parseScoreBound(b: Buffer): { v: number; ex: boolean } | null {
  const ex = b[0] === 0x28; // '('
  const v = parseDouble(ex ? b.subarray(1) : b);
  return v === null ? null : { v, ex };
}

function parseScoreRange(minB: Buffer, maxB: Buffer): ScoreRange | null {
  const a = parseScoreBound(minB);
  const b = parseScoreBound(maxB);
  if (a === null || b === null) return null;
  return { min: a.v, max: b.v, minEx: a.ex, maxEx: b.ex };
}

const inScore = (r: ScoreRange, x: number): boolean =>
  (r.minEx ? x > r.min : x >= r.min) && (r.maxEx ? x < r.max : x <= r.max);

/** A lex bound: '-' and '+' are the extremes; otherwise '[' inclusive or '(' exclusive. */
type LexBound = { readonly kind: 'min' } | { readonly kind: 'max' } | { readonly kind: 'v'; readonly v: string; readonly ex: boolean };

function parseLexBound(b: Buffer): LexBound | null {
  const s = key(b);
  if (s === '-') return { kind: 'min' };
  if (s === '+') return { kind: 'max' };
  if (s[0] === '[') return { kind: 'v', v: s.slice(1), ex: false };
  if (s[0] === '(') return { kind: 'v', v: s.slice(1), ex: true };
  return null;
}

function aboveMin(b: LexBound, m: string): boolean {
  if (b.kind === 'min') return true;
  if (b.kind === 'max') return false;
  return b.ex ? m > b.v : m >= b.v;
}

function belowMax(b: LexBound, m: string): boolean {
  if (b.kind === 'max') return true;
  if (b.kind === 'min') return false;
  return b.ex ? m < b.v : m <= b.v;
}

type RangeType = 'rank' | 'score' | 'lex';

interface RangeQuery {
  type: RangeType;
  rev: boolean;
  withScores: boolean;
  offset: number;
  limit: number;
}

/** zrangeGenericCommand's argument loop and conflict checks. */
function parseRangeOptions(argv: readonly Buffer[], from: number, q: RangeQuery, fixed: boolean, store = false): Reply | null {
  let typeSet = fixed;
  let revSet = fixed;
  for (let j = from; j < argv.length; j++) {
    const a = upper(argv[j]!);
    const left = argv.length - j - 1;
    if (a === 'WITHSCORES' && !store) q.withScores = true;
    else if (a === 'LIMIT' && left >= 2) {
      const off = parseIntArg(argv[j + 1]!);
      const lim = parseIntArg(argv[j + 2]!);
      if (off === null || lim === null) return E.notInteger;
      q.offset = off;
      q.limit = lim;
      j += 2;
    } else if (!revSet && a === 'REV') {
      q.rev = true;
      revSet = true;
    } else if (!typeSet && (a === 'BYLEX' || a === 'BYSCORE')) {
      q.type = a === 'BYLEX' ? 'lex' : 'score';
      typeSet = true;
    } else return E.syntax;
  }
  if (q.limit !== -1 && q.type === 'rank') {
    return err('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (q.withScores && q.type === 'lex') {
    return err('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  }
  return null;
}

/** Members; WITHSCORES pairs each with its score (RESP3: [member, score] arrays, as Redis 7). */
function emit(items: readonly ZItem[], withScores: boolean): Reply {
  if (items.length === 0) return EMPTY_ARRAY;
  if (withScores) return pairs(items.map((it) => [bulk(keyBuf(it.member)), double(it.score)] as const));
  return array(items.map((it) => bulk(keyBuf(it.member))));
}

/** Apply LIMIT to an ordered candidate list (negative offset: nothing; negative count: all). */
function applyLimit(items: ZItem[], q: RangeQuery): ZItem[] {
  if (q.offset < 0) return [];
  const end = q.limit < 0 ? items.length : q.offset + q.limit;
  return items.slice(q.offset, end);
}

/** The items a parsed range selects from a zset, in the query's order, LIMIT applied. */
type Pick = (z: ZSetVal) => ZItem[];

/** Parse a range's two bounds per the query's type: the selector, or the error reply. */
function parsePick(minB: Buffer, maxB: Buffer, q: RangeQuery): Pick | Reply {
  switch (q.type) {
    case 'rank': {
      const start = parseIntArg(minB);
      const end = parseIntArg(maxB);
      if (start === null || end === null) return E.notInteger;
      return (z) => rankSlice(z, start, end, q.rev);
    }
    case 'score': {
      const r = parseScoreRange(minB, maxB);
      if (r === null) return E.minMaxNotFloat;
      return (z) => applyLimit(ordered(z, q.rev).filter((it) => inScore(r, it.score)), q);
    }
    case 'lex': {
      const lo = parseLexBound(minB);
      const hi = parseLexBound(maxB);
      if (lo === null || hi === null) return E.minMaxNotLex;
      return (z) => applyLimit(ordered(z, q.rev).filter((it) => aboveMin(lo, it.member) && belowMax(hi, it.member)), q);
    }
    default:
      return unreachable('range type', q.type);
  }
}

function unreachable(what: string, x: never): never {
  throw new Error(`unreachable ${what}: ${JSON.stringify(x)}`);
}

/** The items a range command selects from the zset at argv[at] (bounds follow it), or an error. */
function selectRange(s: StoreOps, argv: readonly Buffer[], at: number, q: RangeQuery): ZItem[] | Reply {
  // With REV the score/lex bounds come as max then min.
  const [minB, maxB] = q.rev && q.type !== 'rank' ? [argv[at + 2]!, argv[at + 1]!] : [argv[at + 1]!, argv[at + 2]!];
  const pick = parsePick(minB, maxB, q);
  if (typeof pick !== 'function') return pick;
  const t = lookupTyped(s, key(argv[at]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  return t === undefined ? [] : pick(t.v);
}

function runRange(s: StoreOps, argv: readonly Buffer[], q: RangeQuery): Reply {
  const items = selectRange(s, argv, 1, q);
  return Array.isArray(items) ? emit(items, q.withScores) : items;
}

const ordered = (z: ZSetVal, rev: boolean): ZItem[] => (rev ? z.sorted.slice().reverse() : z.sorted);

function rankSlice(z: ZSetVal, start0: number, end0: number, rev: boolean): ZItem[] {
  const len = z.sorted.length;
  let start = start0 < 0 ? start0 + len : start0;
  let end = end0 < 0 ? end0 + len : end0;
  if (start < 0) start = 0;
  if (start > end || start >= len) return [];
  if (end >= len) end = len - 1;
  if (!rev) return z.sorted.slice(start, end + 1);
  return z.sorted.slice(len - 1 - end, len - start).reverse();
}

const rangeQuery = (type: RangeType, rev: boolean): RangeQuery => ({ type, rev, withScores: false, offset: 0, limit: -1 });

export const zrange: Handler = (s, argv) => {
  const q = rangeQuery('rank', false);
  const bad = parseRangeOptions(argv, 4, q, false);
  return bad ?? runRange(s, argv, q);
};

/** The older range commands: ZRANGE with the type and direction fixed by the name. */
function fixedRange(type: RangeType, rev: boolean): Handler {
  return (s, argv) => {
    const q = rangeQuery(type, rev);
    const bad = parseRangeOptions(argv, 4, q, true);
    return bad ?? runRange(s, argv, q);
  };
}

export const zrangebyscore = fixedRange('score', false);
export const zrevrange = fixedRange('rank', true);
export const zrevrangebyscore = fixedRange('score', true);
export const zrangebylex = fixedRange('lex', false);
export const zrevrangebylex = fixedRange('lex', true);

/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: ZRANGE's options but WITHSCORES. */
export const zrangestore: Handler = (s, argv) => {
  const q = rangeQuery('rank', false);
  const bad = parseRangeOptions(argv, 5, q, false, true);
  if (bad !== null) return bad;
  const items = selectRange(s, argv, 2, q);
  if (!Array.isArray(items)) return items;
  // A REV range comes out in reverse: the stored set is in (score, member) order again.
  return storeResult(s, argv[1]!, q.rev ? items.slice().reverse() : items);
};

/**
 * ZREMRANGEBYRANK/SCORE/LEX: the range is parsed before the key is looked up (its errors win
 * over WRONGTYPE, as in zremrangeGenericCommand). Removing nothing writes nothing; the argv
 * replicates as is, since the follower holds the same set.
 */
function zremrange(type: RangeType): Handler {
  return (s, argv) => {
    const pick = parsePick(argv[2]!, argv[3]!, rangeQuery(type, false));
    if (typeof pick !== 'function') return pick;
    const t = lookupTyped(s, key(argv[1]!), 'zset');
    if (t === 'wrongtype') return E.wrongType;
    if (t === undefined) return ZERO;
    const gone = new Set(pick(t.v).map((it) => it.member));
    if (gone.size === 0) return ZERO;
    zsetDelWhere(t.v, (it) => gone.has(it.member));
    s.wrote(t.e);
    return int(gone.size);
  };
}

export const zremrangebyrank = zremrange('rank');
export const zremrangebyscore = zremrange('score');
export const zremrangebylex = zremrange('lex');

export const zlexcount: Handler = (s, argv) => {
  const pick = parsePick(argv[2]!, argv[3]!, rangeQuery('lex', false));
  if (typeof pick !== 'function') return pick;
  const t = lookupTyped(s, key(argv[1]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  return int(t === undefined ? 0 : pick(t.v).length);
};

export const zmscore: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) {
    const sc = t?.v.scores.get(key(argv[i]!));
    out.push(sc === undefined ? NULL : double(sc));
  }
  return array(out);
};

export const zcount: Handler = (s, argv) => {
  const r = parseScoreRange(argv[2]!, argv[3]!);
  if (r === null) return E.minMaxNotFloat;
  const t = lookupTyped(s, key(argv[1]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return ZERO;
  // Binary search both ends: items are sorted by score first.
  const lo = lowerScoreIndex(t.v, r);
  let n = 0;
  for (let i = lo; i < t.v.sorted.length && inScoreUpper(r, t.v.sorted[i]!.score); i++) n++;
  return int(n);
};

function lowerScoreIndex(z: ZSetVal, r: ScoreRange): number {
  let lo = 0;
  let hi = z.sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const sc = z.sorted[mid]!.score;
    if (r.minEx ? sc <= r.min : sc < r.min) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const inScoreUpper = (r: ScoreRange, x: number): boolean => (r.maxEx ? x < r.max : x <= r.max);

function zpop(s: StoreOps, argv: readonly Buffer[], max: boolean): Reply {
  if (argv.length > 3) return E.syntax;
  let count = 1;
  if (argv.length === 3) {
    const n = parseIntArg(argv[2]!);
    if (n === null || n < 0) return E.mustBePositive;
    count = n;
  }
  const t = lookupTyped(s, key(argv[1]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined || count === 0) return EMPTY_ARRAY;
  const taken = popItems(t.v, max, count);
  s.wrote(t.e);
  // With a count the reply is pairs (nested under RESP3); without, a flat member, score.
  if (argv.length === 3) return emit(taken, true);
  return array([bulk(keyBuf(taken[0]!.member)), double(taken[0]!.score)]);
}

export const zpopmin: Handler = (s, argv) => zpop(s, argv, false);
export const zpopmax: Handler = (s, argv) => zpop(s, argv, true);

/** Remove up to `count` items from the low (or, `max`, the high) end; in pop order. The caller writes. */
function popItems(z: ZSetVal, max: boolean, count: number): ZItem[] {
  // One splice at the end, where a zsetDel per member would search and splice each time.
  return zsetPopEnd(z, max, Math.min(count, z.sorted.length));
}

const ZPOPMIN = Buffer.from('ZPOPMIN');
const ZPOPMAX = Buffer.from('ZPOPMAX');

/**
 * ZMPOP numkeys key... MIN|MAX [COUNT n]: pops from the first of the keys that exists (a key of
 * another type before it is WRONGTYPE; one after it is never looked at). Logged as the ZPOPMIN
 * or ZPOPMAX key n it amounts to, as Redis replicates it: the logged key is the one written, so
 * WATCH and blocked clients see exactly it. The reply nests [member, score] pairs even in RESP2.
 */
export const zmpop: Handler = (s, argv) => {
  const a = parseMpop(argv, ['MIN', 'MAX'] as const);
  if ('t' in a) return a;
  const t = firstTyped(s, a.keys, 'zset');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return NULL_ARRAY;
  const taken = popItems(t.v, a.where === 'MAX', a.count);
  s.wrote(t.e);
  s.propagate([[a.where === 'MAX' ? ZPOPMAX : ZPOPMIN, t.kb, Buffer.from(String(taken.length))]]);
  const items = taken.map((it) => array([bulk(keyBuf(it.member)), double(it.score)]));
  return array([bulk(keyBuf(t.e.key)), array(items)]);
};

/** ZRANDMEMBER key [count [WITHSCORES]] (zrandmemberCommand): members drawn with s.randomInt. */
export const zrandmember: Handler = (s, argv) => {
  if (argv.length === 2) {
    const t = lookupTyped(s, key(argv[1]!), 'zset');
    if (t === 'wrongtype') return E.wrongType;
    if (t === undefined) return NULL;
    return bulk(keyBuf(t.v.sorted[s.randomInt(t.v.sorted.length)]!.member));
  }
  const c = parseRandCount(argv, 'WITHSCORES');
  if ('t' in c) return c;
  const t = lookupTyped(s, key(argv[1]!), 'zset');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined || c.n === 0n) return EMPTY_ARRAY;
  const all = t.v.sorted;
  if (c.n < 0n) {
    return emit(drawRepeats(s, all, Number(-c.n)), c.withFlag);
  }
  // A count covering the whole set answers it all, from the highest score down: Redis's
  // iterator (zuiInitIterator) starts at the tail.
  if (c.n >= BigInt(all.length)) return emit(all.slice().reverse(), c.withFlag);
  return emit(drawDistinct(s, all.slice(), Number(c.n)), c.withFlag);
};

/**
 * Sorted sets up to this many members answer ZSCAN in one reply with cursor 0, as Redis does
 * for listpack-encoded ones (zset-max-listpack-entries 128).
 */
export const zscanWholeMembersMax = 128;

/** ZSCAN: small sets in one reply; larger ones walk score order (scanElements). */
export const zscan: Handler = (s, argv) => {
  const p = parseElementScan(argv, () => lookupTyped(s, key(argv[1]!), 'zset'));
  if ('t' in p) return p;
  const z = p.v.v.sorted;
  // Scores as the listpack holds them: text in 7.0's %.17g, a bulk string even under RESP3.
  return scanElements(z, z.length, p.o, z.length <= zscanWholeMembersMax, (it) => it.member, (it) => [bulk(keyBuf(it.member)), bulk(Buffer.from(formatDouble17g(it.score)))]);
};

// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, their read forms ZUNION, ZINTER, ZDIFF, and
// ZINTERCARD: one parser and one combiner (zunionInterDiffGenericCommand).

type SetOp = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

/** One input: a sorted set's scores, or a plain set's members (score 1), weighted. */
interface OpInput {
  readonly scores: ReadonlyMap<string, number>;
  weight: number;
}

/** Which command form: a STORE writes dst; a read may ask WITHSCORES; ZINTERCARD takes LIMIT only. */
type SetOpForm = 'store' | 'read' | 'card';

interface SetOpArgs {
  readonly inputs: OpInput[];
  aggregate: Aggregate;
  withScores: boolean;
  /** ZINTERCARD's LIMIT; 0: none. */
  limit: number;
}

const noScores: ReadonlyMap<string, number> = new Map();
const ZADD = Buffer.from('ZADD');
const DEL = Buffer.from('DEL');
/** Members per logged ZADD of a ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE result. */
export const zstoreBatchMax = 1024;

/** A source key's members and scores; a plain set counts as a sorted set of score 1 (as in redis). */
function opScores(s: StoreOps, kb: Buffer): ReadonlyMap<string, number> | 'wrongtype' {
  const e = s.lookup(key(kb));
  if (e === undefined) return noScores;
  const v = e.v;
  if (isStr(v)) return 'wrongtype';
  switch (v.type) {
    case 'zset':
      return v.scores;
    case 'set':
      return new Map(Array.from(v.s, (m) => [m, 1] as const));
    case 'hash':
    case 'list':
    case 'json':
      return 'wrongtype';
    default:
      return unreachable('value', v);
  }
}

/**
 * numkeys, the keys, then the options, in redis's order: a bad numkeys or too few arguments
 * before any lookup, WRONGTYPE before the options. WEIGHTS and AGGREGATE are not for ZDIFF
 * nor ZINTERCARD, WITHSCORES only for the read forms, LIMIT only for ZINTERCARD.
 */
function parseSetOp(s: StoreOps, argv: readonly Buffer[], numAt: number, op: SetOp, form: SetOpForm): SetOpArgs | Reply {
  const n = parseIntArg(argv[numAt]!);
  if (n === null) return E.notInteger;
  if (n < 1) return err(`ERR at least 1 input key is needed for '${argv[0]!.toString('latin1').toLowerCase()}' command`);
  if (n > argv.length - numAt - 1) return E.syntax;
  const a: SetOpArgs = { inputs: [], aggregate: 'sum', withScores: false, limit: 0 };
  for (let i = 0; i < n; i++) {
    const scores = opScores(s, argv[numAt + 1 + i]!);
    if (scores === 'wrongtype') return E.wrongType;
    a.inputs.push({ scores, weight: 1 });
  }
  for (let j = numAt + 1 + n; j < argv.length; j++) {
    const opt = upper(argv[j]!);
    const left = argv.length - j - 1;
    const weighs = op !== 'diff' && form !== 'card';
    if (weighs && opt === 'WEIGHTS' && left >= n) {
      for (const input of a.inputs) {
        const w = parseDouble(argv[++j]!);
        if (w === null) return err('ERR weight value is not a float');
        input.weight = w;
      }
    } else if (weighs && opt === 'AGGREGATE' && left >= 1) {
      const agg = upper(argv[++j]!).toLowerCase();
      if (agg !== 'sum' && agg !== 'min' && agg !== 'max') return E.syntax;
      a.aggregate = agg;
    } else if (form === 'read' && opt === 'WITHSCORES') {
      a.withScores = true;
    } else if (form === 'card' && opt === 'LIMIT' && left >= 1) {
      const l = parseLimit(argv[++j]!);
      if (typeof l !== 'number') return l;
      a.limit = l;
    } else return E.syntax;
  }
  return a;
}

/** zunionInterAggregate: a sum of +inf and -inf is 0, not NaN; a NaN never wins a MIN or MAX. */
function aggregate(target: number, val: number, how: Aggregate): number {
  switch (how) {
    case 'sum': {
      const x = target + val;
      return Number.isNaN(x) ? 0 : x;
    }
    case 'min':
      return val < target ? val : target;
    case 'max':
      return val > target ? val : target;
    default:
      return unreachable('aggregate', how);
  }
}

/** weight x score, where 0 x inf counts as 0. */
function weighted(input: OpInput, score: number): number {
  const x = input.weight * score;
  return Number.isNaN(x) ? 0 : x;
}

/** The result as members with their scores (in no particular order). */
function combine(a: SetOpArgs, op: SetOp): Map<string, number> {
  const acc = new Map<string, number>();
  if (op === 'diff') {
    const [first, ...rest] = a.inputs;
    for (const [m, sc] of first!.scores) if (!rest.some((r) => r.scores.has(m))) acc.set(m, sc);
    return acc;
  }
  // Smallest first, as redis sorts its inputs (stably): sums add up in the same order.
  const inputs = a.inputs.slice().sort((x, y) => x.scores.size - y.scores.size);
  if (op === 'union') {
    for (const input of inputs) {
      for (const [m, sc] of input.scores) {
        const w = weighted(input, sc);
        const cur = acc.get(m);
        acc.set(m, cur === undefined ? w : aggregate(cur, w, a.aggregate));
      }
    }
    return acc;
  }
  const [first, ...rest] = inputs;
  for (const [m, sc] of first!.scores) {
    let score: number | null = weighted(first!, sc);
    for (const r of rest) {
      const other = r.scores.get(m);
      if (other === undefined) {
        score = null;
        break;
      }
      // Unlike the first input's, these products are not cleared of NaN (a SUM then gives 0).
      score = aggregate(score, r.weight * other, a.aggregate);
    }
    if (score !== null) acc.set(m, score);
  }
  return acc;
}

function sortedItems(acc: Map<string, number>): ZItem[] {
  const items = Array.from(acc, ([member, score]): ZItem => ({ member, score }));
  return items.sort((x, y) => zcmp(x.score, x.member, y.score, y.member));
}

/** The STORE forms: the result replaces the destination (storeResult). */
function setOpStore(op: SetOp): Handler {
  return (s, argv) => {
    const a = parseSetOp(s, argv, 2, op, 'store');
    if ('t' in a) return a;
    return storeResult(s, argv[1]!, sortedItems(combine(a, op)));
  };
}

/**
 * Replace dst with `items` (in (score, member) order, distinct) and log DEL dst then ZADD
 * batches, so replay never re-reads the sources, and the logged keys are exactly the key
 * written (WATCH and blocked clients see dst only). An empty result deletes dst; with no
 * dst either, nothing is written.
 */
function storeResult(s: StoreOps, dst: Buffer, items: ZItem[]): Reply {
  const removed = s.remove(key(dst));
  if (items.length === 0) {
    if (removed) s.propagate([[DEL, dst]]);
    return ZERO;
  }
  s.create(key(dst), zsetFromSorted(items), Infinity);
  const muts: Buffer[][] = [[DEL, dst]];
  for (let i = 0; i < items.length; i += zstoreBatchMax) {
    const batch = items.slice(i, i + zstoreBatchMax);
    muts.push([ZADD, dst, ...batch.flatMap((it) => [Buffer.from(formatDouble17g(it.score)), keyBuf(it.member)])]);
  }
  s.propagate(muts);
  return int(items.length);
}

export const zunionstore = setOpStore('union');
export const zinterstore = setOpStore('inter');
export const zdiffstore = setOpStore('diff');

/** ZUNION, ZINTER, ZDIFF numkeys key... [options] [WITHSCORES]: the result in (score, member) order. */
function setOpRead(op: SetOp): Handler {
  return (s, argv) => {
    const a = parseSetOp(s, argv, 1, op, 'read');
    if ('t' in a) return a;
    return emit(sortedItems(combine(a, op)), a.withScores);
  };
}

export const zunion = setOpRead('union');
export const zinter = setOpRead('inter');
export const zdiff = setOpRead('diff');

/** ZINTERCARD numkeys key... [LIMIT limit]: the intersection's size, counted no further than limit. */
export const zintercard: Handler = (s, argv) => {
  const a = parseSetOp(s, argv, 1, 'inter', 'card');
  if ('t' in a) return a;
  const n = combine(a, 'inter').size;
  return int(a.limit === 0 ? n : Math.min(n, a.limit));
};
