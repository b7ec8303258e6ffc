// WAL segment files: `wal-<first offset, 20 digits>.seg`, a 24-byte header, then records.
//
//   header: [u32 magic 'KWAL'][u32 version][u64 firstOffset][u32 reserved=0][u32 crc32c of the 20 bytes before]
//
// The name and the header both carry the first offset; they must agree. The scanner reads a
// whole segment and tells a torn tail (the end of the last segment, where a crash may leave a
// partial write) from corruption (a bad record followed by valid data, or any bad record in a
// segment that is not the last): the first is truncated, the second is reported and repaired.

import { crc32c } from './crc32c';
import { getU32, getU64, putU32, putU64 } from './bytes';
import { decodeRecordAt, recordHeaderBytes, type WalRecord } from './record';
import { diskReadBytesMax } from '../../net/disk';

export const segmentMagic = 0x4c41574b; // 'KWAL' little-endian
export const segmentVersion = 1;
export const segmentHeaderBytes = 24;
/** Hard upper bound on a configured segment size (a segment is read whole at recovery). */
export const segmentBytesMax = 32 * 1024 * 1024;
/** Bytes scanned forward after a bad record, looking for a valid later one (corrupt vs torn). */
export const resyncScanBytesMax = diskReadBytesMax;

const namePattern = /^wal-(\d{20})\.seg$/;

export function segmentName(firstOffset: number): string {
  return `wal-${String(firstOffset).padStart(20, '0')}.seg`;
}

/** The first offset a segment file name encodes, or null when the name is not a segment's. */
export function parseSegmentName(name: string): number | null {
  const m = namePattern.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

export function encodeSegmentHeader(firstOffset: number): Uint8Array {
  const out = new Uint8Array(segmentHeaderBytes);
  putU32(out, 0, segmentMagic);
  putU32(out, 4, segmentVersion);
  putU64(out, 8, firstOffset);
  putU32(out, 16, 0);
  putU32(out, 20, crc32c(out, 0, 20));
  return out;
}

export type HeaderResult =
  | { readonly ok: true; readonly firstOffset: number }
  | { readonly ok: false; readonly reason: 'short' | 'corrupt' };

export function decodeSegmentHeader(buf: Uint8Array): HeaderResult {
  if (buf.length < segmentHeaderBytes) return { ok: false, reason: 'short' };
  if (getU32(buf, 20) !== crc32c(buf, 0, 20)) return { ok: false, reason: 'corrupt' };
  if (getU32(buf, 0) !== segmentMagic || getU32(buf, 4) !== segmentVersion) return { ok: false, reason: 'corrupt' };
  const firstOffset = getU64(buf, 8);
  if (firstOffset < 1) return { ok: false, reason: 'corrupt' };
  return { ok: true, firstOffset };
}

/** Where a record lives inside its segment. */
export interface ScannedRecord extends WalRecord {
  readonly pos: number;
  readonly bytes: number;
}

export type ScanTail =
  /** Every byte of the segment is a valid record. */
  | { readonly kind: 'clean' }
  /** The segment ends in a partial or unchecksummed write at `pos` (only in the last segment). */
  | { readonly kind: 'torn'; readonly pos: number }
  /** A record at `pos` is bad and is not a torn tail; `laterOffset` is the highest offset of a
   *  valid record found after it (0 when none), to size the range to repair. */
  | { readonly kind: 'corrupt'; readonly pos: number; readonly reason: string; readonly laterOffset: number };

export interface SegmentScan {
  readonly firstOffset: number;
  readonly records: ScannedRecord[];
  /** Bytes of the valid prefix (header + good records). */
  readonly validBytes: number;
  readonly tail: ScanTail;
  /** Bad records skipped because a snapshot covers them. */
  readonly coveredBad: number;
  /** The header failed its checksum (records were scanned using the file name's offset). */
  readonly headerBad: boolean;
}

export type ScanResult =
  | { readonly ok: true; readonly scan: SegmentScan }
  | { readonly ok: false; readonly headerTorn: boolean; readonly reason: string };

/**
 * Scans one segment. `isLast` says whether this is the newest segment (only it may end torn).
 * Records must carry dense offsets starting at the header's first offset. Records at offsets
 * <= `coveredUpTo` are covered by a snapshot: a bad one among them is skipped (counted in
 * `coveredBad`) by resynchronizing on the next valid record, since nothing needs it.
 */
export function scanSegment(buf: Uint8Array, nameFirstOffset: number, isLast: boolean, coveredUpTo = 0): ScanResult {
  const decoded = decodeSegmentHeader(buf);
  let headerBad = false;
  if (!decoded.ok) {
    // A header can only be torn if the segment was being created at the crash: it is the last
    // one and holds nothing but a partial header (zeros or a prefix).
    if (buf.length <= segmentHeaderBytes) return { ok: false, headerTorn: isLast, reason: `segment header ${decoded.reason}` };
    // Records follow a rotted header: they check themselves, and the name gives the first
    // offset, so scan them and let the caller rewrite the header.
    headerBad = true;
  } else if (decoded.firstOffset !== nameFirstOffset) {
    return { ok: false, headerTorn: false, reason: `segment header names offset ${decoded.firstOffset}, file name ${nameFirstOffset}` };
  }
  const h = { firstOffset: nameFirstOffset };
  const records: ScannedRecord[] = [];
  let pos = segmentHeaderBytes;
  let expected = h.firstOffset;
  let coveredBad = 0;
  while (pos < buf.length) {
    const d = decodeRecordAt(buf, pos);
    if ((!d.ok || d.record.offset !== expected) && expected <= coveredUpTo) {
      const re = findResync(buf, pos + 1, expected, coveredUpTo + 1);
      if (re !== null) {
        coveredBad += 1;
        pos = re.pos;
        expected = re.offset;
        continue;
      }
    }
    if (!d.ok || d.record.offset !== expected) {
      const reason = d.ok ? `offset ${d.record.offset} where ${expected} was expected` : `record ${d.reason}`;
      const laterOffset = findLaterValid(buf, pos + 1, expected);
      const tornPossible = isLast && laterOffset === 0;
      const tail: ScanTail = tornPossible ? { kind: 'torn', pos } : { kind: 'corrupt', pos, reason, laterOffset };
      return { ok: true, scan: { firstOffset: h.firstOffset, records, validBytes: pos, tail, coveredBad, headerBad } };
    }
    records.push({ ...d.record, pos, bytes: d.next - pos });
    pos = d.next;
    expected += 1;
  }
  return { ok: true, scan: { firstOffset: h.firstOffset, records, validBytes: pos, tail: { kind: 'clean' }, coveredBad, headerBad } };
}

/**
 * After a bad record: is there any valid record with a later offset further on? A crash tears
 * only the end of what was written, so a valid later record proves mid-log corruption. A bad
 * length field hides where the next record starts, so this tries every byte position.
 */
function findLaterValid(buf: Uint8Array, from: number, expected: number): number {
  let best = 0;
  const end = Math.min(buf.length, from + resyncScanBytesMax);
  for (let p = from; p + recordHeaderBytes <= end; p++) {
    const offset = getU64(buf, p + 8);
    if (offset < expected || offset > expected + (buf.length >> 3)) continue; // cheap filter first
    const d = decodeRecordAt(buf, p);
    if (d.ok && d.record.offset > best) best = d.record.offset;
  }
  return best;
}

/** The first valid record after `from` with an offset in (expected, upTo]: where to resume. */
function findResync(buf: Uint8Array, from: number, expected: number, upTo: number): { pos: number; offset: number } | null {
  const end = Math.min(buf.length, from + resyncScanBytesMax);
  for (let p = from; p + recordHeaderBytes <= end; p++) {
    const offset = getU64(buf, p + 8);
    if (offset <= expected || offset > upTo) continue;
    const d = decodeRecordAt(buf, p);
    if (d.ok) return { pos: p, offset };
  }
  return null;
}
