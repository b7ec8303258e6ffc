// String and counter commands (t_string.c).

import { array, bulk, bulkLatin1, err, int, NULL, OK, ONE, ZERO, type Reply } from '../../net/reply';
import { addHumanFloat, int64Max, int64Min, intValue, parseDouble, parseInt64, parseIntArg } from './numbers';
import type { Entry, Handler, StoreOps } from './types';
import { E, invalidExpire, key, lookupTyped, stringBytesMax, upper } from './util';
import { isStr, strBuffer, strData, strReply } from './values';

const EMPTY_BULK: Reply = Object.freeze({ t: 'bulk', b: Buffer.alloc(0) }) as Reply;

export const get: Handler = (s, argv) => {
  const e = s.lookup(key(argv[1]!));
  if (e === undefined) return NULL;
  const v = e.v;
  if (!isStr(v)) return E.wrongType;
  return strReply(v);
};

/** Write a string value, keeping or clearing the deadline. */
function putString(s: StoreOps, k: string, arg: Buffer, keepTtl: boolean): Entry {
  return putStringAt(s, k, s.lookup(k), arg, keepTtl);
}

/** putString when the caller has just looked the key up (`e`, undefined when absent). */
function putStringAt(s: StoreOps, k: string, e: Entry | undefined, arg: Buffer, keepTtl: boolean): Entry {
  // A copy: argv may be a view into a connection's receive buffer, which must not be pinned.
  const d = strData(arg, false);
  if (e === undefined) return s.create(k, d, Infinity);
  e.v = d;
  if (!keepTtl) s.setExpire(e, Infinity);
  s.wrote(e);
  return e;
}

type ExpireUnit = 'EX' | 'PX' | 'EXAT' | 'PXAT';

interface SetOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  expire: { unit: ExpireUnit; arg: Buffer } | null;
}

function parseSetOptions(argv: readonly Buffer[], from: number): SetOptions | null {
  const o: SetOptions = { nx: false, xx: false, get: false, keepTtl: false, expire: null };
  for (let i = from; i < argv.length; i++) {
    const a = upper(argv[i]!);
    if (a === 'NX' && !o.xx) o.nx = true;
    else if (a === 'XX' && !o.nx) o.xx = true;
    else if (a === 'GET') o.get = true;
    else if (a === 'KEEPTTL' && o.expire === null) o.keepTtl = true;
    else if ((a === 'EX' || a === 'PX' || a === 'EXAT' || a === 'PXAT') && !o.keepTtl && (o.expire === null || o.expire.unit === a) && i + 1 < argv.length) {
      // redis lets the same unit repeat (the last one wins) but not two different ones.
      o.expire = { unit: a, arg: argv[++i]! };
    } else return null;
  }
  return o;
}

/**
 * getExpireMillisecondsOrReply: an absolute deadline in ms, or the error reply.
 * Relative units are resolved against the command's time (the leader's decision).
 */
function absoluteDeadline(s: StoreOps, unit: ExpireUnit, arg: Buffer, cmd: string): number | Reply {
  const v = parseInt64(arg);
  if (v === null) return E.notInteger;
  if (v <= 0n) return invalidExpire(cmd);
  const seconds = unit === 'EX' || unit === 'EXAT';
  if (seconds && v > int64Max / 1000n) return invalidExpire(cmd);
  let ms = seconds ? v * 1000n : v;
  if (unit === 'EX' || unit === 'PX') {
    ms += BigInt(s.nowMs);
    if (ms > int64Max) return invalidExpire(cmd);
  }
  return Number(ms);
}

const PXAT = Buffer.from('PXAT');
const KEEPTTL = Buffer.from('KEEPTTL');
const SET = Buffer.from('SET');
const DEL = Buffer.from('DEL');
const PEXPIREAT = Buffer.from('PEXPIREAT');
const PERSIST = Buffer.from('PERSIST');

/** SET with no options: nothing to parse (the common case gets no options object). */
const plainSet: SetOptions = Object.freeze({ nx: false, xx: false, get: false, keepTtl: false, expire: null });

export const set: Handler = (s, argv) => {
  const o = argv.length === 3 ? plainSet : parseSetOptions(argv, 3);
  if (o === null) return E.syntax;
  let deadline = Infinity;
  if (o.expire !== null) {
    const d = absoluteDeadline(s, o.expire.unit, o.expire.arg, 'set');
    if (typeof d !== 'number') return d;
    deadline = d;
  }
  const k = key(argv[1]!);
  const e = s.lookup(k);
  let old: Reply = NULL;
  if (o.get && e !== undefined) {
    if (!isStr(e.v)) return E.wrongType;
    old = strReply(e.v);
  }
  if ((o.nx && e !== undefined) || (o.xx && e === undefined)) return o.get ? old : NULL;
  const ne = putStringAt(s, k, e, argv[2]!, o.keepTtl);
  if (deadline !== Infinity) s.setExpire(ne, deadline);
  // Effect replication: the mutation carries the absolute deadline, never a relative one.
  // A plain SET k v replicates as it came (dirty): no rewrite to allocate.
  if (argv.length > 3) {
    const tail = deadline !== Infinity ? [PXAT, Buffer.from(String(deadline))] : o.keepTtl ? [KEEPTTL] : [];
    s.propagate([[SET, argv[1]!, argv[2]!, ...tail]]);
  }
  return o.get ? old : OK;
};

/** SETEX / PSETEX key ttl value: SET key value EX|PX ttl, with their own error words. */
function setWithTtl(s: StoreOps, argv: readonly Buffer[], unit: 'EX' | 'PX', cmd: string): Reply {
  const deadline = absoluteDeadline(s, unit, argv[2]!, cmd);
  if (typeof deadline !== 'number') return deadline;
  const k = key(argv[1]!);
  s.setExpire(putStringAt(s, k, s.lookup(k), argv[3]!, false), deadline);
  s.propagate([[SET, argv[1]!, argv[3]!, PXAT, Buffer.from(String(deadline))]]);
  return OK;
}

export const setex: Handler = (s, argv) => setWithTtl(s, argv, 'EX', 'setex');
export const psetex: Handler = (s, argv) => setWithTtl(s, argv, 'PX', 'psetex');

export const setnx: Handler = (s, argv) => {
  const k = key(argv[1]!);
  if (s.lookup(k) !== undefined) return ZERO;
  putString(s, k, argv[2]!, false);
  return ONE;
};

export const getset: Handler = (s, argv) => {
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'string');
  if (t === 'wrongtype') return E.wrongType;
  const old = t === undefined ? NULL : strReply(t.v);
  putStringAt(s, k, t?.e, argv[2]!, false);
  return old;
};

export const getdel: Handler = (s, argv) => {
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'string');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return NULL;
  s.remove(k);
  return strReply(t.v);
};

export const getex: Handler = (s, argv) => {
  let unit: ExpireUnit | 'PERSIST' | null = null;
  let arg: Buffer | null = null;
  for (let i = 2; i < argv.length; i++) {
    const a = upper(argv[i]!);
    if (a === 'PERSIST' && (unit === null || unit === 'PERSIST')) unit = 'PERSIST';
    else if ((a === 'EX' || a === 'PX' || a === 'EXAT' || a === 'PXAT') && (unit === null || unit === a) && i + 1 < argv.length) {
      unit = a;
      arg = argv[++i]!;
    } else return E.syntax;
  }
  // redis checks the key (nil, WRONGTYPE) before it validates the expire time.
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'string');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return NULL;
  let deadline = Infinity;
  if (unit !== null && unit !== 'PERSIST') {
    const d = absoluteDeadline(s, unit, arg!, 'getex');
    if (typeof d !== 'number') return d;
    deadline = d;
  }
  const reply = strReply(t.v);
  if (unit === 'PERSIST') {
    if (t.e.expireAtMs !== Infinity) {
      s.setExpire(t.e, Infinity);
      s.propagate([[PERSIST, argv[1]!]]);
    }
  } else if (unit !== null) {
    if (deadline <= s.nowMs) {
      s.remove(k);
      s.propagate([[DEL, argv[1]!]]);
    } else {
      s.setExpire(t.e, deadline);
      s.propagate([[PEXPIREAT, argv[1]!, Buffer.from(String(deadline))]]);
    }
  }
  return reply;
};

export const mget: Handler = (s, argv) => {
  const items: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    const e = s.lookup(key(argv[i]!));
    items.push(e !== undefined && isStr(e.v) ? strReply(e.v) : NULL);
  }
  return array(items);
};

export const mset: Handler = (s, argv) => {
  if (argv.length % 2 === 0) return err("ERR wrong number of arguments for 'mset' command");
  for (let i = 1; i < argv.length; i += 2) putString(s, key(argv[i]!), argv[i + 1]!, false);
  return OK;
};

export const msetnx: Handler = (s, argv) => {
  if (argv.length % 2 === 0) return err("ERR wrong number of arguments for 'msetnx' command");
  for (let i = 1; i < argv.length; i += 2) if (s.lookup(key(argv[i]!)) !== undefined) return ZERO;
  for (let i = 1; i < argv.length; i += 2) putString(s, key(argv[i]!), argv[i + 1]!, false);
  return ONE;
};

export const append: Handler = (s, argv) => {
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'string');
  if (t === 'wrongtype') return E.wrongType;
  const add = argv[2]!;
  if (t === undefined) {
    s.create(k, strData(add, false), Infinity);
    return int(add.length);
  }
  const cur = t.v;
  const n = cur.length + add.length;
  if (n > stringBytesMax) return E.stringTooLong;
  // One flat copy (strData picks the form for the new length); a string `+` would leave a chain
  // of V8 cons strings, one per APPEND, costing more than the bytes counted until it is read.
  t.e.v = strData(Buffer.concat([strBuffer(cur), add]), true);
  s.wrote(t.e);
  return int(n);
};

export const strlen: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'string');
  if (t === 'wrongtype') return E.wrongType;
  return t === undefined ? ZERO : int(t.v.length);
};

export const getrange: Handler = (s, argv) => {
  let start = parseIntArg(argv[2]!);
  let end = parseIntArg(argv[3]!);
  if (start === null || end === null) return E.notInteger;
  const t = lookupTyped(s, key(argv[1]!), 'string');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return EMPTY_BULK;
  const d = t.v;
  const len = d.length;
  if (start < 0 && end < 0 && start > end) return EMPTY_BULK;
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return EMPTY_BULK;
  return typeof d === 'string' ? bulkLatin1(d.slice(start, end + 1)) : bulk(Buffer.from(d.subarray(start, end + 1)));
};

export const setrange: Handler = (s, argv) => {
  const offset = parseIntArg(argv[2]!);
  if (offset === null) return E.notInteger;
  if (offset < 0) return E.offsetRange;
  const k = key(argv[1]!);
  const val = argv[3]!;
  const t = lookupTyped(s, k, 'string');
  if (t === 'wrongtype') return E.wrongType;
  const curLen = t === undefined ? 0 : t.v.length;
  if (val.length === 0) return int(curLen);
  if (offset + val.length > stringBytesMax) return E.stringTooLong;
  const out = Buffer.alloc(Math.max(curLen, offset + val.length));
  if (t !== undefined) {
    const cur = t.v;
    if (typeof cur === 'string') out.write(cur, 0, cur.length, 'latin1');
    else cur.copy(out);
  }
  val.copy(out, offset);
  const d = strData(out, true);
  if (t === undefined) s.create(k, d, Infinity);
  else {
    t.e.v = d;
    s.wrote(t.e);
  }
  return int(out.length);
};

/** INCR family: 64-bit arithmetic in BigInt, keeping the deadline (redis does). */
function incrBy(s: StoreOps, kb: Buffer, by: bigint): Reply {
  const k = key(kb);
  const t = lookupTyped(s, k, 'string');
  if (t === 'wrongtype') return E.wrongType;
  const cur = t === undefined ? 0n : parseInt64(t.v);
  if (cur === null) return E.notInteger;
  const next = cur + by;
  if (next > int64Max || next < int64Min) return E.overflow;
  const d = next.toString(); // ASCII digits: the same bytes as text
  if (t === undefined) s.create(k, d, Infinity);
  else {
    t.e.v = d;
    s.wrote(t.e);
  }
  return { t: 'int', n: intValue(next) };
}

export const incr: Handler = (s, argv) => incrBy(s, argv[1]!, 1n);
export const decr: Handler = (s, argv) => incrBy(s, argv[1]!, -1n);
export const incrby: Handler = (s, argv) => {
  const by = parseInt64(argv[2]!);
  return by === null ? E.notInteger : incrBy(s, argv[1]!, by);
};
export const decrby: Handler = (s, argv) => {
  const by = parseInt64(argv[2]!);
  if (by === null) return E.notInteger;
  if (by === int64Min) return err('ERR decrement would overflow');
  return incrBy(s, argv[1]!, -by);
};

export const incrbyfloat: Handler = (s, argv) => {
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'string');
  if (t === 'wrongtype') return E.wrongType;
  const cur = t === undefined ? Buffer.from('0') : strBuffer(t.v);
  if (parseDouble(cur) === null || parseDouble(argv[2]!) === null) return E.notFloat;
  const out = addHumanFloat(cur, argv[2]!);
  if (out === null) return E.nanOrInf;
  const b = Buffer.from(out);
  const d = strData(b, true);
  if (t === undefined) s.create(k, d, Infinity);
  else {
    t.e.v = d;
    s.wrote(t.e);
  }
  // The result, not the increment, is replicated: float addition is not exact.
  s.propagate([[SET, argv[1]!, b, KEEPTTL]]);
  return bulk(b);
};
