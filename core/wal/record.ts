// One WAL record: a fixed little-endian header and an opaque payload (msgpack of a batch of
// store mutations, defined by the store; the WAL never looks inside).
//
//   [u32 payloadBytes][u32 crc32c][u64 offset][u64 term][payload...]
//
// The checksum covers the length field and everything after the checksum field, so a flipped
// bit anywhere in a record is caught (the length too: a wrong length makes the checksum span
// the wrong bytes). Offset is the replicated log index (1-based, dense), term the leader's term.

import { crc32c, crc32cUpdate } from './crc32c';
import { getU32, getU64, putU32, putU64 } from './bytes';

export const recordHeaderBytes = 24;
/** Largest payload one record may carry; a bigger one is refused with a typed error. */
export const recordPayloadBytesMax = 4 * 1024 * 1024;
/** Largest encoded record (header + payload). */
export const recordBytesMax = recordHeaderBytes + recordPayloadBytesMax;

export interface WalRecord {
  readonly offset: number;
  readonly term: number;
  readonly payload: Uint8Array;
}

export type EncodeResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly error: 'recordTooLarge'; readonly payloadBytes: number };

export type DecodeResult =
  | { readonly ok: true; readonly record: WalRecord; readonly next: number }
  /** `short`: the header or the payload runs past the end of the buffer (a torn tail, or a
   *  corrupt length); `corrupt`: the bytes are all there but the checksum or a field is wrong. */
  | { readonly ok: false; readonly reason: 'short' | 'corrupt' };

export function recordBytes(payloadBytes: number): number {
  return recordHeaderBytes + payloadBytes;
}

export function encodeRecord(r: WalRecord): EncodeResult {
  if (r.payload.length > recordPayloadBytesMax) {
    return { ok: false, error: 'recordTooLarge', payloadBytes: r.payload.length };
  }
  const out = new Uint8Array(recordBytes(r.payload.length));
  encodeRecordInto(out, 0, r);
  return { ok: true, bytes: out };
}

/** Writes `r` at `pos` of `out` (which must have room); returns the position after it. */
export function encodeRecordInto(out: Uint8Array, pos: number, r: WalRecord): number {
  putU32(out, pos, r.payload.length);
  putU64(out, pos + 8, r.offset);
  putU64(out, pos + 16, r.term);
  out.set(r.payload, pos + recordHeaderBytes);
  const end = pos + recordBytes(r.payload.length);
  putU32(out, pos + 4, recordCrc(out, pos, end));
  return end;
}

function recordCrc(buf: Uint8Array, pos: number, end: number): number {
  return crc32cUpdate(crc32c(buf, pos, pos + 4), buf, pos + 8, end);
}

/** Decodes the record starting at `pos`. Never returns a record whose checksum fails. */
export function decodeRecordAt(buf: Uint8Array, pos: number): DecodeResult {
  if (pos + recordHeaderBytes > buf.length) return { ok: false, reason: 'short' };
  const payloadBytes = getU32(buf, pos);
  if (payloadBytes > recordPayloadBytesMax) return { ok: false, reason: 'corrupt' };
  const end = pos + recordBytes(payloadBytes);
  if (end > buf.length) return { ok: false, reason: 'short' };
  if (recordCrc(buf, pos, end) !== getU32(buf, pos + 4)) return { ok: false, reason: 'corrupt' };
  const offset = getU64(buf, pos + 8);
  const term = getU64(buf, pos + 16);
  if (offset < 1 || term < 0) return { ok: false, reason: 'corrupt' };
  const payload = buf.slice(pos + recordHeaderBytes, end);
  return { ok: true, record: { offset, term, payload }, next: end };
}
