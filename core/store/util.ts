// Small helpers shared by the command handlers.

import { err, Errors, type Reply } from '../../net/reply';
import { int64Max, parseInt64 } from './numbers';
import type { Entry, StoreOps } from './types';
import { valueType, type HashVal, type JsonVal, type ListVal, type SetVal, type StrData, type ValueType, type ZSetVal } from './values';

/** Largest string value (redis's proto-max-bulk-len default, 512 MiB). */
export const stringBytesMax = 512 * 1024 * 1024;

/** Node's Buffer method behind `toString('latin1')` (present since Node 0.x, not in @types/node). */
interface Latin1Slice {
  latin1Slice(start: number, end: number): string;
}
/** Bytes as a latin1 string (one char per byte), without `toString`'s encoding dispatch. */
export const latin1 = (b: Buffer): string => (b as unknown as Latin1Slice).latin1Slice(0, b.length);
/** A key's bytes as the store's key string. */
export const key = latin1;
export const keyBuf = (k: string): Buffer => Buffer.from(k, 'latin1');
export const upper = (b: Buffer): string => b.toString('latin1').toUpperCase();

export const E = {
  wrongType: err(Errors.wrongType),
  syntax: err(Errors.syntax),
  notInteger: err(Errors.notInteger),
  notFloat: err(Errors.notFloat),
  overflow: err(Errors.overflow),
  noSuchKey: err(Errors.noSuchKey),
  stringTooLong: err('ERR string exceeds maximum allowed size (proto-max-bulk-len)'),
  offsetRange: err('ERR offset is out of range'),
  indexRange: err('ERR index out of range'),
  mustBePositive: err('ERR value is out of range, must be positive'),
  nanOrInf: err('ERR increment would produce NaN or Infinity'),
  hashNotInteger: err('ERR hash value is not an integer'),
  hashNotFloat: err('ERR hash value is not a float'),
  invalidCursor: err('ERR invalid cursor'),
  dbRange: err('ERR DB index is out of range'),
  minMaxNotFloat: err('ERR min or max is not a float'),
  minMaxNotLex: err('ERR min or max not valid string range item'),
  numkeysNotPositive: err('ERR numkeys should be greater than 0'),
  countNotPositive: err('ERR count should be greater than 0'),
  rangeLong: err(`ERR value is out of range, value must between ${-int64Max} and ${int64Max}`),
} as const;

export const invalidExpire = (cmd: string): Reply => err(`ERR invalid expire time in '${cmd}' command`);

/** A typed lookup's outcome: the entry, nothing, or the WRONGTYPE reply. */
export type Typed<T> = { readonly e: Entry; readonly v: T } | undefined | 'wrongtype';

interface ByType {
  string: StrData;
  hash: HashVal;
  list: ListVal;
  set: SetVal;
  zset: ZSetVal;
  json: JsonVal;
}

export function lookupTyped<K extends ValueType>(s: StoreOps, k: string, type: K): Typed<ByType[K]> {
  const e = s.lookup(k);
  if (e === undefined) return undefined;
  if (valueType(e.v) !== type) return 'wrongtype';
  return { e, v: e.v as ByType[K] };
}

/** The first of `keys` that exists, with its key bytes; WRONGTYPE when it, or one before it, holds another type. */
export function firstTyped<K extends ValueType>(s: StoreOps, keys: readonly Buffer[], type: K): ({ readonly kb: Buffer; readonly e: Entry; readonly v: ByType[K] }) | undefined | 'wrongtype' {
  for (const kb of keys) {
    const t = lookupTyped(s, key(kb), type);
    if (t === 'wrongtype') return t;
    if (t !== undefined) return { kb, ...t };
  }
  return undefined;
}

/** LMPOP/ZMPOP's arguments after numkeys: the keys, the end to pop from, how many (1 without COUNT). */
export interface MpopArgs<W extends string> {
  readonly keys: readonly Buffer[];
  readonly where: W;
  readonly count: number;
}

/**
 * numkeys key... WHERE [COUNT n], checked in lmpopGenericCommand's order: numkeys (a
 * non-integer says the same), then WHERE, which must fall inside argv, then COUNT, at most once.
 * Nothing is looked up, so these errors win over WRONGTYPE.
 */
export function parseMpop<W extends string>(argv: readonly Buffer[], ends: readonly W[]): MpopArgs<W> | Reply {
  const numkeys = parseInt64(argv[1]!);
  if (numkeys === null || numkeys < 1n) return E.numkeysNotPositive;
  if (numkeys >= BigInt(argv.length - 2)) return E.syntax;
  const whereAt = 2 + Number(numkeys);
  const w = upper(argv[whereAt]!);
  const where = ends.find((x) => x === w);
  if (where === undefined) return E.syntax;
  let count: number | null = null;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count !== null || upper(argv[j]!) !== 'COUNT' || j + 1 >= argv.length) return E.syntax;
    const c = parseInt64(argv[++j]!);
    if (c === null || c < 1n) return E.countNotPositive;
    // Beyond any container's size a count is all of it.
    count = c > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(c);
  }
  return { keys: argv.slice(2, whereAt), where, count: count ?? 1 };
}

const limitNegative = err("ERR LIMIT can't be negative");

/** SINTERCARD/ZINTERCARD's LIMIT argument: 0 for none, and beyond any set's size a limit is none. */
export function parseLimit(b: Buffer): number | Reply {
  const l = parseInt64(b);
  if (l === null || l < 0n) return limitNegative;
  return l > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(l);
}

/** HRANDFIELD/ZRANDMEMBER key count [flag]: the count, and whether the flag (WITHVALUES, WITHSCORES) was given. */
export interface RandCount {
  readonly n: bigint;
  readonly withFlag: boolean;
}

/**
 * The largest repeat count (a negative count) HRANDFIELD, SRANDMEMBER and ZRANDMEMBER answer.
 * Redis 7.0 takes any count up to LONG_MAX and streams the reply out as it builds it; a reply
 * here is built whole first, so a count past this is refused rather than exhausting the heap.
 */
export const randomRepeatsMax = 1 << 20;
const randomRepeatsRange = err(`ERR value is out of range, value must between -${randomRepeatsMax} and ${int64Max}`);

/**
 * hrandfieldCommand, srandmemberCommand and zrandmemberCommand parse alike: the count (over
 * -LONG_MAX..LONG_MAX) before what follows it, then Redis's guard against count * 2
 * overflowing the reply length when the flag doubles it, then our repeat cap. Nothing is
 * looked up yet. `flag` null: the command takes no flag after the count.
 */
export function parseRandCount(argv: readonly Buffer[], flag: string | null): RandCount | Reply {
  const n = parseInt64(argv[2]!);
  if (n === null) return E.notInteger;
  if (n < -int64Max) return E.rangeLong;
  if (argv.length > 4 || (argv.length === 4 && (flag === null || upper(argv[3]!) !== flag))) return E.syntax;
  const withFlag = argv.length === 4;
  if (withFlag && (n < -int64Max / 2n || n > int64Max / 2n)) return err('ERR value is out of range');
  if (n < -BigInt(randomRepeatsMax)) return randomRepeatsRange;
  return { n, withFlag };
}

/** `count` draws with replacement from `items` (not empty), with the store's generator. */
export function drawRepeats<T>(s: StoreOps, items: readonly T[], count: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(items[s.randomInt(items.length)]!);
  return out;
}

/** `count` (< items.length) distinct items in random order: a partial Fisher-Yates shuffle of `items`, in place. */
export function drawDistinct<T>(s: StoreOps, items: T[], count: number): T[] {
  for (let i = 0; i < count; i++) {
    const j = i + s.randomInt(items.length - i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items.slice(0, count);
}

/** redis's normalisation of a [start, stop] index pair against a length; null = empty. */
export function rangeIndices(start: number, stop: number, len: number): [number, number] | null {
  let a = start < 0 ? len + start : start;
  let b = stop < 0 ? len + stop : stop;
  if (a < 0) a = 0;
  if (a > b || a >= len) return null;
  if (b >= len) b = len - 1;
  return [a, b];
}

/** The LRU clock wraps after this many seconds (2^24: 194 days), as Redis's does. */
export const lruClockSeconds = 2 ** 24;

/** The LRU clock at `nowMs`: whole seconds, wrapped. */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) % lruClockSeconds;
}

/** Seconds since an access stamped `lruS` (estimateObjectIdleTime: one wrap at most assumed). */
export function lruIdleSeconds(nowMs: number, lruS: number): number {
  const now = lruClock(nowMs);
  return now >= lruS ? now - lruS : now + lruClockSeconds - lruS;
}
