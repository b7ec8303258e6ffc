// JSON documents, compatible with RedisJSON v2 for the common cases (see json.ts and
// jsonpath.ts). `$` paths answer arrays of matches; legacy paths answer one value.
// Every write that changes a document is logged as `JSON.SET key $ <whole document>`
// (or DEL when the root is deleted): replay never evaluates a path or an increment.

import { array, bulkStr, err, int, NULL, OK, simple, ZERO, type Reply } from '../../net/reply';
import { cloneJson, jsonTypeName, parseJson, serializeJson, type J } from './json';
import { evalPath, parsePath, replaceAt, type JPath, type Match } from './jsonpath';
import type { Entry, Handler, StoreOps } from './types';
import { E, key, lookupTyped, upper } from './util';
import { newJson, setJson, type JsonVal } from './values';

const JSON_SET = Buffer.from('JSON.SET');
const DOLLAR = Buffer.from('$');
const DEL = Buffer.from('DEL');

const noKey = err("ERR could not perform this operation on a key that doesn't exist");
const newAtRoot = err('ERR new objects must be created at the root');
const pathMissing = (p: JPath): Reply => err(`ERR Path '${p.text}' does not exist`);
const badPath = (text: string): Reply => err(`ERR invalid JSONPath '${text}'`);
/** RedisJSON's legacy-path error for a missing path or a value of the wrong type. */
const notA = (p: JPath, what: string): Reply => err(`ERR Path '${p.text}' does not exist or ${what}`);

type Doc = { readonly e: Entry; readonly v: JsonVal };

function path(b: Buffer | undefined): JPath | Reply {
  const text = b === undefined ? '.' : b.toString('utf8');
  return parsePath(text) ?? badPath(text);
}

const isReply = (x: object | undefined): x is Reply => x !== undefined && 't' in x;

/** Log the document as a whole (or its deletion) after a change. */
function logDoc(s: StoreOps, k: Buffer, d: Doc): void {
  setJson(d.v, d.v.doc);
  s.wrote(d.e);
  s.propagate([[JSON_SET, k, DOLLAR, Buffer.from(serializeJson(d.v.doc), 'utf8')]]);
}

function doc(s: StoreOps, k: Buffer): Doc | undefined | Reply {
  const t = lookupTyped(s, key(k), 'json');
  return t === 'wrongtype' ? E.wrongType : t;
}

// ---- JSON.SET -------------------------------------------------------------------------

export const jsonSet: Handler = (s, argv) => {
  const p = path(argv[2]);
  if (isReply(p)) return p;
  const parsed = parseJson(argv[3]!);
  if (!parsed.ok) return err(parsed.error);
  let cond: 'NX' | 'XX' | null = null;
  for (let i = 4; i < argv.length; i++) {
    const a = upper(argv[i]!);
    if ((a === 'NX' || a === 'XX') && cond === null) cond = a;
    else return E.syntax;
  }
  const d = doc(s, argv[1]!);
  if (isReply(d)) return d;
  if (d === undefined) {
    if (p.segs.length > 0) return newAtRoot;
    if (cond === 'XX') return NULL;
    s.create(key(argv[1]!), newJson(parsed.j), Infinity);
    s.propagate([[JSON_SET, argv[1]!, DOLLAR, Buffer.from(serializeJson(parsed.j), 'utf8')]]);
    return OK;
  }
  const matches = evalPath(d.v.doc, p);
  if (matches.length > 0) {
    if (cond === 'NX') return NULL;
    for (const m of matches) {
      if (m.parent === null) d.v.doc = cloneJson(parsed.j);
      else replaceAt(m, cloneJson(parsed.j));
    }
  } else {
    if (cond === 'XX' || !addMissing(d.v.doc, p, parsed.j)) return NULL;
  }
  logDoc(s, argv[1]!, d);
  return OK;
};

/** A path whose last step is a missing child of existing objects: add the key there. */
function addMissing(root: J, p: JPath, x: J): boolean {
  const last = p.segs[p.segs.length - 1];
  if (last === undefined || last.t !== 'child') return false;
  const parents = evalPath(root, { ...p, segs: p.segs.slice(0, -1) }).filter((m) => m.value.t === 'obj');
  for (const m of parents) if (m.value.t === 'obj') m.value.m.set(last.name, cloneJson(x));
  return parents.length > 0;
}

// ---- JSON.GET / JSON.MGET -------------------------------------------------------------

const formatOptions = new Set(['INDENT', 'NEWLINE', 'SPACE']);

export const jsonGet: Handler = (s, argv) => {
  const paths: JPath[] = [];
  for (let i = 2; i < argv.length; i++) {
    // INDENT/NEWLINE/SPACE parse (with their value) and are ignored: output is compact.
    if (formatOptions.has(upper(argv[i]!)) && i + 1 < argv.length) {
      i++;
      continue;
    }
    const p = path(argv[i]);
    if (isReply(p)) return p;
    paths.push(p);
  }
  if (paths.length === 0) paths.push(parsePath('.')!);
  const d = doc(s, argv[1]!);
  if (isReply(d)) return d;
  if (d === undefined) return NULL;
  if (paths.length === 1) {
    const r = render(d.v.doc, paths[0]!, paths[0]!.legacy);
    return typeof r === 'string' ? bulkStr(r) : r;
  }
  const legacy = paths.every((p) => p.legacy);
  const parts = new Map<string, string>();
  for (const p of paths) {
    const r = render(d.v.doc, p, legacy);
    if (typeof r !== 'string') return r;
    parts.set(p.text, r);
  }
  // Keys in byte order: RedisJSON's documented example answers `"$..b"` before `"..a"`.
  const keys = [...parts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return bulkStr(`{${keys.map((k) => `${JSON.stringify(k)}:${parts.get(k)!}`).join(',')}}`);
}

/** One path's answer: the first match (legacy) or the array of all matches. */
function render(root: J, p: JPath, legacy: boolean): string | Reply {
  const ms = evalPath(root, p);
  if (!legacy) return `[${ms.map((m) => serializeJson(m.value)).join(',')}]`;
  return ms.length === 0 ? pathMissing(p) : serializeJson(ms[0]!.value);
}

export const jsonMget: Handler = (s, argv) => {
  const p = path(argv[argv.length - 1]);
  if (isReply(p)) return p;
  const out: Reply[] = [];
  for (let i = 1; i < argv.length - 1; i++) {
    const d = doc(s, argv[i]!);
    if (d === undefined || isReply(d)) {
      out.push(NULL);
      continue;
    }
    const r = render(d.v.doc, p, p.legacy);
    out.push(typeof r === 'string' ? bulkStr(r) : NULL);
  }
  return array(out);
};

// ---- JSON.DEL -------------------------------------------------------------------------

export const jsonDel: Handler = (s, argv) => {
  if (argv.length > 3) return err(`ERR wrong number of arguments for '${argv[0]!.toString('latin1').toLowerCase()}' command`);
  const p = path(argv[2]);
  if (isReply(p)) return p;
  const d = doc(s, argv[1]!);
  if (isReply(d)) return d;
  if (d === undefined) return ZERO;
  const ms = uniqueMatches(evalPath(d.v.doc, p));
  if (ms.length === 0) return ZERO;
  if (ms.some((m) => m.parent === null)) {
    s.remove(key(argv[1]!));
    s.propagate([[DEL, argv[1]!]]);
    return int(1);
  }
  // Array elements go from the highest index down, so earlier deletions do not shift later ones.
  const ordered = [...ms].sort((a, b) => (typeof a.key === 'number' && typeof b.key === 'number' ? b.key - a.key : 0));
  for (const m of ordered) {
    if (m.parent?.t === 'obj') m.parent.m.delete(m.key as string);
    else if (m.parent?.t === 'arr') m.parent.a.splice(m.key as number, 1);
  }
  logDoc(s, argv[1]!, d);
  return int(ms.length);
};

function uniqueMatches(ms: Match[]): Match[] {
  const seen = new Map<J | null, Set<string | number>>();
  return ms.filter((m) => {
    const keys = seen.get(m.parent) ?? new Set();
    seen.set(m.parent, keys);
    if (keys.has(m.key)) return false;
    keys.add(m.key);
    return true;
  });
}

// ---- JSON.TYPE, STRLEN, ARRLEN, OBJKEYS (reads of one path) ----------------------------

/**
 * Shared shape: per match a reply or null (value of another type). A `$` path answers the
 * array; a legacy path answers its first match, or `notWhat`'s error (TYPE: nil).
 */
function readPath(s: StoreOps, argv: readonly Buffer[], notWhat: string | null, f: (j: J) => Reply | null): Reply {
  if (argv.length > 3) return err(`ERR wrong number of arguments for '${argv[0]!.toString('latin1').toLowerCase()}' command`);
  const p = path(argv[2]);
  if (isReply(p)) return p;
  const d = doc(s, argv[1]!);
  if (isReply(d)) return d;
  if (d === undefined) return NULL;
  const ms = evalPath(d.v.doc, p);
  if (!p.legacy) return array(ms.map((m) => f(m.value) ?? NULL));
  const first = ms.length === 0 ? null : f(ms[0]!.value);
  return first ?? (notWhat === null ? NULL : notA(p, notWhat));
}

export const jsonType: Handler = (s, argv) => {
  const legacy = argv[2] === undefined || !argv[2].toString('utf8').startsWith('$');
  return readPath(s, argv, null, (j) => (legacy ? simple(jsonTypeName[j.t]) : bulkStr(jsonTypeName[j.t])));
};

export const jsonStrlen: Handler = (s, argv) =>
  readPath(s, argv, 'not a string', (j) => (j.t === 'str' ? int(Buffer.byteLength(j.v, 'utf8')) : null));

export const jsonArrlen: Handler = (s, argv) => readPath(s, argv, 'not an array', (j) => (j.t === 'arr' ? int(j.a.length) : null));

export const jsonObjkeys: Handler = (s, argv) =>
  readPath(s, argv, 'not an object', (j) => (j.t === 'obj' ? array([...j.m.keys()].map(bulkStr)) : null));

// ---- JSON.NUMINCRBY, JSON.ARRAPPEND (writes at a path) ---------------------------------

export const jsonNumincrby: Handler = (s, argv) => {
  const p = path(argv[2]);
  if (isReply(p)) return p;
  const by = parseJson(argv[3]!);
  if (!by.ok) return err(by.error);
  if (by.j.t !== 'int' && by.j.t !== 'float') return err('ERR expected a number');
  const d = doc(s, argv[1]!);
  if (isReply(d)) return d;
  if (d === undefined) return noKey;
  const ms = evalPath(d.v.doc, p);
  if (p.legacy && ms.every((m) => m.value.t !== 'int' && m.value.t !== 'float')) return notA(p, 'does not contains a number');
  const results: (J | null)[] = [];
  for (const m of ms) {
    const next = addNumbers(m.value, by.j);
    if (next === 'overflow') return err('ERR result is an overflow');
    results.push(next);
  }
  let changed = false;
  ms.forEach((m, i) => {
    const x = results[i];
    if (x === null || x === undefined) return;
    changed = true;
    if (m.parent === null) d.v.doc = x;
    else replaceAt(m, x);
  });
  if (changed) logDoc(s, argv[1]!, d);
  if (p.legacy) return bulkStr(serializeJson([...results].reverse().find((x) => x !== null) ?? { t: 'null' }));
  return bulkStr(`[${results.map((x) => (x === null ? 'null' : serializeJson(x))).join(',')}]`);
};

/** int + int stays an integer while it is exact; anything else is a float. */
function addNumbers(a: J, b: J): J | null | 'overflow' {
  if ((a.t !== 'int' && a.t !== 'float') || (b.t !== 'int' && b.t !== 'float')) return null;
  const v = a.v + b.v;
  if (!Number.isFinite(v)) return 'overflow';
  return a.t === 'int' && b.t === 'int' && Number.isSafeInteger(v) ? { t: 'int', v } : { t: 'float', v };
}

export const jsonArrappend: Handler = (s, argv) => {
  const p = path(argv[2]);
  if (isReply(p)) return p;
  const values: J[] = [];
  for (let i = 3; i < argv.length; i++) {
    const r = parseJson(argv[i]!);
    if (!r.ok) return err(r.error);
    values.push(r.j);
  }
  const d = doc(s, argv[1]!);
  if (isReply(d)) return d;
  if (d === undefined) return noKey;
  const ms = evalPath(d.v.doc, p);
  if (p.legacy && ms.every((m) => m.value.t !== 'arr')) return notA(p, 'not an array');
  const lens: Reply[] = ms.map((m) => {
    if (m.value.t !== 'arr') return NULL;
    for (const x of values) m.value.a.push(cloneJson(x));
    return int(m.value.a.length);
  });
  if (lens.some((r) => r.t === 'int')) logDoc(s, argv[1]!, d);
  if (p.legacy) return [...lens].reverse().find((r) => r.t === 'int')!;
  return array(lens);
};
