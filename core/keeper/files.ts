// The keeper's small files besides WAL segments: snapshots and the term fence.
//
//   snap-<offset 20 digits>.snap: [u32 magic 'KSNP'][u32 version][u64 offset][u64 term]
//                                 [u32 dataBytes][u32 crc32c of everything else, data included][data]
//   term:                         [u32 magic 'KTRM'][u32 version][u64 term][u32 crc32c of the 16 bytes before]
//
// Both are written to a `.tmp` name, fsynced, renamed over the final name and the directory
// fsynced, so a reader sees the old version or the new one, never a mix; the checksum still
// guards against bit rot.

import { crc32c, crc32cUpdate } from '../wal/crc32c';
import { getU32, getU64, putU32, putU64 } from '../wal/bytes';
import { diskReadBytesMax } from '../../net/disk';

export const snapshotMagic = 0x504e534b; // 'KSNP'
export const termMagic = 0x4d52544b; // 'KTRM'
export const fileVersion = 1;
export const snapshotHeaderBytes = 32;
export const snapshotDataBytesMax = diskReadBytesMax - snapshotHeaderBytes;
export const termFileBytes = 20;
export const termFileName = 'term';
export const termTmpName = 'term.tmp';

const snapPattern = /^snap-(\d{20})\.snap$/;

export function snapshotName(offset: number): string {
  return `snap-${String(offset).padStart(20, '0')}.snap`;
}

export function snapshotTmpName(offset: number): string {
  return `snap-${String(offset).padStart(20, '0')}.tmp`;
}

export function parseSnapshotName(name: string): number | null {
  const m = snapPattern.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

export interface SnapshotFile {
  readonly offset: number;
  readonly term: number;
  readonly data: Uint8Array;
}

export function encodeSnapshot(s: SnapshotFile): Uint8Array {
  const out = new Uint8Array(snapshotHeaderBytes + s.data.length);
  putU32(out, 0, snapshotMagic);
  putU32(out, 4, fileVersion);
  putU64(out, 8, s.offset);
  putU64(out, 16, s.term);
  putU32(out, 24, s.data.length);
  out.set(s.data, snapshotHeaderBytes);
  putU32(out, 28, snapshotCrc(out));
  return out;
}

function snapshotCrc(buf: Uint8Array): number {
  return crc32cUpdate(crc32c(buf, 0, 28), buf, snapshotHeaderBytes, buf.length);
}

export type SnapshotDecode = { readonly ok: true; readonly snap: SnapshotFile } | { readonly ok: false; readonly reason: string };

export function decodeSnapshot(buf: Uint8Array, nameOffset: number): SnapshotDecode {
  if (buf.length < snapshotHeaderBytes) return { ok: false, reason: 'short header' };
  if (getU32(buf, 0) !== snapshotMagic || getU32(buf, 4) !== fileVersion) return { ok: false, reason: 'bad magic' };
  if (snapshotHeaderBytes + getU32(buf, 24) !== buf.length) return { ok: false, reason: 'length mismatch' };
  if (snapshotCrc(buf) !== getU32(buf, 28)) return { ok: false, reason: 'checksum' };
  const offset = getU64(buf, 8);
  const term = getU64(buf, 16);
  if (offset !== nameOffset || term < 0) return { ok: false, reason: 'offset does not match the name' };
  return { ok: true, snap: { offset, term, data: buf.slice(snapshotHeaderBytes) } };
}

export function encodeTermFile(term: number): Uint8Array {
  const out = new Uint8Array(termFileBytes);
  putU32(out, 0, termMagic);
  putU32(out, 4, fileVersion);
  putU64(out, 8, term);
  putU32(out, 16, crc32c(out, 0, 16));
  return out;
}

/** The fenced term, or null when the file is corrupt. */
export function decodeTermFile(buf: Uint8Array): number | null {
  if (buf.length !== termFileBytes) return null;
  if (getU32(buf, 0) !== termMagic || getU32(buf, 4) !== fileVersion) return null;
  if (getU32(buf, 16) !== crc32c(buf, 0, 16)) return null;
  const t = getU64(buf, 8);
  return t >= 0 ? t : null;
}
