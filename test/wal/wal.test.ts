import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, crc32cUpdate } from '../../core/wal/crc32c';
import { decodeRecordAt, encodeRecord, recordHeaderBytes, recordPayloadBytesMax, type WalRecord } from '../../core/wal/record';
import {
  decodeSegmentHeader,
  encodeSegmentHeader,
  parseSegmentName,
  scanSegment,
  segmentHeaderBytes,
  segmentName,
} from '../../core/wal/segment';

describe('crc32c', () => {
  it('matches the standard check value and the RFC 3720 B.4 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('equals the bit-at-a-time definition on any bytes (the sliced tables agree with the polynomial)', () => {
    const bitwise = (data: Uint8Array): number => {
      let c = 0xffffffff;
      for (const byte of data) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        expect(crc32c(data)).toBe(bitwise(data));
      }),
      { numRuns: 300 },
    );
  });

  it('computed in pieces equals computed whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (data, cut) => {
        const k = data.length === 0 ? 0 : cut % (data.length + 1);
        expect(crc32cUpdate(crc32c(data, 0, k), data, k, data.length)).toBe(crc32c(data));
      }),
      { numRuns: 200 },
    );
  });
});

const recordArb = fc.record({
  offset: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  term: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  payload: fc.uint8Array({ maxLength: 64 }),
});

function enc(r: WalRecord): Uint8Array {
  const e = encodeRecord(r);
  if (!e.ok) throw new Error('encode failed');
  return e.bytes;
}

/** A segment holding `count` records from `first`, with small payloads. */
function segmentOf(first: number, payloads: Uint8Array[]): Uint8Array {
  const parts = [encodeSegmentHeader(first), ...payloads.map((p, i) => enc({ offset: first + i, term: 3, payload: p }))];
  return Buffer.concat(parts);
}

describe('records', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const bytes = enc(r);
        expect(bytes.length).toBe(recordHeaderBytes + r.payload.length);
        const d = decodeRecordAt(bytes, 0);
        expect(d).toEqual({ ok: true, record: { offset: r.offset, term: r.term, payload: Uint8Array.from(r.payload) }, next: bytes.length });
      }),
      { numRuns: 200 },
    );
  });

  it('a flipped bit anywhere is never decoded as valid', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (r, at, bit) => {
        const bytes = enc(r);
        const pos = at % bytes.length;
        bytes[pos] = bytes[pos]! ^ (1 << bit);
        expect(decodeRecordAt(bytes, 0).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('cut at any byte is short, never a record', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), (r, at) => {
        const bytes = enc(r);
        const cut = at % bytes.length;
        expect(decodeRecordAt(bytes.subarray(0, cut), 0)).toEqual({ ok: false, reason: 'short' });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a payload above recordPayloadBytesMax with a typed error', () => {
    const r = encodeRecord({ offset: 1, term: 1, payload: new Uint8Array(recordPayloadBytesMax + 1) });
    expect(r).toEqual({ ok: false, error: 'recordTooLarge', payloadBytes: recordPayloadBytesMax + 1 });
    expect(encodeRecord({ offset: 1, term: 1, payload: new Uint8Array(recordPayloadBytesMax) }).ok).toBe(true);
  });
});

const payloadsArb = fc.array(fc.uint8Array({ maxLength: 24 }), { minLength: 1, maxLength: 8 });

describe('segments', () => {
  it('names encode the first offset, zero-padded, and parse back', () => {
    expect(segmentName(1)).toBe('wal-00000000000000000001.seg');
    fc.assert(fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => {
      expect(parseSegmentName(segmentName(n))).toBe(n);
    }));
    expect(parseSegmentName('wal-1.seg')).toBe(null);
    expect(parseSegmentName('snap-00000000000000000001.snap')).toBe(null);
  });

  it('headers round-trip and any flipped bit is detected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.nat(segmentHeaderBytes * 8 - 1), (first, bit) => {
        const h = encodeSegmentHeader(first);
        expect(decodeSegmentHeader(h)).toEqual({ ok: true, firstOffset: first });
        h[bit >> 3] = h[bit >> 3]! ^ (1 << (bit & 7));
        expect(decodeSegmentHeader(h).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('a whole segment scans clean with dense offsets and positions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), payloadsArb, (first, payloads) => {
        const buf = segmentOf(first, payloads);
        const r = scanSegment(buf, first, false);
        if (!r.ok) throw new Error(r.reason);
        expect(r.scan.tail).toEqual({ kind: 'clean' });
        expect(r.scan.validBytes).toBe(buf.length);
        expect(r.scan.records.map((x) => x.offset)).toEqual(payloads.map((_, i) => first + i));
        expect(r.scan.records.map((x) => Buffer.from(x.payload))).toEqual(payloads.map((p) => Buffer.from(p)));
      }),
      { numRuns: 100 },
    );
  });

  it('cut at any byte: the last segment ends torn at a record boundary; a non-last one is corrupt', () => {
    fc.assert(
      fc.property(payloadsArb, fc.nat(), (payloads, at) => {
        const buf = segmentOf(7, payloads);
        const cut = segmentHeaderBytes + (at % (buf.length - segmentHeaderBytes));
        const part = buf.subarray(0, cut);
        const whole = scanSegment(buf, 7, true);
        if (!whole.ok) throw new Error('whole segment must scan');
        const boundaries = whole.scan.records.map((x) => x.pos);
        const last = scanSegment(part, 7, true);
        if (!last.ok) throw new Error('header intact');
        const kept = last.scan.records.length;
        expect(last.scan.records.map((x) => x.offset)).toEqual(payloads.slice(0, kept).map((_, i) => 7 + i));
        if (boundaries.includes(cut)) {
          expect(last.scan.tail).toEqual({ kind: 'clean' });
        } else {
          expect(last.scan.tail).toEqual({ kind: 'torn', pos: boundaries[kept] });
          const notLast = scanSegment(part, 7, false);
          expect(notLast.ok && notLast.scan.tail.kind).toBe('corrupt');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a flipped bit in any record but the last is mid-log corruption, and nothing from it on is returned', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 24 }), { minLength: 2, maxLength: 8 }), fc.nat(), fc.nat(7), (payloads, at, bit) => {
        const buf = segmentOf(1, payloads);
        const whole = scanSegment(buf, 1, true);
        if (!whole.ok) throw new Error('whole segment must scan');
        const recs = whole.scan.records;
        const victim = recs[at % (recs.length - 1)]!;
        const pos = victim.pos + ((at >> 3) % victim.bytes);
        buf[pos] = buf[pos]! ^ (1 << bit);
        const r = scanSegment(buf, 1, true);
        if (!r.ok) throw new Error('header intact');
        expect(r.scan.records.length).toBe(victim.offset - 1);
        expect(r.scan.tail.kind).toBe('corrupt');
        if (r.scan.tail.kind === 'corrupt') expect(r.scan.tail.laterOffset).toBe(payloads.length);
      }),
      { numRuns: 300 },
    );
  });

  it('a header-only prefix of the last segment is a torn header; elsewhere it is corruption', () => {
    const h = encodeSegmentHeader(5);
    for (let cut = 0; cut < segmentHeaderBytes; cut++) {
      const r = scanSegment(h.subarray(0, cut), 5, true);
      expect(r).toMatchObject({ ok: false, headerTorn: true });
      expect(scanSegment(h.subarray(0, cut), 5, false)).toMatchObject({ ok: false, headerTorn: false });
    }
    expect(scanSegment(h, 6, true)).toMatchObject({ ok: false, headerTorn: false });
  });

  it('a rotted header over intact records: the records are still found, by the name offset', () => {
    const buf = segmentOf(9, [Buffer.from('a'), Buffer.from('b')]);
    buf[3] = buf[3]! ^ 0x10;
    const r = scanSegment(buf, 9, false);
    if (!r.ok) throw new Error(r.reason);
    expect(r.scan.headerBad).toBe(true);
    expect(r.scan.tail).toEqual({ kind: 'clean' });
    expect(r.scan.records.map((x) => x.offset)).toEqual([9, 10]);
  });

  it('a bad record below the snapshot is skipped by resynchronizing, not reported', () => {
    const payloads = [1, 2, 3, 4, 5].map((i) => Buffer.from(`p${i}`));
    const buf = segmentOf(1, payloads);
    buf[24 + 26 + 1] = buf[24 + 26 + 1]! ^ 1; // record 2's crc field
    const r = scanSegment(buf, 1, true, 3);
    if (!r.ok) throw new Error(r.reason);
    expect(r.scan.coveredBad).toBe(1);
    expect(r.scan.tail).toEqual({ kind: 'clean' });
    expect(r.scan.records.map((x) => x.offset)).toEqual([1, 3, 4, 5]);
    const strict = scanSegment(buf, 1, true, 0);
    expect(strict.ok && strict.scan.tail.kind).toBe('corrupt');
  });
});
