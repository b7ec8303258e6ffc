// Blocking list and sorted-set commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN,
// BZPOPMAX, BLMPOP, BZMPOP) as part of the Core state machine. A blocked request waits in
// FIFO order per key; after any entry modifies a key, the Core serves the oldest waiters of
// that key first, one element each (BLMPOP/BZMPOP: up to their COUNT), so an element wakes
// exactly one client. Timeouts run on the Core's own clock
// input, like everything else in core/, so the simulator drives and skews them.

import { array, bulk, err, NULL, NULL_ARRAY, type Reply } from '../../net/reply';
import { parseMpop } from '../store/util';
import type { NodeId } from '../../net/types';
import type { AckLevel } from './protocol';

export type BlockingKind = 'blpop' | 'brpop' | 'blmove' | 'brpoplpush' | 'bzpopmin' | 'bzpopmax' | 'blmpop' | 'bzmpop';

export const blockingKinds: ReadonlySet<string> = new Set<BlockingKind>(['blpop', 'brpop', 'blmove', 'brpoplpush', 'bzpopmin', 'bzpopmax', 'blmpop', 'bzmpop']);

/** Most blocked requests the Core holds at once; more answer an error instead of blocking. */
export const blockedRequestsMax = 100_000;

export interface BlockedRequest {
  readonly seq: number;
  readonly from: NodeId;
  readonly req: number;
  readonly kind: BlockingKind;
  /** The keys it waits on (for BLMOVE/BRPOPLPUSH: the source). */
  readonly keys: readonly Buffer[];
  /** BLMOVE/BRPOPLPUSH destination and directions; BLMPOP/BZMPOP end and count. */
  readonly rest: readonly Buffer[];
  readonly db: number;
  readonly user: string | null;
  readonly ack: AckLevel;
  /** Local clock deadline; Infinity for timeout 0 (wait forever). */
  readonly deadlineMs: number;
}

export type ParsedBlocking =
  | { readonly ok: true; readonly kind: BlockingKind; readonly keys: readonly Buffer[]; readonly rest: readonly Buffer[]; readonly timeoutMs: number }
  | { readonly ok: false; readonly reply: Reply };

const arityErr = (name: string): Reply => err(`ERR wrong number of arguments for '${name}' command`);

/** The timeout argument: fractional seconds, as Redis 6+. */
function parseTimeout(b: Buffer): number | Reply {
  const t = b.toString('latin1');
  const secs = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(secs)) return err('ERR timeout is not a float or out of range');
  if (secs < 0) return err('ERR timeout is negative');
  return secs * 1000;
}

/**
 * BLMPOP/BZMPOP timeout numkeys key... END [COUNT n]: the timeout first (Redis checks it
 * first), then the rest as LMPOP/ZMPOP parse it; `rest` carries the end and the count.
 */
function parseBlockingMpop(kind: 'blmpop' | 'bzmpop', argv: readonly Buffer[]): ParsedBlocking {
  if (argv.length < 5) return { ok: false, reply: arityErr(kind) };
  const timeoutMs = parseTimeout(argv[1]!);
  if (typeof timeoutMs !== 'number') return { ok: false, reply: timeoutMs };
  const a = parseMpop(argv.slice(1), kind === 'blmpop' ? (['LEFT', 'RIGHT'] as const) : (['MIN', 'MAX'] as const));
  if ('t' in a) return { ok: false, reply: a };
  return { ok: true, kind, keys: a.keys, rest: [Buffer.from(a.where), Buffer.from(String(a.count))], timeoutMs };
}

/** Parse a blocking command's arguments. */
export function parseBlocking(kind: BlockingKind, argv: readonly Buffer[]): ParsedBlocking {
  if (kind === 'blmpop' || kind === 'bzmpop') return parseBlockingMpop(kind, argv);
  const n = argv.length;
  let keys: Buffer[];
  let rest: Buffer[] = [];
  switch (kind) {
    case 'blpop':
    case 'brpop':
    case 'bzpopmin':
    case 'bzpopmax':
      if (n < 3) return { ok: false, reply: arityErr(kind) };
      keys = argv.slice(1, n - 1);
      break;
    case 'brpoplpush':
      if (n !== 4) return { ok: false, reply: arityErr(kind) };
      keys = [argv[1]!];
      rest = [argv[2]!];
      break;
    case 'blmove': {
      if (n !== 6) return { ok: false, reply: arityErr(kind) };
      const from = argv[3]!.toString('latin1').toLowerCase();
      const to = argv[4]!.toString('latin1').toLowerCase();
      if ((from !== 'left' && from !== 'right') || (to !== 'left' && to !== 'right')) return { ok: false, reply: err('ERR syntax error') };
      keys = [argv[1]!];
      rest = [argv[2]!, argv[3]!, argv[4]!];
      break;
    }
  }
  const timeoutMs = parseTimeout(argv[n - 1]!);
  if (typeof timeoutMs !== 'number') return { ok: false, reply: timeoutMs };
  return { ok: true, kind, keys, rest, timeoutMs };
}

/** The non-blocking command that serves one attempt on `key`. */
export function attemptArgv(kind: BlockingKind, key: Buffer, rest: readonly Buffer[]): Buffer[] {
  switch (kind) {
    case 'blpop':
      return [LPOP, key];
    case 'brpop':
      return [RPOP, key];
    case 'bzpopmin':
      return [ZPOPMIN, key];
    case 'bzpopmax':
      return [ZPOPMAX, key];
    case 'brpoplpush':
      return [RPOPLPUSH, key, rest[0]!];
    case 'blmove':
      return [LMOVE, key, rest[0]!, rest[1]!, rest[2]!];
    case 'blmpop':
      return [rest[0]!.toString('latin1') === 'LEFT' ? LPOP : RPOP, key, rest[1]!];
    case 'bzmpop':
      return [rest[0]!.toString('latin1') === 'MIN' ? ZPOPMIN : ZPOPMAX, key, rest[1]!];
  }
}

/**
 * The blocking command's reply from its attempt's reply, or null when the attempt found
 * nothing (keep waiting). Errors (WRONGTYPE, NOPERM) end the wait with that error.
 */
export function blockingReply(kind: BlockingKind, key: Buffer, r: Reply): Reply | null {
  if (r.t === 'error') return r;
  switch (kind) {
    case 'blpop':
    case 'brpop':
      return r.t === 'bulk' || r.t === 'latin1' ? array([bulk(key), r]) : null;
    case 'bzpopmin':
    case 'bzpopmax':
      return r.t === 'array' && r.items.length >= 2 ? array([bulk(key), r.items[0]!, r.items[1]!]) : null;
    case 'blmove':
    case 'brpoplpush':
      return r.t === 'bulk' || r.t === 'latin1' ? r : null;
    case 'blmpop':
      // LPOP key count: the elements, or a null array for a missing key.
      return r.t === 'array' && r.items.length > 0 ? array([bulk(key), r]) : null;
    case 'bzmpop':
      // ZPOPMIN key count answers pairs; BZMPOP nests [member, score] in RESP2 too, as ZMPOP.
      return r.t === 'pairs' && r.entries.length > 0 ? array([bulk(key), array(r.entries.map(([m, sc]) => array([m, sc])))]) : null;
  }
}

/**
 * The type of value a blocking kind waits on. A waiter is served only when its key holds that
 * type (Redis serves a ready key only of the waited-for type): `MULTI; LPUSH k x; DEL k; SET k v;
 * EXEC` leaves a BLPOP on k blocked. Once served, an attempt's error (a BLMOVE destination of
 * another type) is the waiter's answer.
 */
export function waitedType(kind: BlockingKind): 'list' | 'zset' {
  switch (kind) {
    case 'blpop':
    case 'brpop':
    case 'blmove':
    case 'brpoplpush':
    case 'blmpop':
      return 'list';
    case 'bzpopmin':
    case 'bzpopmax':
    case 'bzmpop':
      return 'zset';
  }
}

/** What a blocking command answers when it times out (Redis: a null array for every kind). */
export const TIMEOUT_REPLY: Reply = NULL_ARRAY;

/** What it answers inside MULTI when there is nothing to pop (Redis runs the non-blocking form). */
export function emptyInMultiReply(kind: BlockingKind): Reply {
  return kind === 'blmove' || kind === 'brpoplpush' ? NULL : NULL_ARRAY;
}

const LPOP = Buffer.from('LPOP');
const RPOP = Buffer.from('RPOP');
const ZPOPMIN = Buffer.from('ZPOPMIN');
const ZPOPMAX = Buffer.from('ZPOPMAX');
const RPOPLPUSH = Buffer.from('RPOPLPUSH');
const LMOVE = Buffer.from('LMOVE');
