// Generators and helpers shared by the RESP tests.
import fc from 'fast-check';
import { encodeCommand } from '../../net/resp/encoder';
import type { ParseEvent } from '../../net/resp/parser';
import { RespRequestParser } from '../../net/resp/parser';
import type { RespLimits } from '../../net/resp/limits';

/** One request on the wire and the argv it must parse to (null: skipped, no command). */
export interface WireRequest {
  readonly bytes: Buffer;
  readonly argv: readonly Buffer[] | null;
}

const argBytes = fc.oneof(
  fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
  // Bytes that look like protocol inside a bulk: the parser must go by length.
  fc.constantFrom('\r\n', '*1\r\n', '$3\r\n', '\r', '\n', '"', "'", '').map((s) => Buffer.from(s)),
  fc.stringMatching(/^[a-z0-9:]{1,10}$/).map((s) => Buffer.from(s)),
);

const argvArb = fc.array(argBytes, { minLength: 1, maxLength: 5 });

/** Inline form of argv: bare, single-quoted or double-quoted with \xHH and \n-style escapes. */
function inlineToken(arg: Buffer, style: number): string {
  const text = arg.toString('latin1');
  if (style === 0 && /^[a-z0-9:]+$/.test(text)) return text;
  if (style === 1 && /^[a-z0-9: ]*$/.test(text)) return `'${text}'`;
  let out = '"';
  for (const byte of arg) {
    if (byte === 0x0a) out += '\\n';
    else if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else {
      const hex = byte.toString(16).padStart(2, '0');
      out += `\\x${byte % 2 === 0 ? hex : hex.toUpperCase()}`; // both hex cases
    }
  }
  return out + '"';
}

const multibulk = argvArb.map((argv): WireRequest => ({ bytes: encodeCommand(argv), argv }));

const inline = fc
  .tuple(argvArb, fc.array(fc.nat(2), { minLength: 5, maxLength: 5 }), fc.constantFrom(' ', '  ', '\t'), fc.boolean())
  .map(([argv, styles, sep, crlf]): WireRequest => {
    const line = argv.map((a, i) => inlineToken(a, styles[i] ?? 2)).join(sep);
    return { bytes: Buffer.from(line + (crlf ? '\r\n' : '\n'), 'latin1'), argv };
  });

/** Requests redis answers with nothing: empty lines and empty multibulks. */
const skipped = fc.constantFrom('\r\n', '\n', '   \r\n', '*0\r\n', '*-1\r\n').map(
  (s): WireRequest => ({ bytes: Buffer.from(s), argv: null }),
);

export const pipelineArb = fc.array(fc.oneof({ weight: 4, arbitrary: multibulk }, { weight: 2, arbitrary: inline }, { weight: 1, arbitrary: skipped }), {
  minLength: 1,
  maxLength: 12,
});

export function joinPipeline(requests: readonly WireRequest[]): { bytes: Buffer; argvs: Buffer[][] } {
  return {
    bytes: Buffer.concat(requests.map((r) => r.bytes)),
    argvs: requests.flatMap((r) => (r.argv === null ? [] : [[...r.argv]])),
  };
}

/** Split points (sorted, inside the input) to cut a buffer into chunks. */
export function cut(bytes: Buffer, points: readonly number[]): Buffer[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of sorted) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Everything a parser says about some chunks, argv as latin1 strings for readable diffs. */
export type Outcome = (string[] | { error: string })[];

export function parseChunks(chunks: readonly Buffer[], limits?: Partial<RespLimits>, authenticated = true): Outcome {
  const parser = new RespRequestParser(limits);
  parser.authenticated = authenticated;
  const events: ParseEvent[] = [];
  for (const chunk of chunks) {
    // Drain: an unauthenticated parser yields after each command.
    for (let batch = parser.feed(chunk); batch.length > 0; batch = parser.feed(Buffer.alloc(0))) events.push(...batch);
  }
  // Compare at the end, after every feed: earlier argv must not have been overwritten.
  return events.map((e) => (e.type === 'command' ? e.argv.map((a) => a.toString('latin1')) : { error: e.message }));
}

export const argvStrings = (argvs: Buffer[][]): string[][] => argvs.map((argv) => argv.map((a) => a.toString('latin1')));
