// One reply API for every command, encoded as RESP2 or RESP3 (after HELLO 3) by
// net/resp/. The store (core/) builds these values; it never sees bytes on a wire.
// Keys and values are binary-safe: values are Buffers; keys travel as Buffers too.

export type Reply =
  /** +OK style status line. Must not contain CR or LF. */
  | { readonly t: 'simple'; readonly s: string }
  /** -ERR style error line: the full text including its code word, e.g. "WRONGTYPE Operation ...". */
  | { readonly t: 'error'; readonly s: string }
  /** Integer; a bigint only where a 64-bit value may exceed 2^53 (INCRBY near the limits). */
  | { readonly t: 'int'; readonly n: number | bigint }
  | { readonly t: 'bulk'; readonly b: Buffer }
  /**
   * A bulk string whose bytes are the char codes of `s`, each 0..255 (latin1). The store keeps
   * small string values this way (core/store/values.ts), so a GET replies with the value itself.
   * Same meaning as `bulk`: code that reads replies uses `bulkBytes`, or `canonicalReply` to compare.
   */
  | { readonly t: 'latin1'; readonly s: string }
  /** Null bulk string: RESP2 `$-1`, RESP3 `_`. */
  | { readonly t: 'null' }
  /** Null array: RESP2 `*-1`, RESP3 `_` (EXEC aborted by WATCH, BLPOP timeout). */
  | { readonly t: 'nullArray' }
  | { readonly t: 'array'; readonly items: readonly Reply[] }
  /** RESP3 double; RESP2 sends it as a bulk string in Redis's formatting. */
  | { readonly t: 'double'; readonly d: number }
  /** RESP3 map; RESP2 sends a flat array k1 v1 k2 v2 ... */
  | { readonly t: 'map'; readonly entries: readonly (readonly [Reply, Reply])[] }
  /**
   * Pairs (ZRANGE ... WITHSCORES, HRANDFIELD ... WITHVALUES): RESP3 an array of two-element
   * arrays, RESP2 a flat array a1 b1 a2 b2 ..., as Redis 7 answers.
   */
  | { readonly t: 'pairs'; readonly entries: readonly (readonly [Reply, Reply])[] }
  /** RESP3 set; RESP2 sends an array. */
  | { readonly t: 'set'; readonly items: readonly Reply[] }
  /** RESP3 boolean; RESP2 sends integer 1 or 0. */
  | { readonly t: 'bool'; readonly v: boolean }
  /** RESP3 verbatim string (INFO, CLIENT LIST); RESP2 sends a bulk string. */
  | { readonly t: 'verbatim'; readonly format: 'txt' | 'mkd'; readonly s: string }
  /** RESP3 out-of-band push (MONITOR, invalidation); RESP2 sends an array. */
  | { readonly t: 'push'; readonly items: readonly Reply[] };

// Shared constants so hot paths do not allocate.
export const OK: Reply = Object.freeze({ t: 'simple', s: 'OK' });
export const NULL: Reply = Object.freeze({ t: 'null' });
export const NULL_ARRAY: Reply = Object.freeze({ t: 'nullArray' });
export const EMPTY_ARRAY: Reply = Object.freeze({ t: 'array', items: Object.freeze([]) as readonly Reply[] });
export const ZERO: Reply = Object.freeze({ t: 'int', n: 0 });
export const ONE: Reply = Object.freeze({ t: 'int', n: 1 });

export const simple = (s: string): Reply => ({ t: 'simple', s });
export const err = (s: string): Reply => ({ t: 'error', s });
export const int = (n: number): Reply => (n === 0 ? ZERO : n === 1 ? ONE : { t: 'int', n });
export const bulk = (b: Buffer): Reply => ({ t: 'bulk', b });
export const bulkStr = (s: string): Reply => ({ t: 'bulk', b: Buffer.from(s) });
/** A bulk string of the bytes `s` holds as latin1 char codes (see the `latin1` reply). */
export const bulkLatin1 = (s: string): Reply => ({ t: 'latin1', s });

/** The bytes of a bulk string reply, either form; null for any other reply. */
export function bulkBytes(r: Reply): Buffer | null {
  return r.t === 'bulk' ? r.b : r.t === 'latin1' ? Buffer.from(r.s, 'latin1') : null;
}

/** The reply with every `latin1` bulk as a `bulk` of the same bytes (for comparing replies). */
export function canonicalReply(r: Reply): Reply {
  switch (r.t) {
    case 'latin1':
      return { t: 'bulk', b: Buffer.from(r.s, 'latin1') };
    case 'array':
    case 'set':
    case 'push':
      return { t: r.t, items: r.items.map(canonicalReply) };
    case 'map':
    case 'pairs':
      return { t: r.t, entries: r.entries.map(([k, v]) => [canonicalReply(k), canonicalReply(v)] as const) };
    default:
      return r;
  }
}
export const array = (items: readonly Reply[]): Reply => ({ t: 'array', items });
export const double = (d: number): Reply => ({ t: 'double', d });
export const pairs = (entries: readonly (readonly [Reply, Reply])[]): Reply => ({ t: 'pairs', entries });

/** Redis's own error words, so clients that match on them (ioredis does) behave. */
export const Errors = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  noSuchKey: 'ERR no such key',
  oom: "OOM command not allowed when used memory > 'maxmemory'.",
  noAuth: 'NOAUTH Authentication required.',
  wrongArity: (name: string) => `ERR wrong number of arguments for '${name.toLowerCase()}' command`,
  unknownCommand: (name: string, args: readonly string[]) =>
    `ERR unknown command '${name}', with args beginning with: ${args.map((a) => `'${a}' `).join('')}`,
  noPerm: (name: string) =>
    `NOPERM User has no permissions to run the '${name.toLowerCase()}' command`,
} as const;
