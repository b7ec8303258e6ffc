// msgpack headers written by hand at a position in a Buffer, in the forms @msgpack/msgpack's
// encoder picks (smallest that fits): used by the WAL payload encoder
// (core/keeper/store-materializer.ts) and the snapshot encoder (snapshot-codec.ts), whose
// tests check their bytes against the library. Each writes at `p` and returns the position
// after it; the caller makes sure there is room (at most 5 bytes).

/** Bytes `writeArrayHeader` takes for `n` items. */
export const arrayHeaderBytes = (n: number): number => (n < 16 ? 1 : n < 0x10000 ? 3 : 5);
/** Bytes `writeBinHeader` takes for `n` bytes of binary. */
export const binHeaderBytes = (n: number): number => (n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);
/** Bytes `writeUint` takes for `n` (0 .. 2^32 - 1). */
export const uintBytes = (n: number): number => (n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);

/** fixarray below 16 items, array16 below 2^16, else array32. */
export function writeArrayHeader(out: Buffer, p: number, n: number): number {
  if (n >= 16) return writeWide(out, p, n, 0xdc, 0xdd);
  out[p] = 0x90 | n; // fixarray
  return p + 1;
}

/** bin8 below 2^8 bytes, bin16 below 2^16, else bin32. */
export function writeBinHeader(out: Buffer, p: number, n: number): number {
  if (n >= 0x100) return writeWide(out, p, n, 0xc5, 0xc6);
  out[p] = 0xc4; // bin8
  out[p + 1] = n;
  return p + 2;
}

/** An unsigned integer below 2^32: positive fixint, uint8, uint16 or uint32. */
export function writeUint(out: Buffer, p: number, n: number): number {
  if (n >= 0x100) return writeWide(out, p, n, 0xcd, 0xce);
  if (n < 0x80) {
    out[p] = n; // positive fixint
    return p + 1;
  }
  out[p] = 0xcc; // uint8
  out[p + 1] = n;
  return p + 2;
}

/** A tag byte then `n` big-endian: the 16-bit form below 2^16, else the 32-bit one. */
function writeWide(out: Buffer, p: number, n: number, tag16: number, tag32: number): number {
  if (n < 0x10000) {
    out[p] = tag16;
    return out.writeUInt16BE(n, p + 1);
  }
  out[p] = tag32;
  return out.writeUInt32BE(n, p + 1);
}
