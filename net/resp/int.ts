// Integers parsed straight from bytes, with the rules of redis's string2ll (util.c):
// optional '-', no '+', no leading zeros ("0" alone is fine, "-0" is not), no blanks,
// and the value must fit a signed 64-bit integer.

const D0 = 0x30;
const D9 = 0x39;
const MINUS = 0x2d;
/** Digits that always fit a double exactly (and an int64). */
const exactDigitsMax = 15;
const int64DigitsMax = 19;

/**
 * The integer in bytes [from, to), or null when string2ll would reject it. Values beyond
 * 2^53 come back rounded; callers only compare them with limits far below that.
 */
export function parseInt64(buf: Buffer, from: number, to: number): number | null {
  const negative = to - from > 1 && buf[from] === MINUS;
  const first = negative ? from + 1 : from;
  const digits = to - first;
  if (digits <= 0 || digits > int64DigitsMax) return null;
  const lead = buf[first] as number;
  if (lead === D0) return digits === 1 && !negative ? 0 : null;
  let n = 0;
  for (let i = first; i < to; i++) {
    const c = buf[i] as number;
    if (c < D0 || c > D9) return null;
    n = n * 10 + (c - D0);
  }
  if (digits > exactDigitsMax && !fitsInt64(buf, first, to, negative)) return null;
  return negative ? -n : n;
}

function fitsInt64(buf: Buffer, first: number, to: number, negative: boolean): boolean {
  const value = BigInt(buf.toString('latin1', first, to));
  return negative ? value <= 9223372036854775808n : value <= 9223372036854775807n;
}

/** Like parseInt64, but returns a bigint when the value is beyond 2^53 (client-side integers). */
export function parseInt64Exact(buf: Buffer, from: number, to: number): number | bigint | null {
  const n = parseInt64(buf, from, to);
  if (n === null || Number.isSafeInteger(n)) return n;
  return BigInt(buf.toString('latin1', from, to));
}
