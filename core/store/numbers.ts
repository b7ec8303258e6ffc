// Number parsing and formatting with Redis's exact rules, so replies match redis-server
// byte for byte. Integers are 64-bit: range arithmetic is done in BigInt (util.c string2ll).

export const int64Min = -(2n ** 63n);
export const int64Max = 2n ** 63n - 1n;
/** string2ll refuses anything longer than this many characters (LONG_STR_SIZE). */
const int64CharsMax = 20;

/**
 * Redis's string2ll: optional '-', then "0" or a non-zero digit followed by digits; no
 * '+', no spaces, no leading zeros, in int64 range. Returns null when not an integer.
 */
export function parseInt64(b: Buffer | string): bigint | null {
  const n = b.length;
  if (n === 0 || n > int64CharsMax) return null;
  // As text (at most int64CharsMax chars; BigInt needs it anyway). A string is the store's text
  // form of a value: its char codes are the bytes.
  const text = typeof b === 'string' ? b : b.toString('latin1');
  let i = 0;
  if (text.charCodeAt(0) === 0x2d) {
    if (n === 1) return null;
    i = 1;
  }
  const first = text.charCodeAt(i);
  if (first === 0x30) return n === 1 ? 0n : null;
  if (first < 0x31 || first > 0x39) return null;
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return null;
  }
  const v = BigInt(text);
  return v < int64Min || v > int64Max ? null : v;
}

/** Like parseInt64 but as a JS number when it is safely representable (indices, counts). */
export function parseIntArg(b: Buffer): number | null {
  // Fast path for short plain decimals: no BigInt allocation.
  const n = b.length;
  if (n > 0 && n <= 15) {
    let i = 0;
    let neg = false;
    if (b[0] === 0x2d) {
      neg = true;
      i = 1;
      if (n === 1) return null;
    }
    if (b[i] === 0x30 && n !== i + 1) return null;
    if (b[i] === 0x30 && neg) return null;
    let v = 0;
    for (; i < n; i++) {
      const c = b[i]!;
      if (c < 0x30 || c > 0x39) return null;
      v = v * 10 + (c - 0x30);
    }
    return neg ? -v : v;
  }
  const v = parseInt64(b);
  if (v === null) return null;
  // Clamp beyond 2^53: callers use these for indices/counts where such values saturate.
  return Number(v);
}

/**
 * Redis's getDoubleFromObject: strtod over the whole string, no leading space, no NaN.
 * Accepts "inf", "+inf", "-inf", "infinity" as strtod does. Hex floats are not accepted
 * (a known difference from glibc's strtod).
 */
export function parseDouble(b: Buffer): number | null {
  if (b.length === 0 || b.length > 5000) return null;
  const s = b.toString('latin1');
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

/** C's printf("%.17g"): what Redis 7.0's addReplyDouble sends for scores. */
export function formatDouble17g(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exp = d.toExponential(16); // d.dddddddddddddddde±X: 17 significant digits
  const ePos = exp.indexOf('e');
  const x = Number(exp.slice(ePos + 1));
  if (x < -4 || x >= 17) {
    const mant = stripFractionZeros(exp.slice(0, ePos));
    const sign = x < 0 ? '-' : '+';
    const ax = Math.abs(x);
    return `${mant}e${sign}${ax < 10 ? '0' : ''}${ax}`;
  }
  return stripFractionZeros(d.toFixed(16 - x));
}

function stripFractionZeros(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  if (s.charCodeAt(end - 1) === 0x2e) end--;
  return s.slice(0, end);
}

/** A decimal number held exactly: value = mant * 10^-scale. */
interface Decimal {
  readonly mant: bigint;
  readonly scale: number;
}
/** Exponents beyond this fall back to plain doubles (long double range is not emulated). */
const decimalExponentMax = 400;

function parseDecimal(s: string): Decimal | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (m === null) return null;
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  if (intPart === '' && frac === '') return null;
  const e = m[4] === undefined ? 0 : Number(m[4]);
  if (Math.abs(e) > decimalExponentMax) return null;
  let mant = BigInt(intPart + frac || '0');
  let scale = frac.length - e;
  if (scale < 0) {
    mant *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { mant: m[1] === '-' ? -mant : mant, scale };
}

/** Decimal places Redis's ld2string(LD_STR_HUMAN) prints before trimming zeros. */
const humanDecimals = 17;

/**
 * INCRBYFLOAT / HINCRBYFLOAT: redis parses both operands with strtold, adds them as x87
 * long doubles (64-bit significand) and prints "%.17Lf" with trailing zeros trimmed. We
 * emulate exactly that in BigInt: round each decimal to 64 significant bits, add, round
 * again, print the binary value to 17 decimals (ties to even). Returns null when an
 * input is invalid or the result is not finite.
 */
export function addHumanFloat(current: Buffer, incr: Buffer): string | null {
  const a = parseDouble(current);
  const b = parseDouble(incr);
  if (a === null || b === null) return null;
  if (!Number.isFinite(a + b)) return null;
  const da = parseDecimal(current.toString('latin1'));
  const db = parseDecimal(incr.toString('latin1'));
  if (da === null || db === null) return formatHuman(a + b);
  const sum = ldAdd(ldFromDecimal(da), ldFromDecimal(db));
  return formatLdHuman(sum);
}

/** A binary floating value m * 2^e, m rounded to ldSignificandBits. */
interface LongDouble {
  readonly m: bigint;
  readonly e: number;
}
const ldSignificandBits = 64;
const ldMantMin = 1n << BigInt(ldSignificandBits - 1);
const ldMantLimit = 1n << BigInt(ldSignificandBits);

const bitLength = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);

/** n / d rounded half to even; n >= 0, d > 0. */
function divRoundEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r2 = (n % d) * 2n;
  if (r2 > d || (r2 === d && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Round the exact rational num / den (den > 0) to a long double. */
function ldRound(num: bigint, den: bigint): LongDouble {
  if (num === 0n) return { m: 0n, e: 0 };
  const neg = num < 0n;
  const a = neg ? -num : num;
  let e = bitLength(a) - bitLength(den) - ldSignificandBits;
  for (let guard = 0; guard < 8; guard++) {
    const m = e >= 0 ? divRoundEven(a, den << BigInt(e)) : divRoundEven(a << BigInt(-e), den);
    if (m >= ldMantLimit) e++;
    else if (m < ldMantMin) e--;
    else return { m: neg ? -m : m, e };
  }
  throw new Error('ldRound did not converge');
}

const ldFromDecimal = (d: Decimal): LongDouble => ldRound(d.mant, 10n ** BigInt(d.scale));

function ldAdd(x: LongDouble, y: LongDouble): LongDouble {
  const e = Math.min(x.e, y.e);
  const sum = (x.m << BigInt(x.e - e)) + (y.m << BigInt(y.e - e));
  return e >= 0 ? ldRound(sum << BigInt(e), 1n) : ldRound(sum, 1n << BigInt(-e));
}

/** printf("%.17Lf") of the exact binary value, then redis's trailing-zero trim. */
function formatLdHuman(x: LongDouble): string {
  const neg = x.m < 0n;
  const a = neg ? -x.m : x.m;
  const scale = 10n ** BigInt(humanDecimals);
  const scaled = x.e >= 0 ? (a << BigInt(x.e)) * scale : divRoundEven(a * scale, 1n << BigInt(-x.e));
  return formatDecimalHuman(neg ? -scaled : scaled, humanDecimals);
}

/** mant * 10^-scale printed with at most 17 decimals (rounded), trailing zeros trimmed. */
function formatDecimalHuman(mant: bigint, scale: number): string {
  let m = mant;
  let sc = scale;
  if (sc > humanDecimals) {
    const neg = m < 0n;
    const q = divRoundEven(neg ? -m : m, 10n ** BigInt(sc - humanDecimals));
    m = neg ? -q : q;
    sc = humanDecimals;
  }
  const neg = m < 0n;
  let digits = (neg ? -m : m).toString();
  if (sc > 0) {
    digits = digits.padStart(sc + 1, '0');
    digits = `${digits.slice(0, digits.length - sc)}.${digits.slice(digits.length - sc)}`;
    digits = stripFractionZeros(digits);
  }
  if (digits === '0') return '0';
  return neg ? `-${digits}` : digits;
}

/** Fallback human formatting of a double: %.17f with trailing zeros trimmed. */
function formatHuman(d: number): string {
  const s = Math.abs(d) < 1e21 ? d.toFixed(humanDecimals) : BigInt(d).toString();
  const t = stripFractionZeros(s);
  return t === '-0' ? '0' : t;
}

/** Format an integer reply value: a number when safe, a bigint beyond 2^53. */
export function intValue(v: bigint): number | bigint {
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
}
