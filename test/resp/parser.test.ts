import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../net/resp/encoder';
import { defaultRespLimits } from '../../net/resp/limits';
import { ProtocolErrors, RespRequestParser } from '../../net/resp/parser';
import { argvStrings, cut, joinPipeline, parseChunks, pipelineArb } from './gen';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('RespRequestParser: valid pipelines', () => {
  it('parses multibulk, inline, quoting, empty bulks and binary bulks', () => {
    const input = b(
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n' +
        'PING\r\n' +
        '\r\n' +
        '  get  "a\\x41\\x4g\\q\\n\\r\\t\\b\\a\\\\\\"" \'b\\\'c\\n\'\n' +
        '*0\r\n' +
        '*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\r\n\r\n' +
        'a\x0bb "" \'\'\r\n',
    );
    expect(parseChunks([input])).toEqual([
      ['SET', 'k', ''],
      ['PING'],
      ['get', 'aAx4gq\n\r\t\b\x07\\"', "b'c\\n"],
      ['ECHO', '\r\n\r\n'],
      ['a\x0bb', '', ''],
    ]);
  });

  it('gives the same commands for every split point of a fixed pipeline', () => {
    const input = Buffer.concat([
      encodeCommand(['SET', 'key:000001', Buffer.from([0, 13, 10, 255, 42, 36])]),
      b('GET "key:\\x30" \'x y\'\r\n\n'),
      encodeCommand(['DEL', '', 'z'.repeat(40)]),
      b('*0\r\nPING\n'),
    ]);
    const whole = parseChunks([input]);
    expect(whole).toEqual([
      ['SET', 'key:000001', '\x00\r\n\xff*$'],
      ['GET', 'key:0', 'x y'],
      ['DEL', '', 'z'.repeat(40)],
      ['PING'],
    ]);
    for (let i = 0; i <= input.length; i++) {
      expect(parseChunks([input.subarray(0, i), input.subarray(i)]), `split at ${i}`).toEqual(whole);
    }
    expect(parseChunks([...input].map((byte) => Buffer.from([byte]))), 'byte by byte').toEqual(whole);
  });

  it('gives the same commands for random pipelines cut at random points', () => {
    fc.assert(
      fc.property(pipelineArb, fc.array(fc.nat(), { maxLength: 8 }), (requests, points) => {
        const { bytes, argvs } = joinPipeline(requests);
        expect(parseChunks([bytes])).toEqual(argvStrings(argvs));
        expect(parseChunks(cut(bytes, points))).toEqual(argvStrings(argvs));
      }),
      { numRuns: 300 },
    );
  });

  it('returns zero-copy views of the chunk, and keeps earlier arguments intact across feeds', () => {
    const parser = new RespRequestParser();
    parser.authenticated = true;
    const chunk = encodeCommand(['SET', 'a', 'b']);
    const [event] = parser.feed(chunk);
    expect(event?.type === 'command' && event.argv[1]?.buffer).toBe(chunk.buffer);
    // A request straddling many feeds: the first argument is held while later bytes arrive.
    const big = encodeCommand(['SET', 'k'.repeat(100), 'v'.repeat(100_000)]);
    const commands = cut(big, [7, 20, 130, 5000, 70_000]).flatMap((c) => parser.feed(c));
    expect(commands).toHaveLength(1);
    const argv = commands[0]?.type === 'command' ? commands[0].argv : [];
    expect(argv.map((a) => a.toString())).toEqual(['SET', 'k'.repeat(100), 'v'.repeat(100_000)]);
    expect(parser.bufferedBytes()).toBe(0);
  });

  it('command names come from a per-connection cache that stays right even if a consumer writes into one', () => {
    const parser = new RespRequestParser();
    parser.authenticated = true;
    const names = Array.from({ length: 20 }, (_, i) => `CMD${i % 11}`); // more distinct names than the cache holds
    const events = parser.feed(Buffer.concat(names.map((n) => encodeCommand([n, 'x']))));
    const argv0 = events.map((e) => (e.type === 'command' ? e.argv[0] : undefined));
    expect(argv0.map((a) => a?.toString())).toEqual(names);
    const twice = parser.feed(Buffer.concat([encodeCommand(['GET', 'a']), encodeCommand(['GET', 'b'])]));
    const [first, second] = twice.map((e) => (e.type === 'command' ? e.argv[0] : undefined));
    expect(first).toBe(second); // one shared Buffer: argv is read-only
    argv0[0]?.fill(0x5a); // a consumer breaking the read-only rule
    const again = parser.feed(encodeCommand(['CMD0', 'y']));
    expect(again[0]?.type === 'command' && again[0].argv[0]?.toString()).toBe('CMD0');
  });

  it('while unauthenticated returns one command per feed so AUTH can take effect', () => {
    const parser = new RespRequestParser();
    const big = encodeCommand(['SET', 'k', 'v'.repeat(20_000)]);
    const first = parser.feed(Buffer.concat([encodeCommand(['AUTH', 'secret']), big]));
    expect(first.map((e) => e.type === 'command' && e.argv[0]?.toString())).toEqual(['AUTH']);
    parser.authenticated = true;
    const second = parser.feed(Buffer.alloc(0));
    expect(second.map((e) => e.type === 'command' && e.argv.length)).toEqual([3]);
    expect(parser.feed(Buffer.alloc(0))).toEqual([]);
  });
});

/** Feed and return the single error, checking that it came last and killed the parser. */
function errorOf(input: Buffer | Buffer[], limits?: Partial<typeof defaultRespLimits>, authenticated = true): string | undefined {
  const outcome = parseChunks(Array.isArray(input) ? input : [input], limits, authenticated);
  const errors = outcome.filter((e) => !Array.isArray(e));
  expect(errors.length).toBeLessThanOrEqual(1);
  if (errors.length === 1) expect(Array.isArray(outcome[outcome.length - 1])).toBe(false);
  const last = errors[0];
  return last === undefined || Array.isArray(last) ? undefined : last.error;
}

describe('RespRequestParser: limits and protocol errors (texts checked against redis-server 7.0.15)', () => {
  it('bulk length: at the limit parses, over it is "invalid bulk length"', () => {
    const limits = { bulkBytesMax: 10 };
    expect(errorOf(encodeCommand(['x'.repeat(10)]), limits)).toBeUndefined();
    expect(errorOf(b('*1\r\n$11\r\n'), limits)).toBe(ProtocolErrors.invalidBulkLength);
    expect(errorOf(b(`*1\r\n$${512 * 1024 * 1024 + 1}\r\n`))).toBe(ProtocolErrors.invalidBulkLength);
    for (const bad of ['$-1', '$01', '$-0', '$+1', '$ 1', '$1x', '$', '$99999999999999999999']) {
      expect(errorOf(b(`*1\r\n${bad}\r\n`)), bad).toBe('ERR Protocol error: invalid bulk length');
    }
  });

  it('multibulk count: at the limit parses, over it is "invalid multibulk length"', () => {
    const limits = { multibulkCountMax: 3 };
    expect(errorOf(encodeCommand(['a', 'b', 'c']), limits)).toBeUndefined();
    expect(errorOf(b('*4\r\n'), limits)).toBe('ERR Protocol error: invalid multibulk length');
    expect(errorOf(b(`*${1024 * 1024 + 1}\r\n`))).toBe(ProtocolErrors.invalidMultibulkLength);
    for (const bad of ['*abc', '*01', '*-0', '*', '*1 ', '*3000000000']) {
      expect(errorOf(b(`${bad}\r\n`)), bad).toBe(ProtocolErrors.invalidMultibulkLength);
    }
  });

  it('inline length: a line of inlineBytesMax parses, one byte more is "too big inline request"', () => {
    // The bytes before the \n count, a \r included: redis counts buffered bytes while it
    // waits for the \n, so that is the only rule that does not depend on the split.
    const limits = { inlineBytesMax: 20 };
    expect(parseChunks([b(`ECHO ${'x'.repeat(14)}\r\n`)], limits)).toEqual([['ECHO', 'x'.repeat(14)]]);
    expect(parseChunks([b(`ECHO ${'x'.repeat(15)}\n`)], limits)).toEqual([['ECHO', 'x'.repeat(15)]]);
    expect(errorOf(b(`ECHO ${'x'.repeat(15)}\r\n`), limits)).toBe(ProtocolErrors.tooBigInline);
    expect(errorOf(b('x'.repeat(21)), limits)).toBe('ERR Protocol error: too big inline request');
    expect(errorOf(b('x'.repeat(20)), limits)).toBeUndefined(); // still waiting for its newline
    // Decided the same way whether or not the newline has arrived (redis decides by arrival).
    expect(errorOf(b(`${'x'.repeat(21)}\n`), limits)).toBe(ProtocolErrors.tooBigInline);
    expect(errorOf(b('x'.repeat(70_000)))).toBe(ProtocolErrors.tooBigInline);
  });

  it('header lines longer than inlineBytesMax: "too big mbulk count string" / "too big bulk count string"', () => {
    expect(errorOf(b(`*${'1'.repeat(70_000)}`))).toBe('ERR Protocol error: too big mbulk count string');
    expect(errorOf(b(`*1\r\n$${'1'.repeat(70_000)}`))).toBe('ERR Protocol error: too big bulk count string');
    const limits = { inlineBytesMax: 8 };
    expect(errorOf(b('*1234567'), limits)).toBeUndefined(); // 8 bytes buffered: still waiting
    expect(errorOf(b('*12345678'), limits)).toBe(ProtocolErrors.tooBigMultibulkCount);
  });

  it('a bulk header not starting with $ is "expected \'$\', got \'X\'" as redis formats it', () => {
    expect(errorOf(b('*1\r\nX\r\n'))).toBe("ERR Protocol error: expected '$', got 'X'");
    expect(errorOf(b('*1\r\n\r\n\r\n'))).toBe("ERR Protocol error: expected '$', got ' '");
    expect(errorOf(b('*2\r\n$1\r\na\r\n:1\r\n'))).toBe("ERR Protocol error: expected '$', got ':'");
  });

  it('a NUL before a line terminator keeps the line incomplete, as strchr does in redis', () => {
    expect(errorOf(b('*1\r\n\x00\r\n'))).toBeUndefined();
    expect(errorOf(b('PING\x00\r\n'))).toBeUndefined();
    expect(errorOf(b(`PING\x00\r\n${'x'.repeat(70_000)}`))).toBe(ProtocolErrors.tooBigInline);
    expect(errorOf(b(`*1\r\n\x00\r\n${'x'.repeat(70_000)}`))).toBe(ProtocolErrors.tooBigBulkCount);
  });

  it('inline quoting edge cases answer as redis-server 7.0.15 did', () => {
    const cases: [string, string[]][] = [
      ['ECHO a"b c"', ['ECHO', 'ab c']],
      ['ECHO "\\x4g\\x41\\q"', ['ECHO', 'x4gAq']],
      ['ECHO "\\x"', ['ECHO', 'x']],
      ['ECHO "\\xZZ"', ['ECHO', 'xZZ']],
      ["ECHO '\\n'", ['ECHO', '\\n']],
      ['ECHO \x0bx', ['ECHO', 'x']],
      ['ECHO \x0c', ['ECHO']],
      ['ECHO a\tb', ['ECHO', 'a', 'b']],
    ];
    for (const [line, argv] of cases) expect(parseChunks([b(`${line}\r\n`)]), line).toEqual([argv]);
    expect(errorOf(b('ECHO x"\\""y\r\n'))).toBe(ProtocolErrors.unbalancedQuotes);
  });

  it('unbalanced quotes, and a closing quote glued to the next token', () => {
    for (const line of ['set a "b', "set a 'b", 'set a "b"c', "get 'a'b", 'x "\\"']) {
      expect(errorOf(b(`${line}\r\n`)), line).toBe('ERR Protocol error: unbalanced quotes in request');
    }
    expect(parseChunks([b("get 'a\\'b'\r\n")])).toEqual([['get', "a'b"]]);
  });

  it('unauthenticated: 10 arguments and 16384-byte bulks parse, 11 and 16385 do not', () => {
    expect(errorOf(encodeCommand(Array.from({ length: 10 }, () => 'a')), undefined, false)).toBeUndefined();
    expect(errorOf(b('*11\r\n'), undefined, false)).toBe('ERR Protocol error: unauthenticated multibulk length');
    expect(errorOf(encodeCommand(['SET', 'k', 'v'.repeat(16384)]), undefined, false)).toBeUndefined();
    expect(errorOf(b('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16385\r\n'), undefined, false)).toBe(
      'ERR Protocol error: unauthenticated bulk length',
    );
    // The same requests are fine once authenticated.
    expect(errorOf(b('*11\r\n$16385\r\n'), undefined, true)).toBeUndefined();
  });

  it('query buffer: one request over queryBufferBytesMax fails however it is split', () => {
    const limits = { queryBufferBytesMax: 100 };
    const small = encodeCommand(['SET', 'k', 'v'.repeat(60)]);
    const big = encodeCommand(['SET', 'k', 'v'.repeat(120)]);
    expect(errorOf([small, small, small], limits)).toBeUndefined();
    expect(errorOf(big, limits)).toBe(ProtocolErrors.queryBufferLimit);
    for (let i = 0; i <= big.length; i += 7) {
      expect(errorOf(cut(big, [i]), limits)).toBe(ProtocolErrors.queryBufferLimit);
    }
  });

  it('commands before an error are returned, and the parser is dead afterwards', () => {
    const parser = new RespRequestParser();
    parser.authenticated = true;
    const events = parser.feed(b('PING\r\n*1\r\n$x\r\nPING\r\n'));
    expect(events).toEqual([
      { type: 'command', argv: [b('PING')] },
      { type: 'error', message: ProtocolErrors.invalidBulkLength },
    ]);
    expect(parser.isDead()).toBe(true);
    expect(parser.feed(b('PING\r\n'))).toEqual([]);
    expect(parser.bufferedBytes()).toBe(0);
  });

  it('like redis, skips the two bytes after a bulk and the byte after a header \\r unchecked', () => {
    expect(parseChunks([b('*1\r\n$4\r\nPINGXY*1\rX$4\r\nPING\r\n')])).toEqual([['PING'], ['PING']]);
  });
});

describe('RespRequestParser: hostile input', () => {
  it('huge claimed lengths allocate nothing beyond the bytes that arrived', () => {
    const limits = { multibulkCountMax: 2 ** 31, bulkBytesMax: 2 ** 31, queryBufferBytesMax: 2 ** 32 };
    const parser = new RespRequestParser(limits);
    parser.authenticated = true;
    const before = process.memoryUsage().arrayBuffers;
    expect(parser.feed(b('*2000000000\r\n$2000000000\r\n'))).toEqual([]);
    expect(parser.feed(Buffer.alloc(1000, 0x61))).toEqual([]);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(parser.bufferedBytes()).toBeLessThan(1100);
    expect(grown).toBeLessThan(10 * 1024 * 1024);
    // With default limits the same headers are refused at once.
    expect(errorOf(b('*2000000000\r\n'))).toBe(ProtocolErrors.invalidMultibulkLength);
    expect(errorOf(b('*1\r\n$2000000000\r\n'))).toBe(ProtocolErrors.invalidBulkLength);
  });

  const smallLimits = {
    bulkBytesMax: 40,
    multibulkCountMax: 6,
    inlineBytesMax: 24,
    unauthenticatedMultibulkCountMax: 3,
    unauthenticatedBulkBytesMax: 8,
    queryBufferBytesMax: 120,
  };

  /** Never throws; commands then at most one error; the same outcome however it is cut. */
  function checkHostile(bytes: Buffer, points: number[], authenticated: boolean): void {
    for (const limits of [undefined, smallLimits]) {
      const whole = parseChunks([bytes], limits, authenticated);
      const errors = whole.filter((e) => !Array.isArray(e));
      expect(errors.length).toBeLessThanOrEqual(1);
      if (errors.length === 1) expect(Array.isArray(whole[whole.length - 1])).toBe(false);
      for (const e of errors) expect((e as { error: string }).error).toMatch(/^ERR Protocol error: /);
      expect(parseChunks(cut(bytes, points), limits, authenticated)).toEqual(whole);
    }
  }

  it('random bytes never throw, and parse the same whole or cut', () => {
    const protocolish = fc.constantFrom(...'*$\r\n0123456789-"\' \\x\tab'.split('').map((c) => c.charCodeAt(0)));
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.array(protocolish, { maxLength: 200 }).map((a) => Uint8Array.from(a))),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        (bytes, points, authenticated) => checkHostile(Buffer.from(bytes), points, authenticated),
      ),
      { numRuns: 1000 },
    );
  });

  it('mutated valid pipelines never throw, and parse the same whole or cut', () => {
    const mutation = fc.record({ at: fc.nat(), kind: fc.constantFrom('set', 'insert', 'delete'), byte: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(pipelineArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (requests, mutations, points, authenticated) => {
        const bytes = [...joinPipeline(requests).bytes];
        for (const m of mutations) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === 'set' && at < bytes.length) bytes[at] = m.byte;
          if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
          if (m.kind === 'delete') bytes.splice(at, 1);
        }
        checkHostile(Buffer.from(bytes), points, authenticated);
      }),
      { numRuns: 1000 },
    );
  });
});
