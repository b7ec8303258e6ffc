// Keyspace extras (db.c, object.c): COPY, MOVE, SWAPDB, OBJECT, MEMORY USAGE, TOUCH, and
// KSRESTORE, the internal restore COPY logs so that replay never depends on the source.
//
// Replication:
//   COPY   -> KSRESTORE <dst> <deadlineMs|-1> <dumped value>, in the destination db
//   MOVE   -> logged as is (replaying it on an identical state moves the same value)
//   SWAPDB -> logged as is
// Two-database commands check the caller's ACL for the other database too.

import { bulkStr, err, int, NULL, OK, ONE, simple, ZERO, type Reply } from '../../net/reply';
import { dbAllowed, noPermDb } from './acl';
import { copyValue, dumpValue, loadValue } from './dump';
import { parseIntArg } from './numbers';
import type { Entry, Handler, Session, StoreOps } from './types';
import { E, key, lruIdleSeconds, upper } from './util';
import { isStr, strBuffer, type Value } from './values';

const KSRESTORE = Buffer.from('KSRESTORE');
const sameObject = err('ERR source and destination objects are the same');
const dbOutOfRange = err('ERR DB index is out of range');

/** A database index argument, checked for range and for the caller's ACL. */
function targetDb(s: StoreOps, arg: Buffer, session: Session, notInt: Reply = E.notInteger): number | Reply {
  const db = parseIntArg(arg);
  if (db === null) return notInt;
  if (db < 0 || db >= s.databases) return dbOutOfRange;
  if (session.user !== null) {
    const u = s.users().get(session.user);
    if (u === undefined || !dbAllowed(u, db)) return err(noPermDb(db));
  }
  return db;
}

export const copy: Handler = (s, argv, session) => {
  let dst = s.currentDb;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    const a = upper(argv[i]!);
    if (a === 'REPLACE') replace = true;
    else if (a === 'DB' && i + 1 < argv.length) {
      const db = targetDb(s, argv[++i]!, session);
      if (typeof db !== 'number') return db;
      dst = db;
    } else return E.syntax;
  }
  const from = key(argv[1]!);
  const to = key(argv[2]!);
  if (dst === s.currentDb && from === to) return sameObject;
  const src = s.lookup(from);
  if (src === undefined) return ZERO;
  const deadline = src.expireAtMs;
  const copied = s.inDb(dst, () => {
    if (s.lookup(to) !== undefined) {
      if (!replace) return null;
      s.remove(to);
    }
    return s.create(to, copyValue(src.v), deadline).v;
  });
  if (copied === null) return ZERO;
  s.propagateMutations([{ db: dst, argv: restoreArgv(argv[2]!, copied, deadline) }]);
  return ONE;
};

function restoreArgv(k: Buffer, v: Value, deadline: number): Buffer[] {
  return [KSRESTORE, k, Buffer.from(deadline === Infinity ? '-1' : String(deadline)), dumpValue(v)];
}

/** KSRESTORE key deadlineMs|-1 payload: replace the key with the dumped value. Internal. */
export const ksrestore: Handler = (s, argv) => {
  const k = key(argv[1]!);
  const deadline = parseIntArg(argv[2]!);
  if (deadline === null || (deadline < 0 && deadline !== -1)) return E.notInteger;
  const v = loadValue(argv[3]!);
  if (v === null) return err('ERR DUMP payload version or checksum are wrong');
  s.remove(k);
  s.create(k, v, deadline === -1 ? Infinity : deadline);
  return OK;
};

export const move: Handler = (s, argv, session) => {
  const dst = targetDb(s, argv[2]!, session);
  if (typeof dst !== 'number') return dst;
  if (dst === s.currentDb) return sameObject;
  const k = key(argv[1]!);
  const e = s.lookup(k);
  if (e === undefined) return ZERO;
  const moved = s.inDb(dst, () => {
    if (s.lookup(k) !== undefined) return false;
    s.create(k, e.v, e.expireAtMs);
    return true;
  });
  if (!moved) return ZERO;
  s.remove(k);
  return ONE;
};

export const swapdb: Handler = (s, argv, session) => {
  const a = targetDb(s, argv[1]!, session, err('ERR invalid first DB index'));
  if (typeof a !== 'number') return a;
  const b = targetDb(s, argv[2]!, session, err('ERR invalid second DB index'));
  if (typeof b !== 'number') return b;
  s.swapDbs(a, b);
  return OK;
};

export const touch: Handler = (s, argv) => {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (s.lookup(key(argv[i]!)) !== undefined) n++;
  return int(n);
};

// ---- OBJECT ---------------------------------------------------------------------------

/** redis 7.0 defaults that decide the compact encodings. */
export const hashListpackEntriesMax = 128;
export const hashListpackValueBytesMax = 64;
export const zsetListpackEntriesMax = 128;
export const zsetListpackValueBytesMax = 64;
export const setIntsetEntriesMax = 512;
/** Strings up to this length are allocated with their object header (embstr). */
export const embstrBytesMax = 44;

const lfuNotSelected =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
const lfuSelected =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

const objectHelp = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

const isInt64Text = (b: Buffer): boolean => b.length <= 20 && /^(0|-?[1-9]\d*)$/.test(b.toString('latin1')) && withinInt64(b);
const withinInt64 = (b: Buffer): boolean => {
  const n = BigInt(b.toString('latin1'));
  return n >= -(2n ** 63n) && n < 2n ** 63n;
};

/**
 * Redis 7.0's encoding names, decided from the value's current size (an approximation:
 * redis never converts back to the compact form, and APPEND/SETRANGE make a string `raw`
 * whatever its length; we answer from the current content). Lists are `quicklist` in
 * 7.0 whatever their size (7.2 would answer `listpack` for small ones). A JSON document
 * is a module value: `raw`, as redis answers for module types.
 */
export function encodingOf(v: Value): string {
  if (isStr(v)) return isInt64Text(strBuffer(v)) ? 'int' : v.length <= embstrBytesMax ? 'embstr' : 'raw';
  switch (v.type) {
    case 'list':
      return 'quicklist';
    case 'hash': {
      if (v.m.size > hashListpackEntriesMax) return 'hashtable';
      for (const [f, x] of v.m) if (f.length > hashListpackValueBytesMax || x.length > hashListpackValueBytesMax) return 'hashtable';
      return 'listpack';
    }
    case 'set': {
      if (v.s.size > setIntsetEntriesMax) return 'hashtable';
      for (const m of v.s) if (!isInt64Text(Buffer.from(m, 'latin1'))) return 'hashtable';
      return 'intset';
    }
    case 'zset': {
      if (v.scores.size > zsetListpackEntriesMax) return 'skiplist';
      for (const m of v.scores.keys()) if (m.length > zsetListpackValueBytesMax) return 'skiplist';
      return 'listpack';
    }
    case 'json':
      return 'raw';
    default:
      return unreachableValue(v);
  }
}

type ObjectSub = 'ENCODING' | 'FREQ' | 'IDLETIME' | 'REFCOUNT';

const objectAnswer = {
  ENCODING: (_s, e) => bulkStr(encodingOf(e.v)),
  FREQ: (s, e) => (s.policy === 'allkeys-lfu' ? int(s.lfuCount(e)) : err(lfuNotSelected)),
  IDLETIME: (s, e) => (s.policy === 'allkeys-lfu' ? err(lfuSelected) : int(lruIdleSeconds(s.nowMs, e.lru))),
  REFCOUNT: () => ONE,
} as const satisfies Record<ObjectSub, (s: StoreOps, e: Entry) => Reply>;

export const object: Handler = (s, argv) => {
  const sub = upper(argv[1]!);
  if (sub === 'HELP' && argv.length === 2) return { t: 'array', items: objectHelp.map(simple) };
  if (!(sub in objectAnswer)) return err(`ERR unknown subcommand '${argv[1]!.toString('latin1')}'. Try OBJECT HELP.`);
  if (argv.length !== 3) return err(`ERR wrong number of arguments for 'object|${sub.toLowerCase()}' command`);
  const e = s.lookupNoTouch(key(argv[2]!));
  if (e === undefined) return NULL;
  return objectAnswer[sub as ObjectSub](s, e);
};

// ---- MEMORY ---------------------------------------------------------------------------

/** Redis's MEMORY HELP, limited to the subcommands we answer. */
const memoryHelp = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value (our estimate: see values.ts).',
  'HELP',
  '    Prints this help.',
];

/**
 * MEMORY USAGE answers our own per-key accounting (values.ts), the same figure maxmemory
 * and eviction use: entryOverheadBytes + key bytes + the value's payload estimate. It is
 * not redis's allocator figure. SAMPLES is parsed and ignored (our count is exact).
 */
export const memory: Handler = (s, argv) => {
  const sub = upper(argv[1]!);
  if (sub === 'HELP' && argv.length === 2) {
    return { t: 'array', items: memoryHelp.map(simple) };
  }
  if (sub !== 'USAGE') return err(`ERR unknown subcommand '${argv[1]!.toString('latin1')}'. Try MEMORY HELP.`);
  if (argv.length < 3) return err("ERR wrong number of arguments for 'memory|usage' command");
  for (let i = 3; i < argv.length; i++) {
    if (upper(argv[i]!) === 'SAMPLES' && i + 1 < argv.length) {
      if (parseIntArg(argv[++i]!) === null) return E.notInteger;
    } else return E.syntax;
  }
  const e = s.lookupNoTouch(key(argv[2]!));
  return e === undefined ? NULL : int(e.chargedBytes);
};

function unreachableValue(x: never): never {
  throw new Error(`unreachable value ${String(x)}`);
}
