// Incremental RESP2 request parser (server side), after redis's processInputBuffer,
// processMultibulkBuffer and processInlineBuffer (networking.c, redis 7).
//
// - A request starting with '*' is multibulk (`*N\r\n` then N times `$len\r\n<bytes>\r\n`),
//   anything else is one inline line split with sdssplitargs' quoting rules.
// - Input may be split at any byte; every split of the same bytes gives the same events.
// - Every length is checked against a named limit before we wait for its bytes, and no
//   buffer is ever sized by a length a header claims (see InputBuffer).
// - Arguments of multibulk requests are zero-copy views of the input: `feed` takes
//   ownership of the chunk, argv is read-only (argv[0] may be shared between requests,
//   see CommandNameCache), and whoever keeps an argument for long (the store keeping a
//   value) should copy it, or it pins the whole input chunk in memory.
//
// Deliberate differences from redis, both to make errors independent of how input is
// split: a header or inline line longer than inlineBytesMax is "too big" even when its
// terminator is already buffered (redis only says so while waiting for it), and the
// query buffer limit applies to one request's bytes rather than to a read's buffer.
// Like redis, the two bytes after a bulk are skipped without checking they are \r\n,
// and only the byte after a header's \r is skipped (not checked to be \n).

import { InputBuffer } from './input-buffer';
import { splitInlineArgs } from './inline';
import { parseInt64 } from './int';
import { defaultRespLimits, type RespLimits } from './limits';

export type ParseEvent =
  | { readonly type: 'command'; readonly argv: Buffer[] }
  /** The full error line as redis writes it, without the leading '-'. */
  | { readonly type: 'error'; readonly message: string };

/** The error lines redis-server 7 answers before it closes the connection. */
export const ProtocolErrors = {
  invalidMultibulkLength: 'ERR Protocol error: invalid multibulk length',
  invalidBulkLength: 'ERR Protocol error: invalid bulk length',
  tooBigInline: 'ERR Protocol error: too big inline request',
  tooBigMultibulkCount: 'ERR Protocol error: too big mbulk count string',
  tooBigBulkCount: 'ERR Protocol error: too big bulk count string',
  unbalancedQuotes: 'ERR Protocol error: unbalanced quotes in request',
  unauthenticatedMultibulkLength: 'ERR Protocol error: unauthenticated multibulk length',
  unauthenticatedBulkLength: 'ERR Protocol error: unauthenticated bulk length',
  /** Redis closes such a client without a reply; we still say why. */
  queryBufferLimit: 'ERR Protocol error: query buffer limit exceeded',
  expectedDollar: (byte: number): string => {
    // addReplyErrorFormat("... got '%c'"): a NUL byte ends the C string there, and CR/LF
    // are mapped to spaces before the line is sent.
    if (byte === 0) return "ERR Protocol error: expected '$', got '";
    const shown = byte === CR || byte === LF ? ' ' : String.fromCharCode(byte);
    return `ERR Protocol error: expected '$', got '${shown}'`;
  },
} as const;

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;
const D0 = 0x30;
const D9 = 0x39;
/** Longest first argument (command name) looked up in CommandNameCache. */
const commandNameBytesMax = 16;
/** Distinct command names remembered per connection. */
const commandNamesMax = 8;
/** Bulk length digits the fast path reads; longer headers take the exact slow path. */
const fastDigitsMax = 15;

/** Why parsing stopped: 'more' needs bytes, 'yield' lets an unauthenticated connection run AUTH. */
type Step = 'progress' | 'more' | 'yield' | 'failed';

const lineNeedMore = -1;
const lineTooBig = -2;

export class RespRequestParser {
  /**
   * The connection sets this after AUTH succeeds. While false, the unauthenticated limits
   * apply and `feed` returns at most one command per call, so AUTH runs before the next
   * request is parsed; call `feed(Buffer.alloc(0))` to go on with what is buffered.
   */
  authenticated = false;
  private readonly limits: RespLimits;
  private input: InputBuffer;
  private argv: Buffer[] = [];
  /** Multibulk arguments still to read; 0 between requests. */
  private argsRemaining = 0;
  /** Length of the bulk being read; -1 while its `$len` header is unread. */
  private bulkBytes = -1;
  /** Bytes of the request in progress consumed so far (headers and arguments). */
  private requestBytes = 0;
  private failure: string | null = null;
  private readonly names = new CommandNameCache();

  constructor(limits?: Partial<RespLimits>) {
    this.limits = { ...defaultRespLimits, ...limits };
    this.input = this.newInput();
  }

  /** Input never grows (by doubling) past what one request may occupy. */
  private newInput(): InputBuffer {
    return new InputBuffer(this.limits.queryBufferBytesMax);
  }

  /**
   * Feed bytes (the parser takes ownership of `chunk`). Returns the complete commands
   * parsed so far and at most one error, after which the parser is dead and returns [].
   */
  feed(chunk: Buffer): ParseEvent[] {
    if (this.failure !== null) return [];
    this.input.push(chunk);
    const events: ParseEvent[] = [];
    const step = this.parse(events);
    if (step === 'more' && this.bufferedBytes() > this.limits.queryBufferBytesMax) {
      this.fail(ProtocolErrors.queryBufferLimit);
    }
    if (this.failure !== null) {
      events.push({ type: 'error', message: this.failure });
      this.input = this.newInput();
      this.argv = [];
      this.argsRemaining = 0;
      this.requestBytes = 0;
      return events;
    }
    this.input.settle();
    return events;
  }

  /** Bytes held for requests not yet returned (including arguments of a partial request). */
  bufferedBytes(): number {
    return (this.argsRemaining > 0 ? this.requestBytes : 0) + this.input.available();
  }

  /** True once a protocol error was returned. */
  isDead(): boolean {
    return this.failure !== null;
  }

  private parse(events: ParseEvent[]): Step {
    for (;;) {
      let step: Step;
      if (this.argsRemaining > 0) {
        step = this.readArgs(events);
      } else if (this.input.available() === 0) {
        step = 'more';
      } else if (!this.authenticated && events.length > 0) {
        step = 'yield';
      } else if (this.input.buf[this.input.start] === STAR) {
        step = this.readMultibulkHeader();
      } else {
        step = this.readInline(events);
      }
      if (step !== 'progress') return step;
    }
  }

  private fail(message: string): 'failed' {
    this.failure = message;
    return 'failed';
  }

  /**
   * Index of the first `byte` from input.start within inlineBytesMax (+1) bytes, with
   * `after` more bytes buffered behind it; lineNeedMore or lineTooBig otherwise.
   * Redis looks for the terminator with strchr, which stops at a NUL byte: a line with a
   * NUL before its terminator is never complete, and ends as "too big" (checked against
   * redis-server 7.0.15).
   */
  private findLine(byte: number, after: number): number {
    const { buf, start, end } = this.input;
    const windowEnd = Math.min(end, start + this.limits.inlineBytesMax + 1);
    const at = buf.indexOf(byte, start);
    if (at >= 0 && at < windowEnd && !hasNul(buf, start, at)) return at + after < end ? at : lineNeedMore;
    return end - start > this.limits.inlineBytesMax ? lineTooBig : lineNeedMore;
  }

  private readMultibulkHeader(): Step {
    const input = this.input;
    const fastEnd = fastHeaderEnd(input.buf, input.start, input.end);
    const lineEnd = fastEnd > 0 ? fastEnd : this.findLine(CR, 1);
    if (lineEnd === lineNeedMore) return 'more';
    if (lineEnd === lineTooBig) return this.fail(ProtocolErrors.tooBigMultibulkCount);
    const count = parseInt64(input.buf, input.start + 1, lineEnd);
    if (count === null || count > this.limits.multibulkCountMax) {
      return this.fail(ProtocolErrors.invalidMultibulkLength);
    }
    if (!this.authenticated && count > this.limits.unauthenticatedMultibulkCountMax) {
      return this.fail(ProtocolErrors.unauthenticatedMultibulkLength);
    }
    const headerBytes = lineEnd + 2 - input.start;
    input.start = lineEnd + 2;
    // `*0` and `*-1` are empty requests: redis skips them without a reply.
    if (count <= 0) return 'progress';
    this.argsRemaining = count;
    this.bulkBytes = -1;
    this.requestBytes = headerBytes;
    this.argv = [];
    return 'progress';
  }

  /**
   * The hot loop: bulk headers and bulk bytes of one multibulk request. State lives in
   * locals and is written back on every exit; any header the fast path does not accept
   * (odd syntax, over a limit, incomplete) goes through readBulkHeaderSlow, which gives
   * redis's exact answer.
   */
  private readArgs(events: ParseEvent[]): Step {
    const input = this.input;
    const buf = input.buf;
    const end = input.end;
    const argv = this.argv;
    const fastBulkBytesMax = this.authenticated
      ? this.limits.bulkBytesMax
      : Math.min(this.limits.bulkBytesMax, this.limits.unauthenticatedBulkBytesMax);
    let pos = input.start;
    let remaining = this.argsRemaining;
    let bulkBytes = this.bulkBytes;
    let requestBytes = this.requestBytes;
    while (remaining > 0) {
      if (bulkBytes < 0) {
        const headerEnd = fastBulkHeaderEnd(buf, pos, end);
        const claimed = headerEnd > 0 ? parseDigits(buf, pos + 1, headerEnd) : -1;
        if (claimed >= 0 && claimed <= fastBulkBytesMax) {
          bulkBytes = claimed;
          requestBytes += headerEnd + 2 - pos;
          pos = headerEnd + 2;
        } else {
          input.start = pos;
          this.argsRemaining = remaining;
          this.bulkBytes = -1;
          this.requestBytes = requestBytes;
          const step = this.readBulkHeaderSlow();
          if (step !== 'progress') return step;
          pos = input.start;
          bulkBytes = this.bulkBytes;
          requestBytes = this.requestBytes;
        }
      }
      if (end - pos < bulkBytes + 2) break;
      argv.push(argv.length === 0 && bulkBytes <= commandNameBytesMax ? this.names.get(buf, pos, bulkBytes) : buf.subarray(pos, pos + bulkBytes));
      requestBytes += bulkBytes + 2;
      pos += bulkBytes + 2;
      bulkBytes = -1;
      remaining--;
    }
    input.start = pos;
    this.argsRemaining = remaining;
    this.bulkBytes = bulkBytes;
    this.requestBytes = requestBytes;
    if (remaining > 0) return 'more';
    if (requestBytes > this.limits.queryBufferBytesMax) return this.fail(ProtocolErrors.queryBufferLimit);
    events.push({ type: 'command', argv });
    this.argv = [];
    this.requestBytes = 0;
    return 'progress';
  }

  private checkBulkBytes(bulkBytes: number | null): Step {
    if (bulkBytes === null || bulkBytes < 0 || bulkBytes > this.limits.bulkBytesMax) {
      return this.fail(ProtocolErrors.invalidBulkLength);
    }
    if (!this.authenticated && bulkBytes > this.limits.unauthenticatedBulkBytesMax) {
      return this.fail(ProtocolErrors.unauthenticatedBulkLength);
    }
    this.bulkBytes = bulkBytes;
    return 'progress';
  }

  /** Any `$len` header the fast path declined: exact redis order of checks. */
  private readBulkHeaderSlow(): Step {
    const lineEnd = this.findLine(CR, 1);
    if (lineEnd === lineNeedMore) return 'more';
    if (lineEnd === lineTooBig) return this.fail(ProtocolErrors.tooBigBulkCount);
    const input = this.input;
    const first = input.buf[input.start] as number;
    if (first !== DOLLAR) return this.fail(ProtocolErrors.expectedDollar(first));
    const step = this.checkBulkBytes(parseInt64(input.buf, input.start + 1, lineEnd));
    if (step !== 'progress') return step;
    this.requestBytes += lineEnd + 2 - input.start;
    input.start = lineEnd + 2;
    return 'progress';
  }

  private readInline(events: ParseEvent[]): Step {
    const newline = this.findLine(LF, 0);
    if (newline === lineNeedMore) return 'more';
    if (newline === lineTooBig) return this.fail(ProtocolErrors.tooBigInline);
    const input = this.input;
    const lineEnd = newline > input.start && input.buf[newline - 1] === CR ? newline - 1 : newline;
    const argv = splitInlineArgs(input.buf, input.start, lineEnd);
    if (argv === null) return this.fail(ProtocolErrors.unbalancedQuotes);
    input.start = newline + 1;
    // An empty line (or only blanks) is skipped, as redis does.
    if (argv.length > 0) events.push({ type: 'command', argv });
    return 'progress';
  }
}

/**
 * Index of the \r ending a well-formed `$<digits>\r?` header at pos (1-15 digits, no
 * leading zero, one byte buffered after the \r), or -1 to take the slow path.
 */
function fastBulkHeaderEnd(buf: Buffer, pos: number, end: number): number {
  return buf[pos] === DOLLAR ? fastHeaderEnd(buf, pos, end) : -1;
}

/** Same for any one-byte type followed by digits (`*N` too). */
function fastHeaderEnd(buf: Buffer, pos: number, end: number): number {
  const first = pos + 1;
  const digitsEnd = Math.min(end, first + fastDigitsMax);
  let p = first;
  while (p < digitsEnd) {
    const c = buf[p] as number;
    if (c < D0 || c > D9) break;
    p++;
  }
  if (p === first || p + 1 >= end || buf[p] !== CR) return -1;
  if (buf[first] === D0 && p !== first + 1) return -1;
  return p;
}

function parseDigits(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + ((buf[i] as number) - D0);
  return n;
}

function hasNul(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] === 0) return true;
  return false;
}

/**
 * A connection mostly repeats a few commands (a pipeline of SETs), so argv[0] of a
 * multibulk request is looked up among the last few names instead of allocating a view
 * per request (allocating Buffers is the parser's main cost). Entries are our own copies,
 * so they pin no input chunk. A hit compares every byte with the cached Buffer, so even
 * a consumer that broke the read-only rule and wrote into one cannot make us return
 * wrong bytes later; argv[0] of several commands may be one shared Buffer, though.
 */
class CommandNameCache {
  private readonly names: Buffer[] = [];
  private next = 0;

  get(buf: Buffer, pos: number, bytes: number): Buffer {
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as Buffer;
      if (name.length === bytes && sameBytes(name, buf, pos)) return name;
    }
    const name = Buffer.from(buf.subarray(pos, pos + bytes));
    if (names.length < commandNamesMax) names.push(name);
    else names[this.next] = name;
    this.next = (this.next + 1) % commandNamesMax;
    return name;
  }
}

function sameBytes(name: Buffer, buf: Buffer, pos: number): boolean {
  for (let i = 0; i < name.length; i++) if (name[i] !== buf[pos + i]) return false;
  return true;
}
