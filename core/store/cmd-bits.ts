// Bitmap commands over string values (bitops.c): GETBIT, SETBIT, BITCOUNT, BITPOS. Bits are
// numbered from the most significant bit of the first byte, as in Redis.

import { err, int, ONE, ZERO, type Reply } from '../../net/reply';
import { parseInt64 } from './numbers';
import type { Handler } from './types';
import { E, key, lookupTyped, stringBytesMax, upper } from './util';
import { strBuffer, strData } from './values';

const bitOffsetError = err('ERR bit offset is not an integer or out of range');
const bitValueError = err('ERR bit is not an integer or out of range');
const bitArgError = err('ERR The bit argument must be 1 or 0.');
const MINUS_ONE = int(-1);

/** A bit offset argument: 0 .. 2^32-1 (Redis: the byte must lie below proto-max-bulk-len, 512 MB). */
function parseBitOffset(b: Buffer): number | null {
  const v = parseInt64(b);
  if (v === null || v < 0n || v >> 3n >= BigInt(stringBytesMax)) return null;
  return Number(v);
}

const bitAt = (bytes: Uint8Array, i: number): number => (bytes[i >> 3]! >> (7 - (i & 7))) & 1;

export const getbit: Handler = (s, argv) => {
  const offset = parseBitOffset(argv[2]!);
  if (offset === null) return bitOffsetError;
  const t = lookupTyped(s, key(argv[1]!), 'string');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined || offset >> 3 >= t.v.length) return ZERO;
  return bitAt(strBuffer(t.v), offset) === 1 ? ONE : ZERO;
};

/** SETBIT: grows the string with zero bytes as needed; replies the bit's old value. */
export const setbit: Handler = (s, argv) => {
  const offset = parseBitOffset(argv[2]!);
  if (offset === null) return bitOffsetError;
  const on = parseInt64(argv[3]!);
  if (on !== 0n && on !== 1n) return bitValueError;
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'string');
  if (t === 'wrongtype') return E.wrongType;
  const byte = offset >> 3;
  const curLen = t === undefined ? 0 : t.v.length;
  const out = Buffer.alloc(Math.max(curLen, byte + 1));
  if (t !== undefined) strBuffer(t.v).copy(out);
  const old = bitAt(out, offset);
  const mask = 1 << (7 - (offset & 7));
  out[byte] = on === 1n ? out[byte]! | mask : out[byte]! & ~mask;
  const d = strData(out, true);
  if (t === undefined) s.create(k, d, Infinity);
  else {
    t.e.v = d;
    s.wrote(t.e);
  }
  return old === 1 ? ONE : ZERO;
};

/** Set bits in one byte. */
function popcount8(x: number): number {
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  return (x + (x >> 4)) & 0x0f;
}

/**
 * The inclusive bit range [first, last] that a start/end pair in BYTE or BIT units selects from
 * a string of `bytes` bytes, negative indexes counting from the end (Redis's conversion), or null
 * when the range is empty. BITCOUNT (`negativeShortcut`) calls a range empty when both ends are
 * negative and start > end, before clamping; BITPOS clamps first.
 */
function bitRange(start: bigint, end: bigint, inBits: boolean, bytes: number, negativeShortcut: boolean): { first: number; last: number } | null {
  const total = BigInt(inBits ? bytes * 8 : bytes);
  if (negativeShortcut && start < 0n && end < 0n && start > end) return null;
  if (start < 0n) start += total;
  if (end < 0n) end += total;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= total) end = total - 1n;
  if (start > end) return null;
  return inBits ? { first: Number(start), last: Number(end) } : { first: Number(start) * 8, last: Number(end) * 8 + 7 };
}

/** The BYTE|BIT argument, if given at `i`: true for BIT, false for BYTE, null for a syntax error. */
function parseBitUnit(argv: readonly Buffer[], i: number): boolean | null {
  if (i >= argv.length) return false;
  const u = upper(argv[i]!);
  return u === 'BIT' ? true : u === 'BYTE' ? false : null;
}

export const bitcount: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'string');
  if (t === 'wrongtype') return E.wrongType;
  // Redis looks the key up first: a missing key counts 0 whatever the other arguments say.
  if (t === undefined) return ZERO;
  if (argv.length !== 2 && argv.length !== 4 && argv.length !== 5) return E.syntax;
  const bytes = strBuffer(t.v);
  let range: { first: number; last: number } | null = bytes.length === 0 ? null : { first: 0, last: bytes.length * 8 - 1 };
  if (argv.length >= 4) {
    const start = parseInt64(argv[2]!);
    const end = parseInt64(argv[3]!);
    if (start === null || end === null) return E.notInteger;
    const inBits = parseBitUnit(argv, 4);
    if (inBits === null) return E.syntax;
    range = bitRange(start, end, inBits, bytes.length, true);
  }
  if (range === null) return ZERO;
  let n = 0;
  let i = range.first;
  // Partial bytes at the edges bit by bit, whole bytes in between by table-free popcount.
  for (; i <= range.last && (i & 7) !== 0; i++) n += bitAt(bytes, i);
  for (; i + 7 <= range.last; i += 8) n += popcount8(bytes[i >> 3]!);
  for (; i <= range.last; i++) n += bitAt(bytes, i);
  return int(n);
};

export const bitpos: Handler = (s, argv) => {
  const bit = parseInt64(argv[2]!);
  if (bit === null) return E.notInteger;
  if (bit !== 0n && bit !== 1n) return bitArgError;
  const want = Number(bit);
  const t = lookupTyped(s, key(argv[1]!), 'string');
  if (t === 'wrongtype') return E.wrongType;
  // A missing key is an endless run of zero bits.
  if (t === undefined) return want === 1 ? MINUS_ONE : ZERO;
  if (argv.length > 6) return E.syntax;
  const bytes = strBuffer(t.v);
  let range: { first: number; last: number } | null = bytes.length === 0 ? null : { first: 0, last: bytes.length * 8 - 1 };
  const endGiven = argv.length >= 5;
  if (argv.length >= 4) {
    const start = parseInt64(argv[3]!);
    if (start === null) return E.notInteger;
    const inBits = parseBitUnit(argv, 5);
    if (inBits === null) return E.syntax;
    let end = BigInt(inBits ? bytes.length * 8 - 1 : bytes.length - 1);
    if (endGiven) {
      const e = parseInt64(argv[4]!);
      if (e === null) return E.notInteger;
      end = e;
    }
    range = bitRange(start, end, inBits, bytes.length, false);
  }
  if (range === null) return MINUS_ONE;
  const skip = want === 1 ? 0x00 : 0xff;
  for (let i = range.first; i <= range.last; ) {
    if ((i & 7) === 0 && i + 7 <= range.last && bytes[i >> 3] === skip) {
      i += 8;
      continue;
    }
    if (bitAt(bytes, i) === want) return int(i);
    i++;
  }
  // No clear bit in the string: the zero padding after it holds the first one, unless the
  // caller gave an explicit end.
  return want === 0 && !endGiven ? int(bytes.length * 8) : MINUS_ONE;
};

const bitopNotError = err('ERR BITOP NOT must be called with a single source key.');
const NO_BYTES = Buffer.alloc(0);

/**
 * BITOP AND|OR|XOR|NOT dest key...: the sources as strings (a missing key is empty, a shorter
 * one is zero-padded); dest becomes the result, with no deadline, or is deleted when the result
 * is empty. Replies the result's length. Replicates as it came: the follower has the sources.
 */
export const bitop: Handler = (s, argv) => {
  const op = upper(argv[1]!);
  if (op !== 'AND' && op !== 'OR' && op !== 'XOR' && op !== 'NOT') return E.syntax;
  if (op === 'NOT' && argv.length !== 4) return bitopNotError;
  const sources: Buffer[] = [];
  let len = 0;
  for (let i = 3; i < argv.length; i++) {
    const t = lookupTyped(s, key(argv[i]!), 'string');
    if (t === 'wrongtype') return E.wrongType;
    const b = t === undefined ? NO_BYTES : strBuffer(t.v);
    sources.push(b);
    if (b.length > len) len = b.length;
  }
  const dk = key(argv[2]!);
  if (len === 0) {
    s.remove(dk);
    return ZERO;
  }
  const out = Buffer.alloc(len);
  const first = sources[0]!;
  for (let i = 0; i < len; i++) {
    // Bytes past a source's end are zero.
    let x = first[i] ?? 0;
    if (op === 'NOT') x = ~x & 0xff;
    for (let j = 1; j < sources.length; j++) {
      const y = sources[j]![i] ?? 0;
      x = op === 'AND' ? x & y : op === 'OR' ? x | y : x ^ y;
    }
    out[i] = x;
  }
  s.remove(dk);
  s.create(dk, strData(out, true), Infinity);
  return int(len);
};
