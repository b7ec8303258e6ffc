// Small helpers shared by the command handlers.

import { err, Errors, type Reply } from '../../net/reply';
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
