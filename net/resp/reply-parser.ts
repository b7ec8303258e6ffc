// Incremental RESP2/RESP3 reply parser (client side: our CLI, tests and tools).
// Never throws: malformed or over-limit input gives one typed failure, after which the
// parser is dead. Bulk values are zero-copy views of the input (see InputBuffer).
//
// RESP3 types without a Reply of their own: big numbers `(` become ints (bigint when
// beyond 2^53), blob errors `!` become errors, attributes `|` are read and dropped.
// RESP3 `_` decodes as { t: 'null' } (it stands for both of RESP2's nulls).

import type { Reply } from '../reply';
import { InputBuffer } from './input-buffer';
import { parseInt64, parseInt64Exact } from './int';
import { defaultRespReplyLimits, type RespReplyLimits } from './limits';

export type ReplyParseFailure =
  | { readonly kind: 'unknownType'; readonly byte: number }
  | { readonly kind: 'malformed'; readonly what: string }
  | { readonly kind: 'limit'; readonly limit: keyof RespReplyLimits; readonly value: number };

type AggregateKind = 'array' | 'set' | 'push' | 'map' | 'attribute';
type Frame = { readonly kind: AggregateKind; remaining: number; readonly items: Reply[] };

const CR = 0x0d;
const LF = 0x0a;

/** readOne's outcomes besides a finished reply. */
const more = Symbol('more');
const failed = Symbol('failed');
const opened = Symbol('opened');
type ReadResult = Reply | typeof more | typeof failed | typeof opened;

const aggregateKinds = {
  0x2a: 'array', // *
  0x7e: 'set', // ~
  0x3e: 'push', // >
  0x25: 'map', // %
  0x7c: 'attribute', // |
} as const satisfies Record<number, AggregateKind>;

const pairsPerEntry = {
  array: 1,
  set: 1,
  push: 1,
  map: 2,
  attribute: 2,
} as const satisfies Record<AggregateKind, number>;

export class RespReplyParser {
  private readonly limits: RespReplyLimits;
  private input = new InputBuffer();
  private stack: Frame[] = [];
  private failureValue: ReplyParseFailure | null = null;

  constructor(limits?: Partial<RespReplyLimits>) {
    this.limits = { ...defaultRespReplyLimits, ...limits };
  }

  /** Why the parser stopped, once it has; null while it is healthy. */
  get failure(): ReplyParseFailure | null {
    return this.failureValue;
  }

  bufferedBytes(): number {
    return this.input.available();
  }

  /** Feed bytes (ownership of `chunk` passes to the parser); returns complete replies. */
  feed(chunk: Buffer): Reply[] {
    if (this.failureValue !== null) return [];
    this.input.push(chunk);
    const replies: Reply[] = [];
    for (;;) {
      const result = this.readOne();
      if (result === more || result === failed) break;
      if (result !== opened) this.complete(result, replies);
    }
    if (this.failureValue !== null) {
      this.input = new InputBuffer();
      this.stack = [];
      return replies;
    }
    this.input.settle();
    return replies;
  }

  private fail(failure: ReplyParseFailure): typeof failed {
    this.failureValue = failure;
    return failed;
  }

  /** Hand a finished value to its parent aggregate, closing every aggregate it fills. */
  private complete(first: Reply, replies: Reply[]): void {
    let reply: Reply | null = first;
    while (reply !== null) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        replies.push(reply);
        return;
      }
      top.items.push(reply);
      top.remaining--;
      if (top.remaining > 0) return;
      this.stack.pop();
      reply = closeAggregate(top.kind, top.items);
    }
  }

  private readOne(): ReadResult {
    const { buf, start, end } = this.input;
    if (start >= end) return more;
    const type = buf[start] as number;
    const lineEnd = this.findLineEnd(start + 1);
    if (lineEnd === more || lineEnd === failed) return lineEnd;
    if (buf[lineEnd + 1] !== LF) return this.fail({ kind: 'malformed', what: 'line not ended by \\r\\n' });
    const from = start + 1;
    const next = lineEnd + 2;
    switch (type) {
      case 0x2b: // + simple
        return this.consumed(next, { t: 'simple', s: buf.toString('utf8', from, lineEnd) });
      case 0x2d: // - error
        return this.consumed(next, { t: 'error', s: buf.toString('utf8', from, lineEnd) });
      case 0x3a: // : integer
      case 0x28: // ( big number
        return this.readInteger(type, from, lineEnd, next);
      case 0x2c: // , double
        return this.readDouble(from, lineEnd, next);
      case 0x23: // # boolean
        return this.readBool(from, lineEnd, next);
      case 0x5f: // _ null
        if (lineEnd !== from) return this.fail({ kind: 'malformed', what: 'null with a payload' });
        return this.consumed(next, { t: 'null' });
      case 0x24: // $ bulk
      case 0x21: // ! blob error
      case 0x3d: // = verbatim
        return this.readBlob(type, from, lineEnd, next);
      case 0x2a:
      case 0x7e:
      case 0x3e:
      case 0x25:
      case 0x7c:
        return this.openAggregate(aggregateKinds[type], from, lineEnd, next);
      default:
        return this.fail({ kind: 'unknownType', byte: type });
    }
  }

  /** Index of the \r ending the line from `from`, with one more byte buffered after it. */
  private findLineEnd(from: number): number | typeof more | typeof failed {
    const { buf, end } = this.input;
    const windowEnd = Math.min(end, from + this.limits.lineBytesMax + 1);
    const at = buf.indexOf(CR, from);
    if (at >= 0 && at < windowEnd) return at + 1 < end ? at : more;
    if (end - from > this.limits.lineBytesMax) {
      return this.fail({ kind: 'limit', limit: 'lineBytesMax', value: end - from });
    }
    return more;
  }

  private consumed(next: number, reply: Reply): Reply {
    this.input.start = next;
    return reply;
  }

  private readInteger(type: number, from: number, lineEnd: number, next: number): ReadResult {
    const { buf } = this.input;
    let n: number | bigint | null = parseInt64Exact(buf, from, lineEnd);
    if (n === null && type === 0x28) n = parseBigNumber(buf.toString('latin1', from, lineEnd));
    if (n === null) return this.fail({ kind: 'malformed', what: 'integer' });
    return this.consumed(next, { t: 'int', n });
  }

  private readDouble(from: number, lineEnd: number, next: number): ReadResult {
    const d = parseDouble(this.input.buf.toString('latin1', from, lineEnd));
    if (d === null) return this.fail({ kind: 'malformed', what: 'double' });
    return this.consumed(next, { t: 'double', d });
  }

  private readBool(from: number, lineEnd: number, next: number): ReadResult {
    const { buf } = this.input;
    const c = buf[from];
    if (lineEnd !== from + 1 || (c !== 0x74 && c !== 0x66)) return this.fail({ kind: 'malformed', what: 'boolean' });
    return this.consumed(next, { t: 'bool', v: c === 0x74 });
  }

  private readBlob(type: number, from: number, lineEnd: number, next: number): ReadResult {
    const { buf, end } = this.input;
    const bytes = parseInt64(buf, from, lineEnd);
    if (bytes === -1 && type === 0x24) return this.consumed(next, { t: 'null' });
    if (bytes === null || bytes < 0) return this.fail({ kind: 'malformed', what: 'bulk length' });
    if (bytes > this.limits.bulkBytesMax) return this.fail({ kind: 'limit', limit: 'bulkBytesMax', value: bytes });
    if (end - next < bytes + 2) return more;
    if (buf[next + bytes] !== CR || buf[next + bytes + 1] !== LF) {
      return this.fail({ kind: 'malformed', what: 'bulk not ended by \\r\\n' });
    }
    const body = buf.subarray(next, next + bytes);
    const after = next + bytes + 2;
    if (type === 0x24) return this.consumed(after, { t: 'bulk', b: body });
    if (type === 0x21) return this.consumed(after, { t: 'error', s: body.toString('utf8') });
    const format = body.toString('latin1', 0, 3);
    if (body.length < 4 || body[3] !== 0x3a || (format !== 'txt' && format !== 'mkd')) {
      return this.fail({ kind: 'malformed', what: 'verbatim format' });
    }
    return this.consumed(after, { t: 'verbatim', format, s: body.toString('utf8', 4) });
  }

  private openAggregate(kind: AggregateKind, from: number, lineEnd: number, next: number): ReadResult {
    const count = parseInt64(this.input.buf, from, lineEnd);
    if (count === -1 && kind === 'array') return this.consumed(next, { t: 'nullArray' });
    if (count === null || count < 0) return this.fail({ kind: 'malformed', what: 'aggregate length' });
    if (count > this.limits.aggregateCountMax) {
      return this.fail({ kind: 'limit', limit: 'aggregateCountMax', value: count });
    }
    if (this.stack.length >= this.limits.depthMax) {
      return this.fail({ kind: 'limit', limit: 'depthMax', value: this.stack.length + 1 });
    }
    this.input.start = next;
    if (count === 0) {
      const empty = closeAggregate(kind, []);
      return empty ?? opened;
    }
    this.stack.push({ kind, remaining: count * pairsPerEntry[kind], items: [] });
    return opened;
  }
}

/** The reply an aggregate stands for; null for an attribute, which is dropped. */
function closeAggregate(kind: AggregateKind, items: Reply[]): Reply | null {
  switch (kind) {
    case 'array':
      return { t: 'array', items };
    case 'set':
      return { t: 'set', items };
    case 'push':
      return { t: 'push', items };
    case 'map': {
      const entries: [Reply, Reply][] = [];
      for (let i = 0; i + 1 < items.length; i += 2) entries.push([items[i] as Reply, items[i + 1] as Reply]);
      return { t: 'map', entries };
    }
    case 'attribute':
      return null;
    default: {
      const never: never = kind;
      throw new Error(`unknown aggregate ${String(never)}`);
    }
  }
}

function parseBigNumber(text: string): number | bigint | null {
  if (!/^-?[0-9]+$/.test(text)) return null;
  const n = BigInt(text);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

const doubleSyntax = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function parseDouble(text: string): number | null {
  switch (text) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
    case '-nan':
      return NaN;
    default:
      return doubleSyntax.test(text) ? Number(text) : null;
  }
}
