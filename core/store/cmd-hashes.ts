// Hash commands (t_hash.c). Fields keep insertion order, as redis's listpack encoding does.

import { array, bulk, EMPTY_ARRAY, err, int, NULL, OK, ONE, pairs, ZERO, type Reply } from '../../net/reply';
import { parseElementScan, scanElements } from './cmd-keys';
import { addHumanFloat, int64Max, int64Min, intValue, parseDouble, parseInt64 } from './numbers';
import type { Handler } from './types';
import { drawDistinct, drawRepeats, E, key, keyBuf, lookupTyped, parseRandCount } from './util';
import { hashDel, hashSet, newHash, type HashVal } from './values';
import type { StoreOps } from './types';

const HSET = Buffer.from('HSET');

/** The hash at argv[1], created empty when missing (caller must write to it). */
function hashForWrite(s: StoreOps, kb: Buffer): { e: ReturnType<StoreOps['create']>; v: HashVal } | Reply {
  const k = key(kb);
  const t = lookupTyped(s, k, 'hash');
  if (t === 'wrongtype') return E.wrongType;
  if (t !== undefined) return t;
  const v = newHash();
  return { e: s.create(k, v, Infinity), v };
}

/**
 * hsetCommand's body, shared by HSET and HMSET (which differ only in the reply): set every
 * field/value pair of argv[2..]. Returns the number of new fields, or an error reply.
 */
function setPairs(s: StoreOps, argv: readonly Buffer[]): number | Reply {
  if (argv.length % 2 !== 0) return err(`ERR wrong number of arguments for '${argv[0]!.toString('latin1').toLowerCase()}' command`);
  const h = hashForWrite(s, argv[1]!);
  if ('t' in h) return h;
  let added = 0;
  for (let i = 2; i < argv.length; i += 2) if (hashSet(h.v, key(argv[i]!), Buffer.from(argv[i + 1]!))) added++;
  s.wrote(h.e);
  return added;
}

export const hset: Handler = (s, argv) => {
  const r = setPairs(s, argv);
  return typeof r === 'number' ? int(r) : r;
};

/** Deprecated since Redis 4 but still what clients send (ioredis's hmset): HSET replying +OK. */
export const hmset: Handler = (s, argv) => {
  const r = setPairs(s, argv);
  return typeof r === 'number' ? OK : r;
};

export const hsetnx: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  if (t !== undefined && t.v.m.has(key(argv[2]!))) return ZERO;
  const h = hashForWrite(s, argv[1]!);
  if ('t' in h) return h;
  hashSet(h.v, key(argv[2]!), Buffer.from(argv[3]!));
  s.wrote(h.e);
  return ONE;
};

export const hget: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  const v = t?.v.m.get(key(argv[2]!));
  return v === undefined ? NULL : bulk(v);
};

export const hmget: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) {
    const v = t?.v.m.get(key(argv[i]!));
    out.push(v === undefined ? NULL : bulk(v));
  }
  return array(out);
};

export const hdel: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return ZERO;
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (hashDel(t.v, key(argv[i]!))) n++;
  if (n > 0) s.wrote(t.e);
  return int(n);
};

function hashRead(s: StoreOps, kb: Buffer, what: 'all' | 'keys' | 'vals'): Reply {
  const t = lookupTyped(s, key(kb), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return what === 'all' ? { t: 'map', entries: [] } : array([]);
  if (what === 'all') {
    const entries: (readonly [Reply, Reply])[] = [];
    for (const [f, v] of t.v.m) entries.push([bulk(keyBuf(f)), bulk(v)]);
    return { t: 'map', entries };
  }
  const out: Reply[] = [];
  for (const [f, v] of t.v.m) out.push(bulk(what === 'keys' ? keyBuf(f) : v));
  return array(out);
}

export const hgetall: Handler = (s, argv) => hashRead(s, argv[1]!, 'all');
export const hkeys: Handler = (s, argv) => hashRead(s, argv[1]!, 'keys');
export const hvals: Handler = (s, argv) => hashRead(s, argv[1]!, 'vals');

export const hstrlen: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  return int(t?.v.m.get(key(argv[2]!))?.length ?? 0);
};

export const hlen: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  return int(t === undefined ? 0 : t.v.m.size);
};

export const hexists: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  return t !== undefined && t.v.m.has(key(argv[2]!)) ? ONE : ZERO;
};

export const hincrby: Handler = (s, argv) => {
  const by = parseInt64(argv[3]!);
  if (by === null) return E.notInteger;
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  const old = t?.v.m.get(key(argv[2]!));
  const cur = old === undefined ? 0n : parseInt64(old);
  if (cur === null) return E.hashNotInteger;
  const next = cur + by;
  if (next > int64Max || next < int64Min) return E.overflow;
  const h = hashForWrite(s, argv[1]!);
  if ('t' in h) return h;
  hashSet(h.v, key(argv[2]!), Buffer.from(next.toString()));
  s.wrote(h.e);
  return { t: 'int', n: intValue(next) };
};

/** HINCRBYFLOAT refuses an infinite increment itself, before the sum (INCRBYFLOAT does not). */
const incrNanOrInf = err('ERR value is NaN or Infinity');

export const hincrbyfloat: Handler = (s, argv) => {
  const incr = parseDouble(argv[3]!);
  if (incr === null) return E.notFloat;
  if (!Number.isFinite(incr)) return incrNanOrInf;
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  const old = t?.v.m.get(key(argv[2]!)) ?? Buffer.from('0');
  if (parseDouble(old) === null) return E.hashNotFloat;
  const out = addHumanFloat(old, argv[3]!);
  if (out === null) return E.nanOrInf;
  const h = hashForWrite(s, argv[1]!);
  if ('t' in h) return h;
  const b = Buffer.from(out);
  hashSet(h.v, key(argv[2]!), b);
  s.wrote(h.e);
  s.propagate([[HSET, argv[1]!, argv[2]!, b]]);
  return bulk(b);
};

/**
 * Hashes up to this many fields answer HSCAN in one reply with cursor 0, as redis does
 * for listpack-encoded hashes (hash-max-listpack-entries 128), so nothing can be missed.
 */
export const hscanWholeFieldsMax = 128;

/** HSCAN: small hashes in one reply; larger ones walk insertion order (scanElements). */
export const hscan: Handler = (s, argv) => {
  const p = parseElementScan(argv, () => lookupTyped(s, key(argv[1]!), 'hash'));
  if ('t' in p) return p;
  const m = p.v.v.m;
  return scanElements(m, m.size, p.o, m.size <= hscanWholeFieldsMax, ([f]) => f, ([f, v]) => [bulk(keyBuf(f)), bulk(v)]);
};

/** HRANDFIELD key [count [WITHVALUES]] (hrandfieldCommand): fields drawn with s.randomInt. */
export const hrandfield: Handler = (s, argv) => {
  if (argv.length === 2) {
    const t = lookupTyped(s, key(argv[1]!), 'hash');
    if (t === 'wrongtype') return E.wrongType;
    if (t === undefined) return NULL;
    return bulk(keyBuf(fieldAt(t.v, s.randomInt(t.v.m.size))));
  }
  const c = parseRandCount(argv, 'WITHVALUES');
  if ('t' in c) return c;
  const { n, withFlag: withValues } = c;
  const t = lookupTyped(s, key(argv[1]!), 'hash');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined || n === 0n) return EMPTY_ARRAY;
  const fields = [...t.v.m];
  if (n < 0n) {
    return fieldsReply(drawRepeats(s, fields, Number(-n)), withValues);
  }
  // A count covering the whole hash answers it in its own order, as Redis does.
  if (n >= BigInt(fields.length)) return fieldsReply(fields, withValues);
  return fieldsReply(drawDistinct(s, fields, Number(n)), withValues);
};

/** The field at position i of the hash's order (O(i): a Map has no index). */
function fieldAt(h: HashVal, i: number): string {
  for (const f of h.m.keys()) if (i-- === 0) return f;
  throw new Error('fieldAt: index past the end');
}

type FieldValue = readonly [string, Buffer];

/** Fields; WITHVALUES pairs each with its value (RESP3: [field, value] arrays, as Redis 7). */
function fieldsReply(fields: readonly FieldValue[], withValues: boolean): Reply {
  if (withValues) return pairs(fields.map(([f, v]) => [bulk(keyBuf(f)), bulk(v)] as const));
  return array(fields.map(([f]) => bulk(keyBuf(f))));
}
