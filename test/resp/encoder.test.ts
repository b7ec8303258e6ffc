import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bulk, bulkStr, double, Errors, NULL, NULL_ARRAY, OK, type Reply } from '../../net/reply';
import { formatDouble } from '../../net/resp/double';
import { encodeCommand, encodeReply, ReplyWriter } from '../../net/resp/encoder';
import { RespReplyParser } from '../../net/resp/reply-parser';
import { RespRequestParser } from '../../net/resp/parser';

const wire = (r: Reply, proto: 2 | 3): string => encodeReply(r, proto).toString('latin1');

describe('encodeReply golden bytes', () => {
  const golden: [string, Reply, string, string][] = [
    ['ok', OK, '+OK\r\n', '+OK\r\n'],
    ['error', { t: 'error', s: Errors.wrongType }, `-${Errors.wrongType}\r\n`, `-${Errors.wrongType}\r\n`],
    ['error with newlines', { t: 'error', s: 'ERR a\r\nb\nc' }, '-ERR a  b c\r\n', '-ERR a  b c\r\n'],
    ['int', { t: 'int', n: -42 }, ':-42\r\n', ':-42\r\n'],
    ['int64 min', { t: 'int', n: -9223372036854775808n }, ':-9223372036854775808\r\n', ':-9223372036854775808\r\n'],
    ['bulk', bulk(Buffer.from([0x61, 0x0d, 0x0a, 0x00])), '$4\r\na\r\n\x00\r\n', '$4\r\na\r\n\x00\r\n'],
    ['latin1 bulk', { t: 'latin1', s: 'a\r\n\xff' }, '$4\r\na\r\n\xff\r\n', '$4\r\na\r\n\xff\r\n'],
    ['empty bulk', bulkStr(''), '$0\r\n\r\n', '$0\r\n\r\n'],
    ['null', NULL, '$-1\r\n', '_\r\n'],
    ['null array', NULL_ARRAY, '*-1\r\n', '_\r\n'],
    ['array', { t: 'array', items: [OK, { t: 'int', n: 1 }, NULL] }, '*3\r\n+OK\r\n:1\r\n$-1\r\n', '*3\r\n+OK\r\n:1\r\n_\r\n'],
    ['empty array', { t: 'array', items: [] }, '*0\r\n', '*0\r\n'],
    ['map', { t: 'map', entries: [[bulkStr('f'), { t: 'int', n: 2 }]] }, '*2\r\n$1\r\nf\r\n:2\r\n', '%1\r\n$1\r\nf\r\n:2\r\n'],
    ['set', { t: 'set', items: [bulkStr('a')] }, '*1\r\n$1\r\na\r\n', '~1\r\n$1\r\na\r\n'],
    ['bool true', { t: 'bool', v: true }, ':1\r\n', '#t\r\n'],
    ['bool false', { t: 'bool', v: false }, ':0\r\n', '#f\r\n'],
    ['verbatim', { t: 'verbatim', format: 'txt', s: 'héllo' }, '$6\r\nh\xc3\xa9llo\r\n', '=10\r\ntxt:h\xc3\xa9llo\r\n'],
    ['push', { t: 'push', items: [bulkStr('message')] }, '*1\r\n$7\r\nmessage\r\n', '>1\r\n$7\r\nmessage\r\n'],
    ['double 1.5', double(1.5), '$3\r\n1.5\r\n', ',1.5\r\n'],
    ['double 3', double(3), '$1\r\n3\r\n', ',3\r\n'],
    ['double inf', double(Infinity), '$3\r\ninf\r\n', ',inf\r\n'],
    ['double -inf', double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
    ['double nan', double(NaN), '$3\r\nnan\r\n', ',nan\r\n'],
    ['double 0.1', double(0.1), '$3\r\n0.1\r\n', ',0.1\r\n'],
    ['double 1e20', double(1e20), '$5\r\n1e+20\r\n', ',1e+20\r\n'],
  ];
  for (const [name, reply, resp2, resp3] of golden) {
    it(name, () => {
      expect(wire(reply, 2)).toBe(resp2);
      expect(wire(reply, 3)).toBe(resp3);
    });
  }
});

describe('formatDouble (redis 7.2 d2string + fpconv_dtoa layout)', () => {
  const cases: [number, string][] = [
    [1.5, '1.5'],
    [3, '3'],
    [-3, '-3'],
    [0, '0'],
    [-0, '-0'],
    [0.1, '0.1'],
    [1 / 3, '0.3333333333333333'],
    [123456.789, '123456.789'],
    [0.000001, '0.000001'],
    [1e-7, '1e-7'],
    [-1.5e-7, '-1.5e-7'],
    [1e17, '100000000000000000'],
    [2 ** 62, '4611686018427387904'], // integral up to LLONG_MAX/2: printed exactly
    [2 ** 62 + 2 ** 11, '4611686018427390000'], // beyond it: shortest digits, padded
    [1e19, '1e+19'],
    [1e21, '1e+21'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
  ];
  it.each(cases)('%s -> %s', (d, text) => expect(formatDouble(d)).toBe(text));

  it('round-trips every finite double', () => {
    fc.assert(
      fc.property(fc.double(), (d) => {
        const back = Number(formatDouble(d).replace('inf', 'Infinity').replace('nan', 'NaN'));
        expect(Object.is(back, d)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

/** A Reply as plain data for toEqual: buffers as hex, doubles exact (NaN, -0). */
function canonical(r: Reply): unknown {
  switch (r.t) {
    case 'bulk':
      return { t: 'bulk', hex: r.b.toString('hex') };
    case 'latin1':
      // The same bytes as a bulk: the parser reads both back as `bulk`.
      return { t: 'bulk', hex: Buffer.from(r.s, 'latin1').toString('hex') };
    case 'double':
      return { t: 'double', d: Number.isNaN(r.d) ? 'NaN' : Object.is(r.d, -0) ? '-0' : String(r.d) };
    case 'int':
      return { t: 'int', n: String(r.n) };
    case 'array':
    case 'set':
    case 'push':
      return { t: r.t, items: r.items.map(canonical) };
    case 'map':
      return { t: 'map', entries: r.entries.map(([k, v]) => [canonical(k), canonical(v)]) };
    case 'pairs':
      return { t: 'pairs', entries: r.entries.map(([k, v]) => [canonical(k), canonical(v)]) };
    case 'simple':
    case 'error':
    case 'null':
    case 'nullArray':
    case 'bool':
    case 'verbatim':
      return r;
    default: {
      const never: never = r;
      return never;
    }
  }
}

const noNewlines = (s: string): string => s.replace(/[\r\n]/g, ' ');

/** What a RESP3 client must read back: CR/LF in lines become spaces, both nulls are `_`. */
function expected3(r: Reply): Reply {
  switch (r.t) {
    case 'simple':
    case 'error':
      return { t: r.t, s: noNewlines(r.s) };
    case 'nullArray':
      return { t: 'null' };
    case 'array':
    case 'set':
    case 'push':
      return { t: r.t, items: r.items.map(expected3) };
    case 'map':
      return { t: 'map', entries: r.entries.map(([k, v]) => [expected3(k), expected3(v)] as const) };
    case 'pairs':
      return { t: 'array', items: r.entries.map(([a, b]): Reply => ({ t: 'array', items: [expected3(a), expected3(b)] })) };
    default:
      return r;
  }
}

/** What a RESP2 client must read back: redis's downgrades of every RESP3-only type. */
function expected2(r: Reply): Reply {
  switch (r.t) {
    case 'simple':
    case 'error':
      return { t: r.t, s: noNewlines(r.s) };
    case 'array':
    case 'set':
    case 'push':
      return { t: 'array', items: r.items.map(expected2) };
    case 'map':
    case 'pairs':
      return { t: 'array', items: r.entries.flatMap(([k, v]) => [expected2(k), expected2(v)]) };
    case 'bool':
      return { t: 'int', n: r.v ? 1 : 0 };
    case 'double':
      return { t: 'bulk', b: Buffer.from(formatDouble(r.d)) };
    case 'verbatim':
      return { t: 'bulk', b: Buffer.from(r.s) };
    default:
      return r;
  }
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const lineText = fc.oneof(text, fc.constantFrom('a\r\nb', '\n', 'x\ry'));
const { reply: replyArb } = fc.letrec<{ reply: Reply; leaf: Reply; aggregate: Reply }>((tie) => ({
  reply: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('aggregate')),
  leaf: fc.oneof(
    lineText.map((s): Reply => ({ t: 'simple', s })),
    lineText.map((s): Reply => ({ t: 'error', s: `ERR ${s}` })),
    fc.integer().map((n): Reply => ({ t: 'int', n })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n): Reply => ({ t: 'int', n: Number.isSafeInteger(Number(n)) ? Number(n) : n })),
    fc.uint8Array({ maxLength: 20 }).map((a): Reply => ({ t: 'bulk', b: Buffer.from(a) })),
    // Both sides of the loop/native copy threshold, every byte value.
    fc.uint8Array({ maxLength: 80 }).map((a): Reply => ({ t: 'latin1', s: Buffer.from(a).toString('latin1') })),
    fc.constant<Reply>(NULL),
    fc.constant<Reply>(NULL_ARRAY),
    fc.double().map((d): Reply => ({ t: 'double', d })),
    fc.boolean().map((v): Reply => ({ t: 'bool', v })),
    fc.tuple(fc.constantFrom('txt' as const, 'mkd' as const), text).map(([format, s]): Reply => ({ t: 'verbatim', format, s })),
  ),
  aggregate: fc.oneof(
    fc.array(tie('reply'), { maxLength: 4 }).map((items): Reply => ({ t: 'array', items })),
    fc.array(tie('reply'), { maxLength: 4 }).map((items): Reply => ({ t: 'set', items })),
    fc.array(tie('reply'), { maxLength: 4 }).map((items): Reply => ({ t: 'push', items })),
    fc.array(fc.tuple(tie('reply'), tie('reply')), { maxLength: 3 }).map((entries): Reply => ({ t: 'map', entries })),
    fc.array(fc.tuple(tie('reply'), tie('reply')), { maxLength: 3 }).map((entries): Reply => ({ t: 'pairs', entries })),
  ),
}));

describe('encodeReply -> RespReplyParser round trip', () => {
  it('RESP3 reads back every reply (nulls merge, CR/LF in lines become spaces)', () => {
    fc.assert(
      fc.property(replyArb, (r) => {
        const parser = new RespReplyParser();
        const back = parser.feed(encodeReply(r, 3));
        expect(parser.failure).toBeNull();
        expect(back.map(canonical)).toEqual([canonical(expected3(r))]);
      }),
      { numRuns: 500 },
    );
  });

  it('RESP2 reads back redis downgrades: map and pairs -> flat array, set/push -> array, bool -> int, double/verbatim -> bulk', () => {
    fc.assert(
      fc.property(replyArb, (r) => {
        const parser = new RespReplyParser();
        const back = parser.feed(encodeReply(r, 2));
        expect(parser.failure).toBeNull();
        expect(back.map(canonical)).toEqual([canonical(expected2(r))]);
      }),
      { numRuns: 500 },
    );
  });

  it('a stream of replies reads back the same cut at any points', () => {
    fc.assert(
      fc.property(fc.array(replyArb, { minLength: 1, maxLength: 6 }), fc.constantFrom(2 as const, 3 as const), fc.array(fc.nat(), { maxLength: 8 }), (replies, proto, points) => {
        const writer = new ReplyWriter();
        for (const r of replies) writer.write(r, proto);
        const bytes = writer.take();
        const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
        const parser = new RespReplyParser();
        const back: Reply[] = [];
        let from = 0;
        for (const p of [...sorted, bytes.length]) {
          back.push(...parser.feed(bytes.subarray(from, p)));
          from = p;
        }
        expect(parser.failure).toBeNull();
        const model = proto === 3 ? expected3 : expected2;
        expect(back.map(canonical)).toEqual(replies.map((r) => canonical(model(r))));
      }),
      { numRuns: 300 },
    );
  });
});

describe('ReplyWriter', () => {
  it('turns a pipeline of 16 GET replies into one buffer equal to the replies one by one', () => {
    const writer = new ReplyWriter();
    const replies: Reply[] = Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? NULL : bulkStr(`value-${i}`)));
    for (const r of replies) writer.write(r, 2);
    expect(writer.pendingBytes()).toBeGreaterThan(0);
    const one = writer.take();
    expect(one).toEqual(Buffer.concat(replies.map((r) => encodeReply(r, 2))));
    expect(writer.take().length).toBe(0);
    writer.write(OK, 3);
    expect(writer.take().toString()).toBe('+OK\r\n');
  });

  it('taken buffers stay intact while the writer is reused, small and large', () => {
    const writer = new ReplyWriter();
    writer.write(bulkStr('first'), 2);
    const small = writer.take();
    const bigValue = Buffer.alloc(200_000, 0x62);
    writer.write(bulk(bigValue), 2);
    const big = writer.take();
    for (let i = 0; i < 100; i++) writer.write(bulk(Buffer.alloc(5000, 0x7a)), 3);
    writer.take();
    expect(small.toString()).toBe('$5\r\nfirst\r\n');
    expect(big).toEqual(Buffer.concat([Buffer.from('$200000\r\n'), bigValue, Buffer.from('\r\n')]));
  });

  it('every taken view keeps its bytes through any later writes, takes and slab changes', () => {
    // take() hands out views of the slab, not copies: nothing may be written over them later.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 3000 }), fc.nat({ max: 3 })), { minLength: 1, maxLength: 60 }), (steps) => {
        const writer = new ReplyWriter();
        const taken: { view: Buffer; want: Buffer }[] = [];
        let owed: Buffer[] = [];
        steps.forEach(([bytes, repliesBeforeTake], i) => {
          const r = bulk(Buffer.alloc(bytes, 0x21 + (i % 90)));
          writer.write(r, 2);
          owed.push(encodeReply(r, 2));
          if (repliesBeforeTake === 0 || i === steps.length - 1) {
            taken.push({ view: writer.take(), want: Buffer.concat(owed) });
            owed = [];
          }
        });
        for (const t of taken) expect(t.view.equals(t.want)).toBe(true);
        expect(writer.pendingBytes()).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('does not keep a slab grown for one big reply once it is taken (an idle connection holds 16 KiB, not the reply)', () => {
    const writer = new ReplyWriter();
    const slab = () => (writer as unknown as { buf: Buffer }).buf.length;
    writer.write(bulk(Buffer.alloc(1_000_000, 0x61)), 2);
    expect(slab()).toBeGreaterThan(1_000_000);
    expect(writer.take().length).toBe(1_000_000 + '$1000000\r\n\r\n'.length);
    expect(slab()).toBeLessThanOrEqual(16 * 1024);
    writer.write(OK, 2);
    expect(writer.take().toString()).toBe('+OK\r\n');
  });

  it('writes bulk headers of every digit count and lines of every path exactly', () => {
    for (const bytes of [0, 1, 9, 10, 31, 32, 33, 99, 100, 999, 1000, 9999, 10_000, 65_536, 100_001]) {
      const value = Buffer.alloc(bytes, 0x41 + (bytes % 26));
      expect(encodeReply(bulk(value), 2)).toEqual(Buffer.concat([Buffer.from(`$${bytes}\r\n`), value, Buffer.from('\r\n')]));
      expect(encodeReply({ t: 'array', items: Array.from({ length: bytes % 1200 }, () => OK) }, 3).subarray(0, 8).toString()).toMatch(
        new RegExp(`^\\*${bytes % 1200}\r\n`),
      );
    }
    const long = `ERR ${'x'.repeat(70)}\r\n${'é'.repeat(70)}`;
    expect(wire({ t: 'error', s: long }, 2)).toBe(`-${Buffer.from(long.replace(/[\r\n]/g, ' ')).toString('latin1')}\r\n`);
    expect(wire({ t: 'simple', s: 'é' }, 3)).toBe('+\xc3\xa9\r\n');
    expect(wire({ t: 'simple', s: '' }, 3)).toBe('+\r\n');
  });

  it('refuses (as a bug) a non-integer int and an int beyond 64 bits', () => {
    expect(() => encodeReply({ t: 'int', n: 1.5 }, 2)).toThrow(/non-integer/);
    expect(() => encodeReply({ t: 'int', n: 2n ** 63n }, 2)).toThrow(/64 bits/);
  });
});

describe('encodeCommand', () => {
  it('writes a multibulk request the request parser reads back', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.uint8Array({ maxLength: 10 }).map((a) => Buffer.from(a))), { minLength: 1, maxLength: 8 }), (argv) => {
        const parser = new RespRequestParser();
        parser.authenticated = true;
        const events = parser.feed(encodeCommand(argv));
        expect(events).toEqual([{ type: 'command', argv: argv.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)) }]);
      }),
      { numRuns: 200 },
    );
    expect(encodeCommand(['SET', 'k', Buffer.from('v')]).toString()).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
  });
});
