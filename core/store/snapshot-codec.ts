// Store.snapshot()'s bytes written directly: exactly what @msgpack/msgpack's default
// `encode({ version: 1, dbs, users })` writes for the shape Store.restore reads
//   dbs:   one array per database of [key as bin, deadline | nil, type as str, payload]
//   users: the user records (encoded by the library itself: few, small, and their field
//          order is whatever the record objects hold)
// without building that nested array: keys go from their latin1 strings straight into one
// growing buffer, values from their containers. test/store/snapshot-codec.test.ts checks the
// bytes against the library on random stores.
//
// The library's choices matched here (Encoder.ts, default options): integers that are safe
// integers take the smallest of fixint / uint8..32 / int8..32, beyond 32 bits uint64 / int64
// (high word then low word); any other number is float64 (forceFloat32 defaults to false);
// null is nil; Uint8Array is bin8/16/32 by length (< 2^8, < 2^16, else 32 bits); arrays are
// fixarray below 16, array16 below 2^16, else array32; strings are fixstr below 32 bytes.

import { encode } from '@msgpack/msgpack';
import { assert } from '../../net/types';
import { serializeJson } from './json';
import { writeArrayHeader, writeBinHeader, writeUint } from './msgpack-write';
import type { Entry, UserRecord } from './types';
import { isStr, valueType, type Value } from './values';

/** The buffer a snapshot starts in; it doubles while the snapshot grows. */
export const snapshotInitialBytes = 64 * 1024;
/** msgpack's 32-bit lengths (bin32, array32) cannot describe more than this. */
export const snapshotLengthMax = 0xffff_ffff;

/**
 * The bytes of `encode({ version: 1, dbs, users })` where each db is its entries in slot order
 * as `[latin1Bytes(key), deadline or null, ...encodeValue(v)]`. Returns a view of the filled
 * part of the buffer it wrote into.
 */
export function encodeStoreSnapshot(dbs: readonly (readonly Entry[])[], users: Iterable<UserRecord>): Uint8Array {
  const w = new SnapshotWriter();
  w.byte(0x83); // fixmap of 3
  w.fixStr('version');
  w.byte(0x01);
  w.fixStr('dbs');
  w.arrayHeader(dbs.length);
  for (const db of dbs) {
    w.arrayHeader(db.length);
    for (const e of db) writeEntry(w, e);
  }
  w.fixStr('users');
  w.bytes(encode([...users]));
  return w.filled();
}

function writeEntry(w: SnapshotWriter, e: Entry): void {
  w.byte(0x94); // fixarray of 4
  w.binLatin1(e.key);
  if (e.expireAtMs === Infinity) w.byte(0xc0);
  else w.number(e.expireAtMs);
  w.fixStr(valueType(e.v));
  writePayload(w, e.v);
}

/** encodeValue(v)[1], as the library would encode it. */
function writePayload(w: SnapshotWriter, v: Value): void {
  if (isStr(v)) return typeof v === 'string' ? w.binLatin1(v) : w.bin(v);
  switch (v.type) {
    case 'hash':
      w.arrayHeader(2 * v.m.size);
      for (const [f, x] of v.m) {
        w.binLatin1(f);
        w.bin(x);
      }
      return;
    case 'list':
      w.arrayHeader(v.a.length);
      for (let i = 0; i < v.a.length; i++) w.bin(v.a.at(i)!);
      return;
    case 'set':
      w.arrayHeader(v.s.size);
      for (const m of v.s) w.binLatin1(m);
      return;
    case 'zset':
      w.arrayHeader(v.scores.size);
      for (const [m, score] of v.scores) {
        w.byte(0x92); // fixarray of 2
        w.binLatin1(m);
        w.number(score);
      }
      return;
    case 'json':
      return w.binUtf8(serializeJson(v.doc));
    default:
      return unreachableValue(v);
  }
}

/** Appends msgpack items to one Buffer that doubles when it is full. */
class SnapshotWriter {
  private buf: Buffer = Buffer.allocUnsafe(snapshotInitialBytes);
  private pos = 0;

  /** The bytes written so far (a view: every byte in it was written). */
  filled(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** An ASCII string shorter than 32 bytes (map keys, type names). */
  fixStr(s: string): void {
    assert(s.length < 32, `fixstr of ${s.length}`);
    this.reserve(1 + s.length);
    this.buf[this.pos] = 0xa0 | s.length;
    this.pos += 1 + this.buf.write(s, this.pos + 1, 'latin1');
  }

  arrayHeader(n: number): void {
    this.checkLength(n);
    this.reserve(5);
    this.pos = writeArrayHeader(this.buf, this.pos, n);
  }

  bin(b: Uint8Array): void {
    this.binHeader(b.length);
    this.bytes(b);
  }

  /** A string holding latin1 bytes (keys, fields, members), as bin. */
  binLatin1(s: string): void {
    this.binHeader(s.length);
    this.reserve(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  binUtf8(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.binHeader(n);
    this.reserve(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A number exactly as the library's encodeNumber writes it (default options). */
  number(x: number): void {
    if (!Number.isSafeInteger(x)) return this.float64(x);
    if (x >= 0) this.uint(x);
    else this.negativeInt(x);
  }

  private binHeader(n: number): void {
    this.checkLength(n);
    this.reserve(5);
    this.pos = writeBinHeader(this.buf, this.pos, n);
  }

  private uint(x: number): void {
    if (x > snapshotLengthMax) return this.word64(0xcf, x); // uint64
    this.reserve(5);
    this.pos = writeUint(this.buf, this.pos, x);
  }

  private negativeInt(x: number): void {
    this.reserve(9);
    const b = this.buf;
    if (x >= -0x20) {
      b[this.pos++] = 0xe0 | (x + 0x20); // negative fixint
    } else if (x >= -0x80) {
      b[this.pos] = 0xd0; // int8
      this.pos = b.writeInt8(x, this.pos + 1);
    } else if (x >= -0x8000) {
      b[this.pos] = 0xd1; // int16
      this.pos = b.writeInt16BE(x, this.pos + 1);
    } else if (x >= -0x8000_0000) {
      b[this.pos] = 0xd2; // int32
      this.pos = b.writeInt32BE(x, this.pos + 1);
    } else {
      this.word64(0xd3, x); // int64
    }
  }

  /** Tag, then a safe integer as two big-endian 32-bit words (the library's setUint64/setInt64). */
  private word64(tag: number, x: number): void {
    this.reserve(9);
    this.buf[this.pos] = tag;
    this.buf.writeUInt32BE(Math.floor(x / 0x1_0000_0000) >>> 0, this.pos + 1);
    this.pos = this.buf.writeUInt32BE(x >>> 0, this.pos + 5);
  }

  private float64(x: number): void {
    this.reserve(9);
    this.buf[this.pos] = 0xcb;
    this.pos = this.buf.writeDoubleBE(x, this.pos + 1);
  }

  /** A length msgpack's 32-bit forms can hold (bin32, array32). */
  private checkLength(n: number): void {
    if (!(n <= snapshotLengthMax)) assert(false, `length ${n} above snapshotLengthMax`);
  }

  private reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(this.pos + n);
  }

  private grow(needBytes: number): void {
    let size = this.buf.length * 2;
    while (size < needBytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

function unreachableValue(x: never): never {
  throw new Error(`unreachable value type ${String(x)}`);
}
