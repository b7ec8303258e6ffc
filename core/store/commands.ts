// The command table: every store command described once (redis's commands.def idea).
// Arity counts the command name; negative = at least |arity|. Key positions follow
// redis (first, last, step; last -1 = the final argument). Arity and ACL are checked in
// one place (Store.execute) before a handler runs.

import { rolesFor } from './acl';
import * as b from './cmd-bits';
import * as h from './cmd-hashes';
import * as j from './cmd-json';
import * as k from './cmd-keys';
import * as ks from './cmd-keyspace';
import * as so from './cmd-sort';
import * as l from './cmd-lists';
import * as st from './cmd-sets';
import * as s from './cmd-strings';
import * as u from './cmd-users';
import * as z from './cmd-zsets';
import { parseIntArg } from './numbers';
import type { CommandFlag, CommandSpec, Handler } from './types';

export type StoreCommand = CommandSpec<Handler>;

const W: readonly CommandFlag[] = ['write', 'denyoom'];
const WF: readonly CommandFlag[] = ['write', 'denyoom', 'fast'];
/** Writes that only shrink memory: allowed even when over maxmemory. */
const D: readonly CommandFlag[] = ['write'];
const DF: readonly CommandFlag[] = ['write', 'fast'];
const R: readonly CommandFlag[] = ['readonly'];
const RF: readonly CommandFlag[] = ['readonly', 'fast'];
const A: readonly CommandFlag[] = ['write', 'admin'];

function cmd(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  keys: readonly [number, number, number],
  handler: Handler,
  numkeysAt?: number,
): StoreCommand {
  const c = { name, arity, flags, firstKey: keys[0], lastKey: keys[1], keyStep: keys[2], roles: rolesFor(flags), handler };
  return numkeysAt === undefined ? c : { ...c, numkeysAt };
}

const K1 = [1, 1, 1] as const;
const KALL = [1, -1, 1] as const;
const KPAIRS = [1, -1, 2] as const;
const K12 = [1, 2, 1] as const;
const K0 = [0, 0, 0] as const;
const K2 = [2, 2, 1] as const;
const KBUTLAST = [1, -2, 1] as const;
/** Internal replication commands: admin only, as a client has no reason to send them. */
const INTERNAL: readonly CommandFlag[] = ['write', 'denyoom', 'admin'];

export const commandTable: readonly StoreCommand[] = [
  // strings and counters
  cmd('get', 2, RF, K1, s.get),
  cmd('set', -3, W, K1, s.set),
  cmd('setnx', 3, WF, K1, s.setnx),
  cmd('setex', 4, W, K1, s.setex),
  cmd('psetex', 4, W, K1, s.psetex),
  cmd('getset', 3, WF, K1, s.getset),
  cmd('getdel', 2, DF, K1, s.getdel),
  cmd('getex', -2, DF, K1, s.getex),
  cmd('mget', -2, RF, KALL, s.mget),
  cmd('mset', -3, W, KPAIRS, s.mset),
  cmd('msetnx', -3, W, KPAIRS, s.msetnx),
  cmd('append', 3, WF, K1, s.append),
  cmd('strlen', 2, RF, K1, s.strlen),
  cmd('getrange', 4, R, K1, s.getrange),
  cmd('setrange', 4, W, K1, s.setrange),
  cmd('substr', 4, R, K1, s.getrange),
  cmd('getbit', 3, RF, K1, b.getbit),
  cmd('setbit', 4, W, K1, b.setbit),
  cmd('bitcount', -2, R, K1, b.bitcount),
  cmd('bitpos', -3, R, K1, b.bitpos),
  cmd('bitop', -4, W, [2, -1, 1], b.bitop),
  cmd('incr', 2, WF, K1, s.incr),
  cmd('decr', 2, WF, K1, s.decr),
  cmd('incrby', 3, WF, K1, s.incrby),
  cmd('decrby', 3, WF, K1, s.decrby),
  cmd('incrbyfloat', 3, WF, K1, s.incrbyfloat),
  // keys
  cmd('del', -2, D, KALL, k.del),
  cmd('unlink', -2, DF, KALL, k.del),
  cmd('exists', -2, RF, KALL, k.exists),
  cmd('type', 2, RF, K1, k.type),
  cmd('expire', -3, DF, K1, k.expire),
  cmd('pexpire', -3, DF, K1, k.pexpire),
  cmd('expireat', -3, DF, K1, k.expireat),
  cmd('pexpireat', -3, DF, K1, k.pexpireat),
  cmd('ttl', 2, RF, K1, k.ttl),
  cmd('pttl', 2, RF, K1, k.pttl),
  cmd('expiretime', 2, RF, K1, k.expiretime),
  cmd('pexpiretime', 2, RF, K1, k.pexpiretime),
  cmd('persist', 2, DF, K1, k.persist),
  cmd('rename', 3, D, K12, k.rename),
  cmd('renamenx', 3, DF, K12, k.renamenx),
  cmd('keys', 2, R, K0, k.keys),
  cmd('scan', -2, R, K0, k.scan),
  cmd('randomkey', 1, R, K0, k.randomkey),
  cmd('dbsize', 1, RF, K0, k.dbsize),
  cmd('flushdb', -1, D, K0, k.flushdb),
  cmd('flushall', -1, D, K0, k.flushall),
  cmd('select', 2, RF, K0, k.select),
  cmd('copy', -3, W, K12, ks.copy),
  cmd('move', 3, DF, K1, ks.move),
  cmd('swapdb', 3, DF, K0, ks.swapdb),
  cmd('touch', -2, RF, KALL, ks.touch),
  cmd('object', -2, R, K2, ks.object),
  cmd('memory', -2, R, K2, ks.memory),
  cmd('sort', -2, W, K1, so.sort),
  cmd('sort_ro', -2, R, K1, so.sortRo),
  cmd('ksrestore', 4, INTERNAL, K1, ks.ksrestore),
  // hashes
  cmd('hset', -4, WF, K1, h.hset),
  cmd('hmset', -4, WF, K1, h.hmset),
  cmd('hsetnx', 4, WF, K1, h.hsetnx),
  cmd('hget', 3, RF, K1, h.hget),
  cmd('hmget', -3, RF, K1, h.hmget),
  cmd('hdel', -3, DF, K1, h.hdel),
  cmd('hgetall', 2, R, K1, h.hgetall),
  cmd('hkeys', 2, R, K1, h.hkeys),
  cmd('hvals', 2, R, K1, h.hvals),
  cmd('hstrlen', 3, RF, K1, h.hstrlen),
  cmd('hlen', 2, RF, K1, h.hlen),
  cmd('hexists', 3, RF, K1, h.hexists),
  cmd('hincrby', 4, WF, K1, h.hincrby),
  cmd('hincrbyfloat', 4, WF, K1, h.hincrbyfloat),
  cmd('hscan', -3, R, K1, h.hscan),
  cmd('hrandfield', -2, R, K1, h.hrandfield),
  // lists
  cmd('lpush', -3, WF, K1, l.lpush),
  cmd('rpush', -3, WF, K1, l.rpush),
  cmd('lpushx', -3, WF, K1, l.lpushx),
  cmd('rpushx', -3, WF, K1, l.rpushx),
  cmd('linsert', 5, W, K1, l.linsert),
  cmd('lpos', -3, R, K1, l.lpos),
  cmd('lpop', -2, DF, K1, l.lpop),
  cmd('rpop', -2, DF, K1, l.rpop),
  cmd('lrange', 4, R, K1, l.lrange),
  cmd('llen', 2, RF, K1, l.llen),
  cmd('lindex', 3, R, K1, l.lindex),
  cmd('lset', 4, W, K1, l.lset),
  cmd('lrem', 4, D, K1, l.lrem),
  cmd('ltrim', 4, D, K1, l.ltrim),
  cmd('lmove', 5, W, K12, l.lmove),
  cmd('rpoplpush', 3, W, K12, l.rpoplpush),
  // Keys follow numkeys (Redis 7.0 reports 0 0 0 and movablekeys). Logged as the LPOP/RPOP
  // on the one key it popped from, so what the Core asks of a mutation's keys sees that key.
  cmd('lmpop', -4, D, K0, l.lmpop, 1),
  // sorted sets
  cmd('zadd', -4, WF, K1, z.zadd),
  cmd('zrem', -3, DF, K1, z.zrem),
  cmd('zscore', 3, RF, K1, z.zscore),
  cmd('zincrby', 4, WF, K1, z.zincrby),
  cmd('zcard', 2, RF, K1, z.zcard),
  cmd('zrank', 3, RF, K1, z.zrank),
  cmd('zrevrank', 3, RF, K1, z.zrevrank),
  cmd('zrange', -4, R, K1, z.zrange),
  cmd('zrangebyscore', -4, R, K1, z.zrangebyscore),
  cmd('zcount', 4, RF, K1, z.zcount),
  cmd('zrevrange', -4, R, K1, z.zrevrange),
  cmd('zrevrangebyscore', -4, R, K1, z.zrevrangebyscore),
  cmd('zrangebylex', -4, R, K1, z.zrangebylex),
  cmd('zrevrangebylex', -4, R, K1, z.zrevrangebylex),
  cmd('zlexcount', 4, RF, K1, z.zlexcount),
  cmd('zmscore', -3, RF, K1, z.zmscore),
  cmd('zremrangebyrank', 4, D, K1, z.zremrangebyrank),
  cmd('zremrangebyscore', 4, D, K1, z.zremrangebyscore),
  cmd('zremrangebylex', 4, D, K1, z.zremrangebylex),
  cmd('zscan', -3, R, K1, z.zscan),
  cmd('zrangestore', -5, W, K12, z.zrangestore),
  // numkeys commands: K1 is the destination, the only key they write, as redis's own
  // first/last/step (1 1 1) says; their sources follow numkeys (numkeysAt; COMMAND INFO
  // adds movablekeys for it, as redis flags them). What the Core asks of keys (WATCH, blocked
  // clients) it asks of mutations, and these log DEL dst + ZADD dst, so it sees exactly dst.
  cmd('zunionstore', -4, W, K1, z.zunionstore, 2),
  cmd('zinterstore', -4, W, K1, z.zinterstore, 2),
  cmd('zdiffstore', -4, W, K1, z.zdiffstore, 2),
  cmd('zpopmin', -2, DF, K1, z.zpopmin),
  cmd('zpopmax', -2, DF, K1, z.zpopmax),
  cmd('zrandmember', -2, R, K1, z.zrandmember),
  // Keys follow numkeys, as for SINTERCARD below: 0 0 0 as Redis 7.0 reports. ZMPOP is logged
  // as the ZPOPMIN/ZPOPMAX on the one key it popped from (see LMPOP).
  cmd('zunion', -3, R, K0, z.zunion, 1),
  cmd('zinter', -3, R, K0, z.zinter, 1),
  cmd('zdiff', -3, R, K0, z.zdiff, 1),
  cmd('zintercard', -3, R, K0, z.zintercard, 1),
  cmd('zmpop', -4, D, K0, z.zmpop, 1),
  // sets
  cmd('sadd', -3, WF, K1, st.sadd),
  cmd('srem', -3, DF, K1, st.srem),
  cmd('smembers', 2, R, K1, st.smembers),
  cmd('sismember', 3, RF, K1, st.sismember),
  cmd('smismember', -3, RF, K1, st.smismember),
  cmd('scard', 2, RF, K1, st.scard),
  cmd('smove', 4, DF, K12, st.smove),
  cmd('sinter', -2, R, KALL, st.sinter),
  cmd('sunion', -2, R, KALL, st.sunion),
  cmd('sdiff', -2, R, KALL, st.sdiff),
  cmd('sinterstore', -3, W, KALL, st.sinterstore),
  cmd('sunionstore', -3, W, KALL, st.sunionstore),
  cmd('sdiffstore', -3, W, KALL, st.sdiffstore),
  cmd('spop', -2, DF, K1, st.spop),
  cmd('srandmember', -2, R, K1, st.srandmember),
  cmd('sscan', -3, R, K1, st.sscan),
  // numkeys-prefixed keys: Redis 7.0 too reports 0 0 0 (and movablekeys, which numkeysAt
  // gives); a read command's keys are never needed from the table.
  cmd('sintercard', -3, R, K0, st.sintercard, 1),
  // JSON documents (RedisJSON)
  cmd('json.set', -4, W, K1, j.jsonSet),
  cmd('json.get', -2, R, K1, j.jsonGet),
  cmd('json.mget', -3, R, KBUTLAST, j.jsonMget),
  cmd('json.del', -2, D, K1, j.jsonDel),
  cmd('json.forget', -2, D, K1, j.jsonDel),
  cmd('json.type', -2, R, K1, j.jsonType),
  cmd('json.numincrby', 4, W, K1, j.jsonNumincrby),
  cmd('json.arrappend', -4, W, K1, j.jsonArrappend),
  cmd('json.arrlen', -2, R, K1, j.jsonArrlen),
  cmd('json.objkeys', -2, R, K1, j.jsonObjkeys),
  cmd('json.strlen', -2, R, K1, j.jsonStrlen),
  // users (replicated, admin only)
  cmd('ksuser.set', 7, A, K0, u.ksuserSet),
  cmd('ksuser.del', 2, A, K0, u.ksuserDel),
  cmd('ksuser.get', 2, ['readonly', 'admin'], K0, u.ksuserGet),
  cmd('ksuser.list', 1, ['readonly', 'admin'], K0, u.ksuserList),
];

/** Lookup by name in any letter case; both lower and upper case hit without allocation. */
export const commandIndex: ReadonlyMap<string, StoreCommand> = new Map(
  commandTable.flatMap((c) => [
    [c.name, c],
    [c.name.toUpperCase(), c],
  ]),
);

/** Lowercase names of the commands that write (asked for every request). */
export const writeCommandNames: ReadonlySet<string> = new Set(commandTable.filter((c) => c.flags.includes('write')).map((c) => c.name));

/** Longest command name whose lowercase form is remembered per Buffer. */
export const commandNameCachedBytesMax = 32;
const lowerNames = new WeakMap<Uint8Array, string>();

/**
 * The lowercase name in a command's first argument. The RESP parser hands out one Buffer per
 * distinct command name, so remembering the answer per Buffer saves converting and lowercasing
 * it at every layer (connection, Core, store) on every request. Argument buffers are never
 * written after they are made, so the answer cannot go stale.
 */
export function commandNameOf(b: Buffer): string {
  let s = lowerNames.get(b);
  if (s === undefined) {
    s = b.toString('latin1').toLowerCase();
    if (b.length <= commandNameCachedBytesMax) lowerNames.set(b, s);
  }
  return s;
}

/** Whether `argc` arguments (the name included) fit the command's arity. */
export function arityOk(c: CommandSpec<unknown>, argc: number): boolean {
  return c.arity >= 0 ? argc === c.arity : argc >= -c.arity;
}

/** The replication-only commands (KSRESTORE, KSUSER.*): in the table, not for clients to send or see. */
export function isInternalCommand(c: CommandSpec<unknown>): boolean {
  return c.name === 'ksrestore' || c.name.startsWith('ksuser.');
}

export function findCommand(nameLatin1: string): StoreCommand | undefined {
  return commandIndex.get(nameLatin1) ?? commandIndex.get(nameLatin1.toLowerCase());
}

/** redis's getKeysFromCommand for the table's key specs: fixed positions, then numkeys keys. */
export function commandKeys(c: CommandSpec<unknown>, argv: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  if (c.firstKey !== 0) {
    const last = c.lastKey < 0 ? argv.length + c.lastKey : c.lastKey;
    for (let i = c.firstKey; i <= last && i < argv.length; i += c.keyStep) out.push(argv[i]!);
  }
  if (c.numkeysAt !== undefined && c.numkeysAt < argv.length) {
    const n = parseIntArg(argv[c.numkeysAt]!);
    // A bad count names no keys (the command itself answers the error).
    if (n !== null && n > 0) for (let i = c.numkeysAt + 1; i <= c.numkeysAt + n && i < argv.length; i++) out.push(argv[i]!);
  }
  return out;
}
