// Little-endian integer helpers shared by the WAL, segment, snapshot and term-file formats.
// 64-bit fields hold integers up to 2^53 - 1 (offsets and terms never exceed that), written
// as two u32 halves so no bigint is needed.

import { assert } from '../../net/types';

const two32 = 0x1_0000_0000;

// Hot paths check with `if (!ok) assert(false, msg)`: a template message passed to assert
// directly would be built on every call.

export function putU32(buf: Uint8Array, pos: number, v: number): void {
  if (!(Number.isInteger(v) && v >= 0 && v < two32)) assert(false, `u32 out of range: ${v}`);
  buf[pos] = v & 0xff;
  buf[pos + 1] = (v >>> 8) & 0xff;
  buf[pos + 2] = (v >>> 16) & 0xff;
  buf[pos + 3] = (v >>> 24) & 0xff;
}

export function getU32(buf: Uint8Array, pos: number): number {
  return (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
}

export function putU64(buf: Uint8Array, pos: number, v: number): void {
  if (!(Number.isSafeInteger(v) && v >= 0)) assert(false, `u64 out of safe range: ${v}`);
  putU32(buf, pos, v % two32);
  putU32(buf, pos + 4, Math.floor(v / two32));
}

/** Reads a u64; returns -1 when the value is beyond 2^53 - 1 (never written by us: corrupt). */
export function getU64(buf: Uint8Array, pos: number): number {
  const hi = getU32(buf, pos + 4);
  if (hi >= 0x20_0000) return -1;
  return hi * two32 + getU32(buf, pos);
}
