// The Keeper's in-memory index of its log since the last snapshot, kept as parallel arrays
// (one per field) rather than one object per record: with ~250k records between snapshots,
// per-record objects all survive the young generation, get promoted, and die together at the
// next snapshot, which is a large share of the collector's work under a write load. Here a
// record is an index; the arrays hold unboxed numbers and pointers, nothing is allocated per
// record.
//
// Offsets are implicit: the index does not know them. The Keeper maps record offset `o` to
// index `o - snapshotOffset - 1` (so the log is dense by construction).

import { assert } from '../../net/types';

export class LogIndex<Seg extends object> {
  private terms: number[] = [];
  /** The segment holding the record; null until it is written. */
  private segs: (Seg | null)[] = [];
  /** Byte position of the record in its segment; -1 until it is written. */
  private positions: number[] = [];
  /** Encoded size of the record (header included). */
  private sizesBytes: number[] = [];
  /** Kept until the record is durable and applied to the materializer. */
  private payloads: (Uint8Array | null)[] = [];

  get length(): number {
    return this.terms.length;
  }

  push(term: number, seg: Seg | null, pos: number, bytes: number, payload: Uint8Array | null): void {
    this.terms.push(term);
    this.segs.push(seg);
    this.positions.push(pos);
    this.sizesBytes.push(bytes);
    this.payloads.push(payload);
  }

  /** Keeps the first `length` records. */
  truncate(length: number): void {
    assert(Number.isInteger(length) && length >= 0 && length <= this.length, 'log index truncate out of range');
    this.terms.length = length;
    this.segs.length = length;
    this.positions.length = length;
    this.sizesBytes.length = length;
    this.payloads.length = length;
  }

  clear(): void {
    this.truncate(0);
  }

  /** Drops the first `n` records (covered by a snapshot); returns their total encoded bytes. */
  dropFront(n: number): number {
    assert(Number.isInteger(n) && n >= 0 && n <= this.length, 'log index dropFront out of range');
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += this.sizesBytes[i]!;
    this.terms.splice(0, n);
    this.segs.splice(0, n);
    this.positions.splice(0, n);
    this.sizesBytes.splice(0, n);
    this.payloads.splice(0, n);
    return bytes;
  }

  termAt(i: number): number {
    this.checkIndex(i);
    return this.terms[i]!;
  }

  segAt(i: number): Seg | null {
    this.checkIndex(i);
    return this.segs[i] ?? null;
  }

  posAt(i: number): number {
    this.checkIndex(i);
    return this.positions[i]!;
  }

  bytesAt(i: number): number {
    this.checkIndex(i);
    return this.sizesBytes[i]!;
  }

  payloadAt(i: number): Uint8Array | null {
    this.checkIndex(i);
    return this.payloads[i] ?? null;
  }

  /** Records where record `i` was written. */
  setPlace(i: number, seg: Seg, pos: number): void {
    this.checkIndex(i);
    assert(pos >= 0, 'log index place before the segment start');
    this.segs[i] = seg;
    this.positions[i] = pos;
  }

  clearPayload(i: number): void {
    this.checkIndex(i);
    this.payloads[i] = null;
  }

  /** Index of the last record written in `seg`, or -1 if none is. */
  lastIndexIn(seg: Seg): number {
    return this.segs.lastIndexOf(seg);
  }

  invariants(): void {
    const n = this.terms.length;
    assert(this.segs.length === n, 'log index: segs length differs');
    assert(this.positions.length === n, 'log index: positions length differs');
    assert(this.sizesBytes.length === n, 'log index: sizes length differs');
    assert(this.payloads.length === n, 'log index: payloads length differs');
  }

  private checkIndex(i: number): void {
    assert(i >= 0 && i < this.terms.length, 'log index out of range');
  }
}
