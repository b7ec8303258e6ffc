import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../net/reply';
import { RespReplyParser, type ReplyParseFailure } from '../../net/resp/reply-parser';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function parseAll(chunks: Buffer[], limits?: ConstructorParameters<typeof RespReplyParser>[0]): { replies: Reply[]; failure: ReplyParseFailure | null } {
  const parser = new RespReplyParser(limits);
  const replies = chunks.flatMap((c) => parser.feed(c));
  return { replies, failure: parser.failure };
}

describe('RespReplyParser', () => {
  const mixed = b(
    '+OK\r\n-ERR bad\r\n:-5\r\n$3\r\na\r\n\r\n$-1\r\n*-1\r\n*2\r\n$0\r\n\r\n*1\r\n:1\r\n' +
      '_\r\n,1.5\r\n,-inf\r\n#f\r\n%1\r\n+k\r\n~1\r\n:2\r\n=7\r\nmkd:# x\r\n>1\r\n+inv\r\n' +
      '(12345678901234567890123\r\n!9\r\nERR blob!\r\n|1\r\n+ttl\r\n:9\r\n+after-attribute\r\n',
  );
  const expected: Reply[] = [
    { t: 'simple', s: 'OK' },
    { t: 'error', s: 'ERR bad' },
    { t: 'int', n: -5 },
    { t: 'bulk', b: b('a\r\n') },
    { t: 'null' },
    { t: 'nullArray' },
    { t: 'array', items: [{ t: 'bulk', b: b('') }, { t: 'array', items: [{ t: 'int', n: 1 }] }] },
    { t: 'null' },
    { t: 'double', d: 1.5 },
    { t: 'double', d: -Infinity },
    { t: 'bool', v: false },
    { t: 'map', entries: [[{ t: 'simple', s: 'k' }, { t: 'set', items: [{ t: 'int', n: 2 }] }]] },
    { t: 'verbatim', format: 'mkd', s: '# x' },
    { t: 'push', items: [{ t: 'simple', s: 'inv' }] },
    { t: 'int', n: 12345678901234567890123n },
    { t: 'error', s: 'ERR blob!' },
    { t: 'simple', s: 'after-attribute' },
  ];

  it('decodes every RESP2 and RESP3 type (big numbers, blob errors; attributes dropped)', () => {
    expect(parseAll([mixed])).toEqual({ replies: expected, failure: null });
  });

  it('gives the same replies for every split point', () => {
    for (let i = 0; i <= mixed.length; i++) {
      expect(parseAll([mixed.subarray(0, i), mixed.subarray(i)]), `split at ${i}`).toEqual({ replies: expected, failure: null });
    }
  });

  it('reports each limit as a typed failure', () => {
    expect(parseAll([b('$11\r\n')], { bulkBytesMax: 10 }).failure).toEqual({ kind: 'limit', limit: 'bulkBytesMax', value: 11 });
    expect(parseAll([b('*5\r\n')], { aggregateCountMax: 4 }).failure).toEqual({ kind: 'limit', limit: 'aggregateCountMax', value: 5 });
    expect(parseAll([b('*1\r\n*1\r\n*1\r\n')], { depthMax: 2 }).failure).toEqual({ kind: 'limit', limit: 'depthMax', value: 3 });
    expect(parseAll([b('*1\r\n*1\r\n:1\r\n')], { depthMax: 2 })).toEqual({
      replies: [{ t: 'array', items: [{ t: 'array', items: [{ t: 'int', n: 1 }] }] }],
      failure: null,
    });
    expect(parseAll([b(`+${'x'.repeat(11)}`)], { lineBytesMax: 10 }).failure).toEqual({ kind: 'limit', limit: 'lineBytesMax', value: 11 });
    expect(parseAll([b(`+${'x'.repeat(10)}\r\n`)], { lineBytesMax: 10 }).failure).toBeNull();
  });

  it('a huge claimed bulk or aggregate allocates nothing up front', () => {
    const parser = new RespReplyParser({ bulkBytesMax: 2 ** 31, aggregateCountMax: 2 ** 31 });
    const before = process.memoryUsage().arrayBuffers;
    expect(parser.feed(b('$2000000000\r\nabc'))).toEqual([]);
    expect(parser.bufferedBytes()).toBeLessThan(100);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(10 * 1024 * 1024);
    expect(parseAll([b('$2000000000\r\n')]).failure).toEqual({ kind: 'limit', limit: 'bulkBytesMax', value: 2000000000 });
  });

  it('reports malformed input and unknown types, then stays dead', () => {
    const cases: [string, ReplyParseFailure['kind']][] = [
      ['?x\r\n', 'unknownType'],
      [':1x\r\n', 'malformed'],
      [':01\r\n', 'malformed'],
      ['$2\r\nabc\r\n', 'malformed'],
      ['$-2\r\n', 'malformed'],
      ['*-2\r\n', 'malformed'],
      [',1.5x\r\n', 'malformed'],
      ['#x\r\n', 'malformed'],
      ['_x\r\n', 'malformed'],
      ['=5\r\nbin:x\r\n', 'malformed'],
      ['+OK\rX', 'malformed'],
    ];
    for (const [input, kind] of cases) expect(parseAll([b(input)]).failure?.kind, input).toBe(kind);
    const parser = new RespReplyParser();
    expect(parser.feed(b('+a\r\n?\r\n+b\r\n'))).toEqual([{ t: 'simple', s: 'a' }]);
    expect(parser.feed(b('+c\r\n'))).toEqual([]);
    expect(parser.failure).toEqual({ kind: 'unknownType', byte: 0x3f });
  });

  it('never throws on random bytes, and gives the same outcome however they are cut', () => {
    const protocolish = fc.constantFrom(...'+-:$*_,#%~=>(!|\r\n0123456789-tfx'.split('').map((c) => c.charCodeAt(0)));
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.array(protocolish, { maxLength: 200 }).map((a) => Uint8Array.from(a))),
        fc.array(fc.nat(), { maxLength: 6 }),
        (bytes, points) => {
          const input = Buffer.from(bytes);
          const limits = { bulkBytesMax: 50, aggregateCountMax: 5, depthMax: 4, lineBytesMax: 30 };
          const whole = parseAll([input], limits);
          const sorted = [...new Set(points.map((p) => p % (input.length + 1)))].sort((x, y) => x - y);
          const chunks = [...sorted, input.length].map((p, i, all) => input.subarray(i === 0 ? 0 : (all[i - 1] as number), p));
          const cutResult = parseAll(chunks, limits);
          expect(JSON.stringify(cutResult, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(
            JSON.stringify(whole, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
