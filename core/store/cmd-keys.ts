// Keyspace commands (db.c, expire.c).

import { array, bulk, err, Errors, int, NULL, OK, ONE, simple, ZERO, type Reply } from '../../net/reply';
import { dbAllowed, noPermDb } from './acl';
import { globMatch } from './glob';
import { int64Max, int64Min, parseInt64, parseIntArg } from './numbers';
import type { Handler, StoreOps } from './types';
import { E, invalidExpire, key, keyBuf, upper } from './util';
import { typeName, valueType, type ValueType } from './values';

const DEL = Buffer.from('DEL');
const PEXPIREAT = Buffer.from('PEXPIREAT');
/** RANDOMKEY gives up after this many expired picks in a row (redis: similar guard). */
const randomKeyTriesMax = 100;
/** SCAN COUNT upper bound per call, so one call stays bounded. */
const scanCountMax = 10_000;

export const del: Handler = (s, argv) => {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (s.remove(key(argv[i]!))) n++;
  return int(n);
};

export const exists: Handler = (s, argv) => {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (s.lookup(key(argv[i]!)) !== undefined) n++;
  return int(n);
};

export const type: Handler = (s, argv) => {
  const e = s.lookup(key(argv[1]!));
  return simple(e === undefined ? 'none' : typeName[valueType(e.v)]);
};

/** EXPIRE's condition flags; XX combines with GT or LT (both must hold). */
interface ExpireFlags {
  readonly nx: boolean;
  readonly xx: boolean;
  readonly gt: boolean;
  readonly lt: boolean;
}

const noExpireFlags: ExpireFlags = Object.freeze({ nx: false, xx: false, gt: false, lt: false });

function parseExpireFlags(argv: readonly Buffer[]): ExpireFlags | Reply {
  if (argv.length <= 3) return noExpireFlags;
  let nx = false, xx = false, gt = false, lt = false;
  for (let i = 3; i < argv.length; i++) {
    const a = upper(argv[i]!);
    if (a === 'NX') nx = true;
    else if (a === 'XX') xx = true;
    else if (a === 'GT') gt = true;
    else if (a === 'LT') lt = true;
    else return err(`ERR Unsupported option ${argv[i]!.toString('latin1')}`);
  }
  if (nx && (xx || gt || lt)) return err('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (gt && lt) return err('ERR GT and LT options at the same time are not compatible');
  return { nx, xx, gt, lt };
}

/** Whether the flags let a key whose deadline is `cur` (Infinity: none) take `whenMs`; a key
 *  without a deadline counts as an infinite one for GT and LT, as in Redis. */
function expireAllowed(f: ExpireFlags, cur: number, whenMs: number): boolean {
  if (f.nx && cur !== Infinity) return false;
  if (f.xx && cur === Infinity) return false;
  if (f.gt && (cur === Infinity || whenMs <= cur)) return false;
  if (f.lt && cur !== Infinity && whenMs >= cur) return false;
  return true;
}

/** expireGenericCommand: the deadline, checked against the flags (expireAllowed). */
function expireGeneric(s: StoreOps, argv: readonly Buffer[], unitMs: 1 | 1000, relative: boolean, name: string): Reply {
  const flags = parseExpireFlags(argv);
  if ('t' in flags) return flags;
  const raw = parseInt64(argv[2]!);
  if (raw === null) return E.notInteger;
  if (unitMs === 1000 && (raw > int64Max / 1000n || raw < int64Min / 1000n)) return invalidExpire(name);
  let when = raw * BigInt(unitMs);
  const base = relative ? BigInt(s.nowMs) : 0n;
  if (when > int64Max - base) return invalidExpire(name);
  when += base;
  const k = key(argv[1]!);
  const e = s.lookup(k);
  if (e === undefined) return ZERO;
  const whenMs = Number(when);
  if (!expireAllowed(flags, e.expireAtMs, whenMs)) return ZERO;
  if (whenMs <= s.nowMs) {
    s.remove(k);
    s.propagate([[DEL, argv[1]!]]);
    return ONE;
  }
  s.setExpire(e, whenMs);
  s.propagate([[PEXPIREAT, argv[1]!, Buffer.from(String(whenMs))]]);
  return ONE;
}

export const expire: Handler = (s, argv) => expireGeneric(s, argv, 1000, true, 'expire');
export const pexpire: Handler = (s, argv) => expireGeneric(s, argv, 1, true, 'pexpire');
export const expireat: Handler = (s, argv) => expireGeneric(s, argv, 1000, false, 'expireat');
export const pexpireat: Handler = (s, argv) => expireGeneric(s, argv, 1, false, 'pexpireat');

function ttlGeneric(s: StoreOps, argv: readonly Buffer[], ms: boolean): Reply {
  const e = s.lookup(key(argv[1]!));
  if (e === undefined) return int(-2);
  if (e.expireAtMs === Infinity) return int(-1);
  const left = Math.max(0, e.expireAtMs - s.nowMs);
  return int(ms ? left : Math.floor((left + 500) / 1000));
}

export const ttl: Handler = (s, argv) => ttlGeneric(s, argv, false);
export const pttl: Handler = (s, argv) => ttlGeneric(s, argv, true);

/** EXPIRETIME / PEXPIRETIME: the absolute deadline (Unix ms, or seconds rounded to the nearest
 *  as Redis does), -1 none, -2 no key. */
function expireTimeGeneric(s: StoreOps, argv: readonly Buffer[], ms: boolean): Reply {
  const e = s.lookup(key(argv[1]!));
  if (e === undefined) return int(-2);
  if (e.expireAtMs === Infinity) return int(-1);
  return int(ms ? e.expireAtMs : Math.floor((e.expireAtMs + 500) / 1000));
}

export const expiretime: Handler = (s, argv) => expireTimeGeneric(s, argv, false);
export const pexpiretime: Handler = (s, argv) => expireTimeGeneric(s, argv, true);

export const persist: Handler = (s, argv) => {
  const e = s.lookup(key(argv[1]!));
  if (e === undefined || e.expireAtMs === Infinity) return ZERO;
  s.setExpire(e, Infinity);
  return ONE;
};

function renameGeneric(s: StoreOps, argv: readonly Buffer[], nx: boolean): Reply {
  const from = key(argv[1]!);
  const to = key(argv[2]!);
  const e = s.lookup(from);
  if (e === undefined) return E.noSuchKey;
  if (from === to) return nx ? ZERO : OK;
  if (s.lookup(to) !== undefined) {
    if (nx) return ZERO;
    s.remove(to);
  }
  const v = e.v;
  const deadline = e.expireAtMs;
  s.remove(from);
  s.create(to, v, deadline);
  return nx ? ONE : OK;
}

export const rename: Handler = (s, argv) => renameGeneric(s, argv, false);
export const renamenx: Handler = (s, argv) => renameGeneric(s, argv, true);

export const keys: Handler = (s, argv) => {
  const pattern = key(argv[1]!);
  const all = pattern === '*';
  const out: Reply[] = [];
  for (let i = 0; i < s.size(); i++) {
    const k = s.keyAt(i);
    const e = s.peek(k)!;
    if (e.expireAtMs <= s.nowMs) continue;
    if (all || globMatch(pattern, k)) out.push(bulk(keyBuf(k)));
  }
  return array(out);
};

/** Cursor-based scan options shared by SCAN and HSCAN. */
export interface ScanOptions {
  readonly cursor: number;
  readonly count: number;
  readonly match: string | null;
  readonly type: ValueType | 'other' | null;
}

/**
 * The cursor argument as Redis's parseScanCursorOrReply reads it with strtoul: decimal, an
 * optional sign (a negative one wraps modulo 2^64, so -1 is 2^64-1), nothing else around;
 * the empty string is 0. Null when invalid.
 */
export function parseScanCursor(b: Buffer): number | null {
  const c = b.toString('latin1');
  if (c === '') return 0;
  if (!/^[+-]?\d+$/.test(c)) return null;
  const magnitude = BigInt(c.replace(/^[+-]/, ''));
  if (magnitude > 2n ** 64n - 1n) return null;
  const cursor = Number(c.startsWith('-') ? (2n ** 64n - magnitude) % 2n ** 64n : magnitude);
  return Number.isSafeInteger(cursor) ? cursor : Number.MAX_SAFE_INTEGER;
}

export function parseScan(argv: readonly Buffer[], cursorAt: number, allowType: boolean): ScanOptions | Reply {
  const cursor = parseScanCursor(argv[cursorAt]!);
  if (cursor === null) return E.invalidCursor;
  let count = 10;
  let match: string | null = null;
  let type: ScanOptions['type'] = null;
  for (let i = cursorAt + 1; i < argv.length; i++) {
    const a = upper(argv[i]!);
    const more = i + 1 < argv.length;
    if (a === 'COUNT' && more) {
      const n = parseIntArg(argv[++i]!);
      if (n === null) return E.notInteger;
      if (n < 1) return E.syntax;
      count = Math.min(n, scanCountMax);
    } else if (a === 'MATCH' && more) {
      match = key(argv[++i]!);
    } else if (a === 'TYPE' && more && allowType) {
      const t = argv[++i]!.toString('latin1').toLowerCase();
      type = (Object.keys(typeName) as ValueType[]).find((x) => typeName[x].toLowerCase() === t) ?? 'other';
    } else return E.syntax;
  }
  return { cursor, count, match, type };
}

/**
 * HSCAN/SSCAN's arguments in Redis's order (scanGenericCommand): the cursor, then the key's
 * type, then the options, so a missing key answers an empty scan whatever its options say.
 * `find` looks the key up; the answer is the container and the options, or the reply.
 */
export function parseElementScan<T>(argv: readonly Buffer[], find: () => T | undefined | 'wrongtype'): { v: T; o: ScanOptions } | Reply {
  if (parseScanCursor(argv[2]!) === null) return E.invalidCursor;
  const v = find();
  if (v === 'wrongtype') return E.wrongType;
  if (v === undefined) return scanReply(0, []);
  const o = parseScan(argv, 2, false);
  return 't' in o ? o : { v, o };
}

/** A full element scan of a large container takes at most about this many calls. */
export const elementScanCallsMax = 64;

/**
 * The elements one HSCAN/SSCAN call visits: all of them when `whole` (cursor 0 next), else
 * the next batch by position in `elements`' order, the cursor being the position. Each call
 * skips `cursor` elements; batches of at least size/elementScanCallsMax keep a full scan
 * O(size * elementScanCallsMax) instead of O(size^2 / COUNT). An element deleted mid-scan
 * can make one later element be skipped.
 */
function scanWindow<T>(elements: Iterable<T>, size: number, o: ScanOptions, whole: boolean): { items: T[]; next: number } {
  const start = whole ? 0 : o.cursor;
  const end = whole ? size : o.cursor + Math.max(o.count, Math.ceil(size / elementScanCallsMax));
  const items: T[] = [];
  let i = 0;
  for (const x of elements) {
    if (i >= end) break;
    if (i++ >= start) items.push(x);
  }
  return { items, next: end >= size ? 0 : end };
}

/**
 * One HSCAN/SSCAN/ZSCAN call: the window of `elements` (scanWindow), those whose `name`
 * matches MATCH rendered by `render`, and the next cursor.
 */
export function scanElements<T>(elements: Iterable<T>, size: number, o: ScanOptions, whole: boolean, name: (x: T) => string, render: (x: T) => readonly Reply[]): Reply {
  const w = scanWindow(elements, size, o, whole);
  const out: Reply[] = [];
  for (const x of w.items) if (o.match === null || globMatch(o.match, name(x))) out.push(...render(x));
  return scanReply(w.next, out);
}

/** A scan reply: the next cursor and the elements. */
export const scanReply = (next: number, items: Reply[]): Reply => array([bulk(Buffer.from(String(next))), array(items)]);

/**
 * SCAN walks the db's key array from the end towards index 0. Deletes swap the *last*
 * key into the hole, and the tail is always already visited (or added after the scan
 * began), so a key present for the whole scan is returned at least once; duplicates are
 * possible, as in redis. The cursor is (next index + 1); 0 starts and ends a scan.
 */
export const scan: Handler = (s, argv) => {
  const o = parseScan(argv, 1, true);
  if ('t' in o) return o;
  const out: Reply[] = [];
  const size = s.size();
  let i = o.cursor === 0 ? size - 1 : Math.min(o.cursor - 1, size - 1);
  for (let visited = 0; i >= 0 && visited < o.count; i--, visited++) {
    const k = s.keyAt(i);
    const e = s.peek(k)!;
    if (e.expireAtMs <= s.nowMs) continue;
    if (o.type !== null && valueType(e.v) !== o.type) continue;
    if (o.match !== null && !globMatch(o.match, k)) continue;
    out.push(bulk(keyBuf(k)));
  }
  const next = i < 0 ? 0 : i + 1;
  return scanReply(next, out);
};

export const randomkey: Handler = (s) => {
  for (let tries = 0; tries < randomKeyTriesMax && s.size() > 0; tries++) {
    const k = s.keyAt(s.randomInt(s.size()));
    if (s.lookup(k) !== undefined) return bulk(keyBuf(k));
  }
  return NULL;
};

export const dbsize: Handler = (s) => int(s.size());

function flushArgs(argv: readonly Buffer[]): Reply | null {
  if (argv.length === 1) return null;
  const a = upper(argv[1]!);
  return argv.length === 2 && (a === 'ASYNC' || a === 'SYNC') ? null : E.syntax;
}

export const flushdb: Handler = (s, argv) => {
  const bad = flushArgs(argv);
  if (bad !== null) return bad;
  s.flushDb();
  return OK;
};

export const flushall: Handler = (s, argv) => {
  const bad = flushArgs(argv);
  if (bad !== null) return bad;
  s.flushAll();
  return OK;
};

export const select: Handler = (s, argv, session) => {
  const db = parseIntArg(argv[1]!);
  if (db === null) return E.notInteger;
  if (db < 0 || db >= s.databases) return E.dbRange;
  if (session.user !== null) {
    const u = s.users().get(session.user);
    if (u === undefined) return err(Errors.noPerm('select'));
    if (!dbAllowed(u, db)) return err(noPermDb(db));
  }
  session.db = db;
  s.selectDb(db);
  return OK;
};
