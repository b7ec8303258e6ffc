// The bytes a parser has received but not yet consumed: [start, end) of `buf`.
//
// Invariant that makes zero-copy safe: bytes below `end` are never written again. Parsed
// arguments are subarrays of `buf` (or of a caller's chunk); growing or compacting
// allocates a fresh buffer and copies the unconsumed tail into it, so every subarray
// handed out earlier keeps its bytes. When everything is consumed the buffer is dropped
// and the next chunk is parsed in place, without any copy.

import { inputBufferBytesMin } from './limits';

const EMPTY = Buffer.alloc(0);

export class InputBuffer {
  /** @param capacityBytesMax growth stops doubling here (it still fits what arrived). */
  constructor(private readonly capacityBytesMax = Number.MAX_SAFE_INTEGER) {}

  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** True when `buf` is ours (spare room after `end` may be written); false for a caller's chunk. */
  private owned = false;

  available(): number {
    return this.end - this.start;
  }

  /** Append a chunk. The chunk is parsed in place when nothing is pending. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.start === this.end) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    if (this.owned && this.end + chunk.length <= this.buf.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    this.moveTo(chunk);
  }

  /**
   * After parsing: drop a fully consumed buffer, and copy a leftover tail out of the
   * caller's chunk (so that we may append after it). The copy is sized by the bytes
   * actually here, never by a length a header claims.
   */
  settle(): void {
    if (this.start === this.end) {
      this.buf = EMPTY;
      this.start = 0;
      this.end = 0;
      this.owned = false;
      return;
    }
    if (this.owned) return;
    this.moveTo(EMPTY);
  }

  private moveTo(chunk: Buffer): void {
    const pendingBytes = this.available();
    const usedBytes = pendingBytes + chunk.length;
    // Double what is actually here (amortised O(1) per byte for a long bulk).
    const capacityBytes = Math.max(inputBufferBytesMin, usedBytes, Math.min(usedBytes * 2, this.capacityBytesMax));
    const next = Buffer.allocUnsafe(capacityBytes);
    this.buf.copy(next, 0, this.start, this.end);
    chunk.copy(next, pendingBytes);
    this.buf = next;
    this.start = 0;
    this.end = usedBytes;
    this.owned = true;
  }
}
