// SORT and SORT_RO (sort.c): BY (with `nosort`), LIMIT, GET (`#`, `key*`, `hash*->field`),
// ASC/DESC, ALPHA, STORE. Comparison follows sortCompare: numeric by double with ties
// broken by the element's bytes; ALPHA compares bytes (strcoll in the C locale); with
// BY + ALPHA a missing weight sorts first. SORT ... STORE is logged as DEL dst followed
// by RPUSH batches of the result, so replay never re-sorts or re-reads other keys.

import { array, bulk, err, int, NULL, type Reply } from '../../net/reply';
import { parseIntArg } from './numbers';
import type { Handler, StoreOps } from './types';
import { E, key, keyBuf, upper } from './util';
import { isStr, listElementBytes, newList, strBuffer, type Container } from './values';

const DEL = Buffer.from('DEL');
const RPUSH = Buffer.from('RPUSH');
/** Elements per logged RPUSH of a SORT ... STORE result. */
export const sortStoreBatchMax = 1024;
/** GET clauses per SORT (bounds the reply: elements x GETs). */
export const sortGetsMax = 64;

const notDouble = err("ERR One or more scores can't be converted into double");

interface SortArgs {
  desc: boolean;
  alpha: boolean;
  dontsort: boolean;
  by: string | null;
  limitStart: number;
  limitCount: number;
  gets: string[];
  store: Buffer | null;
}

function parseSortArgs(argv: readonly Buffer[], readonly: boolean): SortArgs | Reply {
  const o: SortArgs = { desc: false, alpha: false, dontsort: false, by: null, limitStart: 0, limitCount: -1, gets: [], store: null };
  for (let j = 2; j < argv.length; j++) {
    const a = upper(argv[j]!);
    const left = argv.length - j - 1;
    if (a === 'ASC') o.desc = false;
    else if (a === 'DESC') o.desc = true;
    else if (a === 'ALPHA') o.alpha = true;
    else if (a === 'LIMIT' && left >= 2) {
      const start = parseIntArg(argv[j + 1]!);
      const count = parseIntArg(argv[j + 2]!);
      if (start === null || count === null) return E.notInteger;
      o.limitStart = start;
      o.limitCount = count;
      j += 2;
    } else if (!readonly && a === 'STORE' && left >= 1) o.store = argv[++j]!;
    else if (a === 'BY' && left >= 1) {
      o.by = key(argv[++j]!);
      if (!o.by.includes('*')) o.dontsort = true;
    } else if (a === 'GET' && left >= 1) {
      if (o.gets.length >= sortGetsMax) return err(`ERR too many GET clauses (sortGetsMax ${sortGetsMax})`);
      o.gets.push(key(argv[++j]!));
    } else return E.syntax;
  }
  return o;
}

/** lookupKeyByPattern: `#` is the element; the first `*` is replaced; `->f` reads a hash field. */
function byPattern(s: StoreOps, pattern: string, elem: Buffer): Buffer | null {
  if (pattern === '#') return elem;
  const star = pattern.indexOf('*');
  if (star < 0) return null;
  const arrow = pattern.indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length;
  const keyPat = hasField ? pattern.slice(0, arrow) : pattern;
  const k = keyPat.slice(0, star) + elem.toString('latin1') + keyPat.slice(star + 1);
  const e = s.lookup(k);
  if (e === undefined) return null;
  const v = e.v;
  if (hasField) return !isStr(v) && v.type === 'hash' ? (v.m.get(pattern.slice(arrow + 2)) ?? null) : null;
  return isStr(v) ? strBuffer(v) : null;
}

/**
 * strtod as sort.c uses it: the whole text (leading spaces allowed) must be a non-NaN
 * double, infinities and hexadecimal integers included (hex fractions are not handled).
 */
function sortDouble(b: Buffer): number | null {
  const t = b.toString('latin1');
  const hex = /^\s*([+-]?)0x([0-9a-f]+)$/i.exec(t);
  if (hex !== null) return (hex[1] === '-' ? -1 : 1) * Number.parseInt(hex[2]!, 16);
  if (!/^\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?)$/i.test(t)) return null;
  const x = t.trim().replace(/inf(inity)?$/i, 'Infinity');
  const v = Number(x);
  return Number.isNaN(v) ? null : v;
}

const bytesCmp = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

interface Item {
  readonly elem: Buffer;
  score: number;
  cmp: Buffer | null;
}

/** The elements to sort, with redis's direct-range shortcut for lists and zsets under nosort. */
function loadItems(v: Container | undefined, o: SortArgs, range: [number, number]): Buffer[] {
  if (v === undefined) return [];
  if (v.type === 'list') {
    const a = v.a.toArray();
    if (!o.dontsort) return a;
    if (range[1] < range[0]) return [];
    const ordered = o.desc ? a.reverse() : a;
    return ordered.slice(range[0], range[1] + 1);
  }
  if (v.type === 'set') return [...v.s].map(keyBuf);
  if (v.type === 'zset') {
    const items = v.sorted.map((it) => keyBuf(it.member));
    if (!o.dontsort) return items;
    if (range[1] < range[0]) return [];
    return (o.desc ? items.reverse() : items).slice(range[0], range[1] + 1);
  }
  return [];
}

function limitRange(o: SortArgs, len: number): [number, number] {
  let start = o.limitStart < 0 ? 0 : o.limitStart;
  let end = o.limitCount < 0 ? len - 1 : start + o.limitCount - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  return [start, end];
}

function sortGeneric(s: StoreOps, argv: readonly Buffer[], readonly: boolean): Reply {
  const o = parseSortArgs(argv, readonly);
  if (!('desc' in o)) return o;
  const e = s.lookup(key(argv[1]!));
  const v = e?.v;
  if (v !== undefined && (isStr(v) || (v.type !== 'list' && v.type !== 'set' && v.type !== 'zset'))) return E.wrongType;
  const len = v === undefined ? 0 : v.type === 'list' ? v.a.length : v.type === 'set' ? v.s.size : v.type === 'zset' ? v.scores.size : 0;
  // A set has no order of its own: STORE of an unsorted set is sorted ALPHA (sort.c).
  if (o.dontsort && v?.type === 'set' && o.store !== null) Object.assign(o, { dontsort: false, alpha: true, by: null });
  let [start, end] = limitRange(o, len);
  const direct = (v?.type === 'list' || v?.type === 'zset') && o.dontsort;
  const items: Item[] = loadItems(v, o, [start, end]).map((elem) => ({ elem, score: 0, cmp: null }));
  if (direct) [start, end] = [0, end - start];
  if (!o.dontsort) {
    for (const it of items) {
      const w = o.by === null ? it.elem : byPattern(s, o.by, it.elem);
      if (w === null) continue;
      if (o.alpha) {
        if (o.by !== null) it.cmp = w;
      } else {
        const d = sortDouble(w);
        if (d === null) return notDouble;
        it.score = d;
      }
    }
    items.sort((a, b) => (o.desc ? -1 : 1) * compare(a, b, o));
  }
  const out = items.slice(Math.max(0, start), end + 1);
  return o.store === null ? reply(s, o, out) : store(s, o, o.store, out);
}

function compare(a: Item, b: Item, o: SortArgs): number {
  if (!o.alpha) return a.score !== b.score ? (a.score < b.score ? -1 : 1) : bytesCmp(a.elem, b.elem);
  if (o.by === null) return bytesCmp(a.elem, b.elem);
  if (a.cmp === null || b.cmp === null) return a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1;
  return bytesCmp(a.cmp, b.cmp);
}

function reply(s: StoreOps, o: SortArgs, out: Item[]): Reply {
  if (o.gets.length === 0) return array(out.map((it) => bulk(it.elem)));
  return array(out.flatMap((it) => o.gets.map((g) => {
    const x = byPattern(s, g, it.elem);
    return x === null ? NULL : bulk(x);
  })));
}

function store(s: StoreOps, o: SortArgs, dst: Buffer, out: Item[]): Reply {
  const elems: Buffer[] = o.gets.length === 0 ? out.map((it) => it.elem) : out.flatMap((it) => o.gets.map((g) => byPattern(s, g, it.elem) ?? Buffer.alloc(0)));
  const copies = elems.map((b) => Buffer.from(b));
  const k = key(dst);
  s.remove(k);
  const muts: Buffer[][] = [[DEL, dst]];
  if (copies.length > 0) {
    const l = newList();
    const e = s.create(k, l, Infinity);
    for (const b of copies) (l.a.pushBack(b), (l.bytes += listElementBytes(b)));
    s.wrote(e);
    for (let i = 0; i < copies.length; i += sortStoreBatchMax) muts.push([RPUSH, dst, ...copies.slice(i, i + sortStoreBatchMax)]);
  }
  s.propagate(muts);
  return int(copies.length);
}

export const sort: Handler = (s, argv) => sortGeneric(s, argv, false);
export const sortRo: Handler = (s, argv) => sortGeneric(s, argv, true);
