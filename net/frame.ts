// Peer frames: the wire format between nodes (Core <-> Core, Core <-> Keeper, ...).
//
//   [u32 BE payloadBytes][u8 typeTag][msgpack payload]
//
// `payloadBytes` counts the tag byte and the msgpack body. A frame larger than the codec's
// `frameBytesMax` is refused before any of it is buffered; a body that is not valid msgpack,
// not a map, whose `type` disagrees with the tag, or that fails the type's validator is a
// `FrameError`, returned as a value: decoding never throws.

import { decode, encode } from '@msgpack/msgpack';

export const frameHeaderBytes = 5;
/** Default hard limit on one frame (header excluded). */
export const frameBytesMaxDefault = 16 * 1024 * 1024;
/** Frames decoded per `push` before yielding back to the caller (one chunk can't monopolise). */
export const framesPerPushMax = 10_000;

export type FrameErrorKind = 'oversized' | 'unknownTag' | 'malformed' | 'typeMismatch' | 'invalid';

export interface FrameError {
  readonly kind: FrameErrorKind;
  readonly message: string;
}

export type EncodeResult = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly error: FrameError };

export interface FrameCodecSpec<M extends { readonly type: string }> {
  /** One distinct tag (1..255) per message type; `satisfies` keeps it exhaustive. */
  readonly tags: { readonly [K in M['type']]: number };
  /** Optional shape check per decoded message (returns an error text, or null when valid). */
  readonly validate?: (msg: { readonly type: string } & Record<string, unknown>) => string | null;
  readonly frameBytesMax?: number;
}

export class FrameCodec<M extends { readonly type: string }> {
  readonly frameBytesMax: number;
  private readonly tagOf: Map<string, number>;
  private readonly typeOf: Map<number, string>;

  constructor(private readonly spec: FrameCodecSpec<M>) {
    this.frameBytesMax = spec.frameBytesMax ?? frameBytesMaxDefault;
    this.tagOf = new Map();
    this.typeOf = new Map();
    for (const [type, tag] of Object.entries(spec.tags) as [string, number][]) {
      if (!Number.isInteger(tag) || tag < 1 || tag > 255) throw new Error(`frame tag for ${type} must be 1..255`);
      if (this.typeOf.has(tag)) throw new Error(`frame tag ${tag} used twice`);
      this.tagOf.set(type, tag);
      this.typeOf.set(tag, type);
    }
  }

  encode(msg: M): EncodeResult {
    const tag = this.tagOf.get(msg.type);
    if (tag === undefined) return { ok: false, error: { kind: 'unknownTag', message: `no tag for message type ${msg.type}` } };
    const body = encode(msg);
    const payloadBytes = body.length + 1;
    if (payloadBytes > this.frameBytesMax) {
      return { ok: false, error: { kind: 'oversized', message: `frame of ${payloadBytes} bytes exceeds frameBytesMax ${this.frameBytesMax}` } };
    }
    const out = new Uint8Array(frameHeaderBytes + body.length);
    new DataView(out.buffer).setUint32(0, payloadBytes);
    out[4] = tag;
    out.set(body, frameHeaderBytes);
    return { ok: true, bytes: out };
  }

  /** Decode one complete frame body (tag + msgpack) — used by the stream decoder and tests. */
  decodeBody(tag: number, body: Uint8Array): { ok: true; msg: M } | { ok: false; error: FrameError } {
    const type = this.typeOf.get(tag);
    if (type === undefined) return { ok: false, error: { kind: 'unknownTag', message: `unknown frame tag ${tag}` } };
    let value: unknown;
    try {
      value = decode(body);
    } catch (e) {
      return { ok: false, error: { kind: 'malformed', message: `bad msgpack body: ${(e as Error).message}` } };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      return { ok: false, error: { kind: 'malformed', message: 'frame body is not a map' } };
    }
    const obj = value as { type?: unknown } & Record<string, unknown>;
    if (obj.type !== type) {
      return { ok: false, error: { kind: 'typeMismatch', message: `tag ${tag} is ${type} but body says ${String(obj.type)}` } };
    }
    const invalid = this.spec.validate?.(obj as { type: string } & Record<string, unknown>) ?? null;
    if (invalid !== null) return { ok: false, error: { kind: 'invalid', message: `${type}: ${invalid}` } };
    return { ok: true, msg: obj as unknown as M };
  }

  decoder(): FrameDecoder<M> {
    return new FrameDecoder(this);
  }
}

export type DecodeEvent<M> = { readonly ok: true; readonly msg: M } | { readonly ok: false; readonly error: FrameError };

/**
 * Incremental stream decoder: feed it chunks as they arrive (split anywhere); it returns the
 * complete frames. After the first error the stream is dead (the peer is misbehaving or the
 * stream lost sync): the caller closes the connection.
 */
export class FrameDecoder<M extends { readonly type: string }> {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private dead: FrameError | null = null;

  constructor(private readonly codec: FrameCodec<M>) {}

  push(chunk: Uint8Array): DecodeEvent<M>[] {
    if (this.dead) return [{ ok: false, error: this.dead }];
    this.append(chunk);
    const out: DecodeEvent<M>[] = [];
    while (out.length < framesPerPushMax) {
      const avail = this.end - this.start;
      if (avail < frameHeaderBytes) break;
      const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.start, frameHeaderBytes);
      const payloadBytes = view.getUint32(0);
      if (payloadBytes < 1) return this.fail(out, { kind: 'malformed', message: 'frame with empty payload' });
      if (payloadBytes > this.codec.frameBytesMax) {
        return this.fail(out, { kind: 'oversized', message: `frame of ${payloadBytes} bytes exceeds frameBytesMax ${this.codec.frameBytesMax}` });
      }
      if (avail < 4 + payloadBytes) break;
      const tag = this.buf[this.start + 4]!;
      // A copy: msgpack returns `bin` fields as views into its input, and this buffer is reused.
      const body = this.buf.slice(this.start + frameHeaderBytes, this.start + 4 + payloadBytes);
      this.start += 4 + payloadBytes;
      const r = this.codec.decodeBody(tag, body);
      if (!r.ok) return this.fail(out, r.error);
      out.push(r);
    }
    return out;
  }

  bufferedBytes(): number {
    return this.end - this.start;
  }

  private fail(out: DecodeEvent<M>[], error: FrameError): DecodeEvent<M>[] {
    this.dead = error;
    this.buf = new Uint8Array(0);
    this.start = this.end = 0;
    out.push({ ok: false, error });
    return out;
  }

  private append(chunk: Uint8Array): void {
    if (this.start === this.end) {
      this.start = this.end = 0;
    }
    const need = this.end + chunk.length;
    if (need > this.buf.length) {
      const live = this.end - this.start;
      // Never grow past one frame plus one chunk: the header check above refuses bigger frames.
      const cap = Math.max(live + chunk.length, Math.min(this.buf.length * 2, this.codec.frameBytesMax + frameHeaderBytes + chunk.length), 4096);
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.end = live;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
