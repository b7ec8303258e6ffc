// Reply encoder (server side) for RESP2 and RESP3, and the command encoder (client side).
//
// ReplyWriter appends replies into a slab; `take()` hands over all bytes written since the
// last take as a view of the slab (no copy), so a pipeline of replies becomes one socket write.
// Bytes once taken are never written again: the writer moves on past them and starts a fresh
// slab when the rest of this one is too small, leaving the old one to the views that hold it.
// RESP2 has no map/set/bool/double/verbatim/push/null: they are sent as redis 7 sends
// them to a RESP2 client (see net/reply.ts).

import type { Reply } from '../reply';
import { formatDouble } from './double';

const CRLF = 0x0d0a;
const writerBytesInitial = 16 * 1024;
/** After a take, a slab with less room than this left is replaced by a fresh one. */
const slabRoomBytesMin = 1024;
/** Deepest reply nesting we write: deeper is a bug in whoever built the reply. */
export const replyDepthMax = 1024;

/** Counts below this are written digit by digit (at most 4 digits). */
const smallDigitsEnd = 10_000;
/** Status and error lines up to this length are written by a loop. */
const shortLineCharsMax = 64;
/** Bulks up to this size are copied by a loop rather than Buffer.copy. */
const smallCopyBytesMax = 32;

const EMPTY = Buffer.alloc(0);
const int64Max = 9223372036854775807n;

export type Proto = 2 | 3;

export class ReplyWriter {
  private buf: Buffer = Buffer.allocUnsafe(writerBytesInitial);
  /** Where the bytes not yet taken begin. */
  private start = 0;
  private pos = 0;

  /** Bytes written since the last take. */
  pendingBytes(): number {
    return this.pos - this.start;
  }

  write(r: Reply, proto: Proto): void {
    this.writeReply(r, proto, 0);
  }

  /** All bytes written since the last take, in a buffer the caller owns. */
  take(): Buffer {
    if (this.pos === this.start) return EMPTY;
    const out = this.buf.subarray(this.start, this.pos);
    // A slab grown for a big reply is left to that reply: an idle connection must not keep it.
    if (this.buf.length <= writerBytesInitial && this.buf.length - this.pos >= slabRoomBytesMin) {
      this.start = this.pos;
    } else {
      this.buf = Buffer.allocUnsafe(writerBytesInitial);
      this.start = this.pos = 0;
    }
    return out;
  }

  private writeReply(r: Reply, proto: Proto, depth: number): void {
    if (depth > replyDepthMax) throw new Error(`reply nested deeper than ${replyDepthMax}`);
    switch (r.t) {
      case 'simple':
        return this.writeLine(0x2b /* + */, r.s);
      case 'error':
        return this.writeLine(0x2d /* - */, r.s);
      case 'int':
        return this.writeInt(r.n);
      case 'bulk':
        return this.writeBulk(r.b);
      case 'latin1':
        return this.writeBulkLatin1(r.s);
      case 'null':
        return proto === 3 ? this.writeAscii('_\r\n') : this.writeAscii('$-1\r\n');
      case 'nullArray':
        return proto === 3 ? this.writeAscii('_\r\n') : this.writeAscii('*-1\r\n');
      case 'array':
        return this.writeItems(0x2a /* * */, r.items, proto, depth);
      case 'set':
        return this.writeItems(proto === 3 ? 0x7e /* ~ */ : 0x2a, r.items, proto, depth);
      case 'push':
        return this.writeItems(proto === 3 ? 0x3e /* > */ : 0x2a, r.items, proto, depth);
      case 'map':
        return this.writeMap(r.entries, proto, depth);
      case 'pairs':
        return this.writePairs(r.entries, proto, depth);
      case 'double':
        return this.writeDouble(r.d, proto);
      case 'bool':
        if (proto === 3) return this.writeAscii(r.v ? '#t\r\n' : '#f\r\n');
        return this.writeAscii(r.v ? ':1\r\n' : ':0\r\n');
      case 'verbatim':
        return this.writeVerbatim(r.format, r.s, proto);
      default: {
        const never: never = r;
        throw new Error(`unknown reply ${JSON.stringify(never)}`);
      }
    }
  }

  private ensure(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.buf.length) return;
    // A fresh slab with what is not taken yet at its start (the taken part may still be
    // waiting in a socket: it is not touched).
    const pending = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(pending + bytes, writerBytesInitial, pending * 2));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = pending;
  }

  private writeAscii(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  /** `<type><text>\r\n`; CR and LF inside the text become spaces, as redis does for errors. */
  private writeLine(type: number, text: string): void {
    this.ensure(text.length * 3 + 3);
    this.buf[this.pos++] = type;
    if (!this.maybeWriteShortAscii(text)) {
      const s = text.indexOf('\r') < 0 && text.indexOf('\n') < 0 ? text : text.replace(/[\r\n]/g, ' ');
      this.pos += this.buf.write(s, this.pos, 'utf8');
    }
    this.writeCrlf();
  }

  /** Writes a short ASCII text without CR/LF byte by byte (room ensured); false if it is not one. */
  private maybeWriteShortAscii(text: string): boolean {
    if (text.length > shortLineCharsMax) return false;
    const buf = this.buf;
    const at = this.pos;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80 || c === 0x0d || c === 0x0a) return false;
      buf[at + i] = c;
    }
    this.pos = at + text.length;
    return true;
  }

  private writeCrlf(): void {
    this.buf.writeUInt16BE(CRLF, this.pos);
    this.pos += 2;
  }

  /** Non-negative integer below 2^53 as ASCII digits (room must be ensured). */
  private writeDigits(n: number): void {
    if (n >= smallDigitsEnd) {
      this.pos += this.buf.write(String(n), this.pos, 'latin1');
      return;
    }
    // Small counts (nearly all headers) without a string: digits right to left.
    const width = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
    let at = this.pos + width;
    this.pos = at;
    do {
      this.buf[--at] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  /** `<type><count>\r\n` header for bulks and aggregates. */
  private writeHeader(type: number, count: number): void {
    this.ensure(24);
    this.buf[this.pos++] = type;
    this.writeDigits(count);
    this.writeCrlf();
  }

  private writeInt(n: number | bigint): void {
    if (typeof n === 'number' && !Number.isInteger(n)) throw new Error(`int reply with non-integer ${n}`);
    if (typeof n === 'bigint' && (n > int64Max || n < -int64Max - 1n)) throw new Error(`int reply beyond 64 bits: ${n}`);
    this.writeAscii(`:${n}\r\n`);
  }

  private writeBulk(b: Buffer): void {
    this.writeHeader(0x24 /* $ */, b.length);
    this.ensure(b.length + 2);
    if (b.length <= smallCopyBytesMax) {
      // A native copy costs more than a short loop for the small values caches hold.
      const buf = this.buf;
      const at = this.pos;
      for (let i = 0; i < b.length; i++) buf[at + i] = b[i] as number;
    } else {
      b.copy(this.buf, this.pos);
    }
    this.pos += b.length;
    this.writeCrlf();
  }

  /** A bulk of the bytes `s` holds as latin1 char codes (the store's small string values). */
  private writeBulkLatin1(s: string): void {
    const n = s.length;
    this.writeHeader(0x24 /* $ */, n);
    this.ensure(n + 2);
    if (n <= smallCopyBytesMax) {
      const buf = this.buf;
      const at = this.pos;
      for (let i = 0; i < n; i++) buf[at + i] = s.charCodeAt(i);
    } else {
      this.buf.write(s, this.pos, n, 'latin1');
    }
    this.pos += n;
    this.writeCrlf();
  }

  private writeBulkText(text: string): void {
    const bytes = Buffer.byteLength(text);
    this.writeHeader(0x24, bytes);
    this.ensure(bytes + 2);
    this.pos += this.buf.write(text, this.pos, 'utf8');
    this.writeCrlf();
  }

  private writeItems(type: number, items: readonly Reply[], proto: Proto, depth: number): void {
    this.writeHeader(type, items.length);
    for (const item of items) this.writeReply(item, proto, depth + 1);
  }

  private writePairs(entries: readonly (readonly [Reply, Reply])[], proto: Proto, depth: number): void {
    this.writeHeader(0x2a, proto === 3 ? entries.length : entries.length * 2);
    // RESP3 nests each pair one level deeper.
    const inner = proto === 3 ? depth + 2 : depth + 1;
    for (const [a, b] of entries) {
      if (proto === 3) this.writeHeader(0x2a, 2);
      this.writeReply(a, proto, inner);
      this.writeReply(b, proto, inner);
    }
  }

  private writeMap(entries: readonly (readonly [Reply, Reply])[], proto: Proto, depth: number): void {
    if (proto === 3) this.writeHeader(0x25 /* % */, entries.length);
    else this.writeHeader(0x2a, entries.length * 2);
    for (const [key, value] of entries) {
      this.writeReply(key, proto, depth + 1);
      this.writeReply(value, proto, depth + 1);
    }
  }

  private writeDouble(d: number, proto: Proto): void {
    const text = formatDouble(d);
    if (proto === 3) this.writeAscii(`,${text}\r\n`);
    else this.writeBulkText(text);
  }

  private writeVerbatim(format: 'txt' | 'mkd', s: string, proto: Proto): void {
    if (proto === 2) return this.writeBulkText(s);
    const bytes = Buffer.byteLength(s) + 4;
    this.writeHeader(0x3d /* = */, bytes);
    this.ensure(bytes + 2);
    this.pos += this.buf.write(format, this.pos, 'latin1');
    this.buf[this.pos++] = 0x3a; // ':'
    this.pos += this.buf.write(s, this.pos, 'utf8');
    this.writeCrlf();
  }
}

/** One reply as bytes (tests, one-off replies). Servers should keep a ReplyWriter. */
export function encodeReply(r: Reply, proto: Proto): Buffer {
  const writer = new ReplyWriter();
  writer.write(r, proto);
  return writer.take();
}

/** A command as a RESP multibulk request; strings are sent as UTF-8. */
export function encodeCommand(argv: readonly (string | Buffer)[]): Buffer {
  const args = argv.map((a) => (typeof a === 'string' ? Buffer.from(a) : a));
  let bytes = 1 + String(args.length).length + 2;
  for (const a of args) bytes += 1 + String(a.length).length + 2 + a.length + 2;
  const out = Buffer.allocUnsafe(bytes);
  let pos = out.write(`*${args.length}\r\n`, 0, 'latin1');
  for (const a of args) {
    pos += out.write(`$${a.length}\r\n`, pos, 'latin1');
    pos += a.copy(out, pos);
    pos += out.write('\r\n', pos, 'latin1');
  }
  if (pos !== bytes) throw new Error(`encodeCommand wrote ${pos} of ${bytes} bytes`);
  return out;
}
