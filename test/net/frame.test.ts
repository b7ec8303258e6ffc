import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameCodec, frameHeaderBytes } from '../../net/frame';

type Msg =
  | { type: 'append'; term: number; entries: { offset: number; payload: Uint8Array }[] }
  | { type: 'ack'; term: number; durableOffset: number }
  | { type: 'note'; text: string };

const codec = new FrameCodec<Msg>({
  tags: { append: 1, ack: 2, note: 3 } satisfies Record<Msg['type'], number>,
  frameBytesMax: 64 * 1024,
  validate: (m) => {
    if (m.type === 'ack' && typeof m.durableOffset !== 'number') return 'durableOffset must be a number';
    return null;
  },
});

const msgArb: fc.Arbitrary<Msg> = fc.oneof(
  fc.record({
    type: fc.constant('append' as const),
    term: fc.nat(),
    entries: fc.array(fc.record({ offset: fc.nat(), payload: fc.uint8Array({ maxLength: 64 }) }), { maxLength: 5 }),
  }),
  fc.record({ type: fc.constant('ack' as const), term: fc.nat(), durableOffset: fc.nat() }),
  fc.record({ type: fc.constant('note' as const), text: fc.string({ maxLength: 40 }) }),
);

function encodeAll(msgs: Msg[]): Uint8Array {
  const parts = msgs.map((m) => {
    const r = codec.encode(m);
    if (!r.ok) throw new Error(r.error.message);
    return r.bytes;
  });
  return Buffer.concat(parts);
}

describe('frame codec', () => {
  it('round-trips any sequence of messages split at any points', () => {
    fc.assert(
      fc.property(fc.array(msgArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (msgs, cuts) => {
        const bytes = encodeAll(msgs);
        const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
        const dec = codec.decoder();
        const out: Msg[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          for (const e of dec.push(bytes.subarray(prev, p))) {
            expect(e.ok).toBe(true);
            if (e.ok) out.push(e.msg);
          }
          prev = p;
        }
        expect(out).toEqual(msgs);
        expect(dec.bufferedBytes()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects garbage with a typed error and never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        const dec = codec.decoder();
        const events = dec.push(junk);
        for (const e of events) if (!e.ok) expect(['oversized', 'unknownTag', 'malformed', 'typeMismatch', 'invalid']).toContain(e.error.kind);
        // After an error the stream is dead: every later push repeats the error.
        if (events.some((e) => !e.ok)) expect(dec.push(new Uint8Array([1, 2, 3]))[0]!.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an oversized frame from its header alone, before buffering it', () => {
    const dec = codec.decoder();
    const header = new Uint8Array(frameHeaderBytes);
    new DataView(header.buffer).setUint32(0, 2 ** 31);
    header[4] = 1;
    const [e] = dec.push(header);
    expect(e && !e.ok && e.error.kind).toBe('oversized');
    expect(dec.bufferedBytes()).toBe(0);
  });

  it('refuses to encode a message larger than the limit', () => {
    const r = codec.encode({ type: 'note', text: 'x'.repeat(70 * 1024) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('oversized');
  });

  it('distinguishes unknown tags, type mismatches, non-map bodies and failed validation', () => {
    const frame = (tag: number, body: Uint8Array) => {
      const out = new Uint8Array(frameHeaderBytes + body.length);
      new DataView(out.buffer).setUint32(0, body.length + 1);
      out[4] = tag;
      out.set(body, frameHeaderBytes);
      return out;
    };
    const good = codec.encode({ type: 'ack', term: 1, durableOffset: 2 });
    if (!good.ok) throw new Error('encode');
    const body = good.bytes.subarray(frameHeaderBytes);
    const kind = (bytes: Uint8Array) => {
      const [e] = codec.decoder().push(bytes);
      return e && !e.ok ? e.error.kind : 'ok';
    };
    expect(kind(frame(2, body))).toBe('ok');
    expect(kind(frame(9, body))).toBe('unknownTag');
    expect(kind(frame(1, body))).toBe('typeMismatch');
    expect(kind(frame(2, new Uint8Array([0x92, 1, 2])))).toBe('malformed'); // an array, not a map
    expect(kind(frame(2, new Uint8Array([0xc1])))).toBe('malformed'); // never-used msgpack byte
    const bad = codec.encode({ type: 'ack', term: 1, durableOffset: 'x' as unknown as number });
    if (!bad.ok) throw new Error('encode');
    expect(kind(bad.bytes)).toBe('invalid');
  });

  it('refuses duplicate or out-of-range tags at construction', () => {
    expect(() => new FrameCodec<{ type: 'a' } | { type: 'b' }>({ tags: { a: 1, b: 1 } })).toThrow(/twice/);
    expect(() => new FrameCodec<{ type: 'a' }>({ tags: { a: 256 } })).toThrow(/1..255/);
  });
});

describe('peer frames carry both forms of bulk reply', () => {
  it('a c.reply whose reply is a latin1 bulk (every byte value, inside an array too) arrives as the same bytes', async () => {
    const { nodeFrameTags } = await import('../../core/node/protocol');
    const { encodeReply } = await import('../../net/resp/encoder');
    const nodeCodec = new FrameCodec<{ type: string } & Record<string, unknown>>({ tags: nodeFrameTags as Record<string, number> });
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
    const reply = { t: 'array', items: [{ t: 'latin1', s: all }, { t: 'latin1', s: '' }, { t: 'bulk', b: Buffer.from([0xff, 0x00]) }] };
    const msg = { type: 'c.reply', req: 7, reply, offset: 3 };
    const enc = nodeCodec.encode(msg);
    expect(enc.ok).toBe(true);
    if (!enc.ok) return;
    const dec = nodeCodec.decodeBody(enc.bytes[4]!, enc.bytes.subarray(frameHeaderBytes));
    expect(dec.ok).toBe(true);
    if (!dec.ok) return;
    const got = dec.msg.reply as Parameters<typeof encodeReply>[0];
    // The decoded bulk is a Uint8Array, not a Buffer: compare what goes on the wire.
    const fix = (r: any): any => (r.t === 'bulk' ? { t: 'bulk', b: Buffer.from(r.b) } : r.t === 'array' ? { t: 'array', items: r.items.map(fix) } : r);
    expect(encodeReply(fix(got), 2)).toEqual(encodeReply(reply as Parameters<typeof encodeReply>[0], 2));
  });
});
