// JSON documents (the RedisJSON value type): a tagged tree, a bounded parser and a
// compact serializer. Integers and floats are kept apart, as RedisJSON does (serde_json
// numbers): `1` stays an integer and `1.0` a float, so JSON.GET gives back `1.0`.
//
// Approximations, documented:
//  - integers outside JavaScript's safe range (|n| > 2^53) are stored as floats;
//  - floats are printed the way serde_json/ryu prints them for the common cases: an
//    integral float below 1e16 gets a ".0" ("3.0"), large/small ones use "1e20"/"1e-7";
//  - the parser's error words follow serde_json's ("expected value at line 1 column 1").

/** One JSON value. Objects keep insertion order (RedisJSON preserves it). */
export type J =
  | { readonly t: 'null' }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'float'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'arr'; readonly a: J[] }
  | { readonly t: 'obj'; readonly m: Map<string, J> };

/** Nesting limit (RedisJSON/serde: 128); deeper input is refused with a clear error. */
export const jsonDepthMax = 128;
/** Largest JSON text accepted by one command (64 MiB). */
export const jsonTextBytesMax = 64 * 1024 * 1024;

export const JNULL: J = Object.freeze({ t: 'null' });

export type ParseResult = { readonly ok: true; readonly j: J } | { readonly ok: false; readonly error: string };

/** RedisJSON's JSON.TYPE names. */
export const jsonTypeName = {
  null: 'null',
  bool: 'boolean',
  int: 'integer',
  float: 'number',
  str: 'string',
  arr: 'array',
  obj: 'object',
} as const satisfies Record<J['t'], string>;

export function parseJson(b: Buffer): ParseResult {
  if (b.length > jsonTextBytesMax) return { ok: false, error: `ERR JSON text exceeds ${jsonTextBytesMax} bytes (jsonTextBytesMax)` };
  const p = new Parser(b.toString('utf8'));
  try {
    p.ws();
    const j = p.value(0);
    p.ws();
    if (p.i < p.s.length) p.fail('trailing characters');
    return { ok: true, j };
  } catch (e) {
    if (e instanceof JsonSyntax) return { ok: false, error: `ERR ${e.message}` };
    throw e;
  }
}

class JsonSyntax extends Error {}

const numberRe = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    const before = this.s.slice(0, this.i);
    const line = before.split('\n').length;
    const column = this.i - before.lastIndexOf('\n');
    throw new JsonSyntax(`${what} at line ${line} column ${column}`);
  }

  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }

  value(depth: number): J {
    const c = this.s[this.i];
    if (c === '{' || c === '[') {
      if (depth >= jsonDepthMax) this.fail(`nesting deeper than ${jsonDepthMax} (jsonDepthMax)`);
      return c === '{' ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === '"') return { t: 'str', v: this.string() };
    if (this.s.startsWith('true', this.i)) return (this.i += 4), { t: 'bool', v: true };
    if (this.s.startsWith('false', this.i)) return (this.i += 5), { t: 'bool', v: false };
    if (this.s.startsWith('null', this.i)) return (this.i += 4), JNULL;
    return this.number();
  }

  number(): J {
    numberRe.lastIndex = this.i;
    const m = numberRe.exec(this.s);
    if (m === null) this.fail('expected value');
    this.i += m[0].length;
    const v = Number(m[0]);
    if (!Number.isFinite(v)) this.fail('number out of range');
    const integral = m[1] === undefined && m[2] === undefined;
    return integral && Number.isSafeInteger(v) ? { t: 'int', v } : { t: 'float', v };
  }

  string(): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') this.i += this.s[this.i] === '\\' ? 2 : 1;
    if (this.i >= this.s.length) this.fail('EOF while parsing a string');
    this.i++;
    try {
      return JSON.parse(this.s.slice(start, this.i)) as string;
    } catch {
      this.i = start;
      return this.fail('invalid string');
    }
  }

  array(depth: number): J {
    const a: J[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') return this.i++, { t: 'arr', a };
    for (;;) {
      this.ws();
      a.push(this.value(depth));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return { t: 'arr', a };
      if (c !== ',') (this.i--, this.fail('expected `,` or `]`'));
    }
  }

  object(depth: number): J {
    const m = new Map<string, J>();
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') return this.i++, { t: 'obj', m };
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('key must be a string');
      const k = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') (this.i--, this.fail('expected `:`'));
      this.ws();
      m.set(k, this.value(depth));
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return { t: 'obj', m };
      if (c !== ',') (this.i--, this.fail('expected `,` or `}`'));
    }
  }
}

/** serde_json/ryu style float text for the common cases (see the header). */
export function formatFloat(v: number): string {
  if (Object.is(v, -0)) return '-0.0';
  const mag = Math.abs(v);
  if (mag >= floatPlainMax || (mag > 0 && mag < floatPlainMin)) return v.toExponential().replace('e+', 'e');
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** Floats in [floatPlainMin, floatPlainMax) print as plain decimals, others as `1e20`. */
const floatPlainMax = 1e16;
const floatPlainMin = 1e-5;

/** Compact serialization (no spaces), as JSON.GET without formatting options. */
export function serializeJson(j: J): string {
  switch (j.t) {
    case 'null':
      return 'null';
    case 'bool':
      return j.v ? 'true' : 'false';
    case 'int':
      return String(j.v);
    case 'float':
      return formatFloat(j.v);
    case 'str':
      return JSON.stringify(j.v);
    case 'arr':
      return `[${j.a.map(serializeJson).join(',')}]`;
    case 'obj':
      return `{${[...j.m].map(([k, x]) => `${JSON.stringify(k)}:${serializeJson(x)}`).join(',')}}`;
    default:
      return unreachableJson(j);
  }
}

export function cloneJson(j: J): J {
  switch (j.t) {
    case 'null':
    case 'bool':
    case 'int':
    case 'float':
    case 'str':
      return j;
    case 'arr':
      return { t: 'arr', a: j.a.map(cloneJson) };
    case 'obj':
      return { t: 'obj', m: new Map([...j.m].map(([k, x]) => [k, cloneJson(x)])) };
    default:
      return unreachableJson(j);
  }
}

/** Bytes charged for a document: its compact UTF-8 serialization. */
export const jsonBytes = (j: J): number => Buffer.byteLength(serializeJson(j), 'utf8');

function unreachableJson(x: never): never {
  throw new Error(`unreachable json ${String(x)}`);
}
