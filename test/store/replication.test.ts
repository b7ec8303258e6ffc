// Effect replication as a property: for any sequence of commands (every command in the
// table, with options, wrong types and bad arguments included) executed on store A at a
// moving clock, with the bounded sweep and eviction running, applying A's mutations in
// order to a fresh store B gives B.digest() === A.digest() after every step. Snapshots
// restore to the same digest too.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandTable, Store, type EvictionPolicy, type Session } from '../../core/store';
import { dumpValue } from '../../core/store/dump';
import { parseJson } from '../../core/store/json';
import { newJson, newList } from '../../core/store/values';
import { seededRng } from './rng';

type Parts = fc.Arbitrary<string[]>;
const one = (...xs: string[]): Parts => fc.constantFrom(...xs).map((x) => [x]);
const opt = (p: Parts): Parts => fc.option(p, { nil: null }).map((x) => x ?? []);
const seq = (...ps: Parts[]): Parts => fc.tuple(...ps).map((xs) => xs.flat());
const many = (p: Parts, max = 3): Parts => fc.array(p, { minLength: 1, maxLength: max }).map((xs) => xs.flat());

const k = fc.oneof({ weight: 6, arbitrary: one('k1', 'k2', 'k3') }, { weight: 1, arbitrary: one('j1') });
const f = one('f1', 'f2');
const m = one('m1', 'm2', 'm3');
const v = one('a', '7', '-2', '3.5', '', '9223372036854775807', 'zz');
const n = one('0', '1', '2', '-1', '5', 'x');
const ms = one('1', '50', '1000', '0', '-5');
const score = one('1', '2.5', '-1', 'inf', '-inf', '0', 'nan');
const range = one('0', '-1', '1', '2', '(1', '-inf', '+inf', '[m1', '(m2', '-', '+');

const db = one('0', '1', '2', '7', 'x');
const end = one('LEFT', 'RIGHT', 'UP');
const doc = one('{"a":1,"b":[1,2],"c":{"a":"x"}}', '[1,"a",[2]]', '3', '"s"', '{"a":{"a":{"a":1.5}}}', '{bad');
const jv = one('1', '2.5', '"t"', '[0]', '{"a":1}', 'null', 'x');
const jpath = one('$', '.', '$.a', '.a', '$..a', '$.b', '.b', '$.b[0]', '$.b[-1]', '$.*', '$..*', '$.c.a', 'a', '$[0]', '$.zz', '$[');
/** JSON commands mostly aim at two document keys (and sometimes at k1, maybe another type). */
const jk = fc.oneof({ weight: 4, arbitrary: one('j1', 'j2') }, { weight: 1, arbitrary: one('k1') });
const rootOrPath = fc.oneof({ weight: 2, arbitrary: one('$', '.') }, { weight: 3, arbitrary: one('$.a', '.a', '$..a', '$.b[0]', '$.b[-1]', '$.*', '$.c.a', 'a', '$[0]', '$.zz', '$[') });
const sortGet = one('#', 'k*', 'h*->f1', 'nosort');
/** KSRESTORE payloads (latin1 text of dumpValue bytes): a string, a list, a document, garbage. */
const jsonDoc = parseJson(Buffer.from('{"a":[1,2]}'));
const dumps = [
  dumpValue(Buffer.from('dumped')),
  dumpValue((() => { const l = newList(); l.a.pushBack(Buffer.from('x')); l.bytes = 17; return l; })()),
  jsonDoc.ok ? dumpValue(newJson(jsonDoc.j)) : Buffer.from('x'),
  Buffer.from('garbage'),
].map((b) => b.toString('latin1'));

/** Templates by command name; the coverage test checks every table entry has one. */
const templates: Record<string, Parts> = {
  get: seq(k),
  set: seq(k, v, opt(one('NX', 'XX')), opt(one('GET')), opt(fc.oneof(seq(one('EX', 'PX'), ms), one('KEEPTTL')))),
  setnx: seq(k, v),
  setex: seq(k, ms, v),
  psetex: seq(k, ms, v),
  getset: seq(k, v),
  getdel: seq(k),
  getex: seq(k, opt(fc.oneof(seq(one('EX', 'PX'), ms), one('PERSIST')))),
  mget: many(k),
  mset: many(seq(k, v)),
  msetnx: many(seq(k, v)),
  append: seq(k, v),
  strlen: seq(k),
  getrange: seq(k, n, n),
  setrange: seq(k, one('0', '3', '-1'), v),
  substr: seq(k, n, n),
  getbit: seq(k, one('0', '7', '13', '100', '-1', 'x')),
  bitop: seq(one('AND', 'OR', 'XOR', 'NOT', 'NAND'), k, many(k)),
  setbit: seq(k, one('0', '7', '13', '100', '-1', 'x'), one('0', '1', '2')),
  bitcount: seq(k, opt(seq(n, n, opt(one('BYTE', 'BIT', 'NIBBLE'))))),
  bitpos: seq(k, one('0', '1', '2'), opt(seq(n, opt(seq(n, opt(one('BYTE', 'BIT', 'NIBBLE'))))))),
  incr: seq(k),
  decr: seq(k),
  incrby: seq(k, n),
  decrby: seq(k, n),
  incrbyfloat: seq(k, one('0.1', '-2.5', '1e3', 'x')),
  del: many(k),
  unlink: many(k),
  exists: many(k),
  type: seq(k),
  expire: seq(k, ms, opt(fc.oneof(one('NX', 'XX', 'GT', 'LT'), seq(one('XX'), one('GT', 'LT'))))),
  pexpire: seq(k, ms, opt(fc.oneof(one('NX', 'XX', 'GT', 'LT'), seq(one('GT', 'LT'), one('XX'))))),
  expireat: seq(k, one('1', '1001', '1003', '99999')),
  pexpireat: seq(k, one('1', '1000500', '1002000', '99999999')),
  ttl: seq(k),
  pttl: seq(k),
  expiretime: seq(k),
  pexpiretime: seq(k),
  persist: seq(k),
  rename: seq(k, k),
  renamenx: seq(k, k),
  keys: one('*', 'k?', 'k[12]'),
  scan: seq(one('0', '1'), opt(seq(one('MATCH'), one('k*', 'k1'))), opt(seq(one('COUNT'), one('1', '10')))),
  randomkey: fc.constant([]),
  dbsize: fc.constant([]),
  flushdb: fc.constant([]),
  flushall: fc.constant([]),
  select: one('0', '1', '2', '99'),
  copy: seq(k, k, opt(seq(one('DB'), db)), opt(one('REPLACE'))),
  move: seq(k, db),
  swapdb: seq(db, db),
  touch: many(k),
  object: seq(one('ENCODING', 'FREQ', 'IDLETIME', 'REFCOUNT', 'BAD'), k),
  memory: seq(one('USAGE'), k, opt(seq(one('SAMPLES'), one('0', '5')))),
  sort: seq(k, opt(seq(one('BY'), sortGet)), opt(seq(one('LIMIT'), n, n)), opt(seq(one('GET'), sortGet)), opt(one('ASC', 'DESC')), opt(one('ALPHA')), opt(seq(one('STORE'), k))),
  sort_ro: seq(k, opt(one('ALPHA')), opt(one('DESC'))),
  ksrestore: seq(k, one('-1', '1000900', '2000000'), one(...dumps)),
  lmove: seq(k, k, end, end),
  rpoplpush: seq(k, k),
  'json.set': seq(jk, rootOrPath, fc.oneof(doc, jv), opt(one('NX', 'XX'))),
  'json.get': seq(jk, opt(seq(one('INDENT'), one('  '))), many(jpath, 2)),
  'json.mget': seq(many(jk, 2), jpath),
  'json.del': seq(jk, opt(jpath)),
  'json.forget': seq(jk, opt(jpath)),
  'json.type': seq(jk, opt(jpath)),
  'json.numincrby': seq(jk, jpath, one('1', '-2.5', '1e308', 'x')),
  'json.arrappend': seq(jk, one('$', '.', '$.b', '.b', '$..*', '$[2]', '$.a'), many(jv, 2)),
  'json.arrlen': seq(jk, opt(jpath)),
  'json.objkeys': seq(jk, opt(jpath)),
  'json.strlen': seq(jk, opt(jpath)),
  hset: seq(k, many(seq(f, v), 2)),
  hmset: fc.oneof(seq(k, many(seq(f, v), 2)), seq(k, f, v, f)),
  hsetnx: seq(k, f, v),
  hget: seq(k, f),
  hmget: seq(k, many(f)),
  hdel: seq(k, many(f)),
  hgetall: seq(k),
  hkeys: seq(k),
  hvals: seq(k),
  hstrlen: seq(k, f),
  hlen: seq(k),
  hexists: seq(k, f),
  hincrby: seq(k, f, n),
  hincrbyfloat: seq(k, f, one('1.5', '-0.1', 'x')),
  hscan: seq(k, one('0', '1'), opt(seq(one('MATCH'), one('f*', 'f1'))), opt(seq(one('COUNT'), one('1', '5', '0')))),
  hrandfield: seq(k, opt(seq(one('0', '1', '2', '5', '-1', '-3', 'x', '-9223372036854775808'), opt(one('WITHVALUES', 'BAD'))))),
  lpush: seq(k, many(v)),
  lpushx: seq(k, many(v)),
  rpushx: seq(k, many(v)),
  linsert: seq(k, one('BEFORE', 'AFTER', 'UP'), v, v),
  lpos: seq(k, v, opt(seq(one('RANK'), one('1', '-1', '2', '0', 'x'))), opt(seq(one('COUNT'), n)), opt(seq(one('MAXLEN'), n)), opt(one('BAD'))),
  rpush: seq(k, many(v)),
  lpop: seq(k, opt(n)),
  rpop: seq(k, opt(n)),
  lrange: seq(k, n, n),
  llen: seq(k),
  lindex: seq(k, n),
  lset: seq(k, n, v),
  lrem: seq(k, n, v),
  ltrim: seq(k, n, n),
  lmpop: seq(one('1', '2', '3', '0', '-1', 'x'), many(k, 3), one('LEFT', 'RIGHT', 'UP'), opt(seq(one('COUNT'), one('1', '2', '5', '0', 'x'))), opt(one('COUNT', 'BAD'))),
  zadd: seq(k, opt(one('NX', 'XX', 'GT', 'LT', 'CH', 'INCR')), many(seq(score, m), 2)),
  zrem: seq(k, many(m)),
  zscore: seq(k, m),
  zincrby: seq(k, score, m),
  zcard: seq(k),
  zrank: seq(k, m),
  zrevrank: seq(k, m),
  zrange: seq(k, range, range, opt(one('BYSCORE', 'BYLEX')), opt(one('REV')), opt(seq(one('LIMIT'), n, n)), opt(one('WITHSCORES'))),
  zrangebyscore: seq(k, range, range, opt(one('WITHSCORES'))),
  zcount: seq(k, range, range),
  zrevrange: seq(k, range, range, opt(one('WITHSCORES', 'REV', 'BYSCORE')), opt(seq(one('LIMIT'), n, n))),
  zrevrangebyscore: seq(k, range, range, opt(one('WITHSCORES', 'REV')), opt(seq(one('LIMIT'), n, n))),
  zrangebylex: seq(k, range, range, opt(one('WITHSCORES', 'BYLEX')), opt(seq(one('LIMIT'), n, n))),
  zrevrangebylex: seq(k, range, range, opt(seq(one('LIMIT'), n, n))),
  zlexcount: seq(k, range, range),
  zmscore: seq(k, many(m)),
  zremrangebyrank: seq(k, range, range),
  zremrangebyscore: seq(k, range, range),
  zremrangebylex: seq(k, range, range),
  zunionstore: seq(k, one('1', '2', '3', '0', 'x'), many(k, 3), opt(seq(one('WEIGHTS'), many(one('1', '2', '-1', '0', 'inf', 'x'), 3))), opt(seq(one('AGGREGATE'), one('SUM', 'MIN', 'MAX', 'BAD')))),
  zinterstore: seq(k, one('1', '2', '3', '0', 'x'), many(k, 3), opt(seq(one('WEIGHTS'), many(one('1', '2', '-1', '0', 'inf', 'x'), 3))), opt(seq(one('AGGREGATE'), one('SUM', 'MIN', 'MAX', 'BAD')))),
  zdiffstore: seq(k, one('1', '2', '3', '0', 'x'), many(k, 3), opt(one('WEIGHTS', 'WITHSCORES'))),
  zrangestore: seq(k, k, range, range, opt(one('BYSCORE', 'BYLEX')), opt(one('REV')), opt(seq(one('LIMIT'), n, n)), opt(one('WITHSCORES'))),
  zscan: seq(k, one('0', '1', 'x'), opt(seq(one('MATCH'), one('m*', 'm1'))), opt(seq(one('COUNT'), one('1', '0')))),
  zpopmin: seq(k, opt(n)),
  zpopmax: seq(k, opt(n)),
  zmpop: seq(one('1', '2', '3', '0', '-1', 'x'), many(k, 3), one('MIN', 'MAX', 'UP'), opt(seq(one('COUNT'), one('1', '2', '5', '0', 'x'))), opt(one('COUNT', 'BAD'))),
  zunion: seq(one('1', '2', '3', '0', 'x'), many(k, 3), opt(seq(one('WEIGHTS'), many(one('1', '2', '-1', '0', 'inf', 'x'), 3))), opt(seq(one('AGGREGATE'), one('SUM', 'MIN', 'MAX', 'BAD'))), opt(one('WITHSCORES', 'BAD'))),
  zinter: seq(one('1', '2', '3', '0', 'x'), many(k, 3), opt(seq(one('WEIGHTS'), many(one('1', '2', '-1', '0', 'inf', 'x'), 3))), opt(seq(one('AGGREGATE'), one('SUM', 'MIN', 'MAX', 'BAD'))), opt(one('WITHSCORES', 'BAD'))),
  zdiff: seq(one('1', '2', '3', '0', 'x'), many(k, 3), opt(one('WITHSCORES', 'WEIGHTS'))),
  zintercard: seq(one('1', '2', '3', '0', 'x'), many(k, 3), opt(seq(one('LIMIT'), one('0', '1', '-1', 'x'))), opt(one('WITHSCORES'))),
  zrandmember: seq(k, opt(seq(one('0', '1', '2', '5', '-1', '-3', 'x', '-9223372036854775808', '-9999999'), opt(one('WITHSCORES', 'BAD'))))),
  sadd: seq(k, many(m)),
  srem: seq(k, many(m)),
  smembers: seq(k),
  sismember: seq(k, m),
  smismember: seq(k, many(m)),
  scard: seq(k),
  smove: seq(k, k, m),
  sinter: many(k),
  sunion: many(k),
  sdiff: many(k),
  sinterstore: seq(k, many(k)),
  sunionstore: seq(k, many(k)),
  sdiffstore: seq(k, many(k)),
  spop: seq(k, opt(n), opt(one('1'))),
  sscan: seq(k, one('0', '1', 'x'), opt(seq(one('MATCH'), one('m*', 'm1'))), opt(seq(one('COUNT'), one('1', '5', '0')))),
  sintercard: seq(one('1', '2', '3', '0', 'x'), many(k), opt(seq(one('LIMIT'), one('0', '1', '-1', 'x')))),
  srandmember: seq(k, opt(one('0', '1', '2', '5', '-1', '-5', 'x', '-9223372036854775808', '-9999999')), opt(one('1'))),
  'ksuser.set': seq(one('u1', 'u2'), one('admin', 'readonly', 'bad'), one('*', '0,1'), one('scrypt', 'pbkdf2'), one('00ff'), one('abcd')),
  'ksuser.del': one('u1', 'u2'),
  'ksuser.get': one('u1'),
  'ksuser.list': fc.constant([]),
};

type Step = { t: 'cmd'; argv: string[] } | { t: 'advance'; ms: number } | { t: 'sweep'; max: number } | { t: 'snapshot' };

/** The issue-7 commands, also run on their own so their interactions are frequent. */
const extras = Object.keys(templates).filter((name) => name.startsWith('json.') || ['copy', 'move', 'swapdb', 'sort', 'lmove', 'rpoplpush', 'ksrestore', 'rpush', 'sadd', 'set', 'hset', 'zadd', 'pexpire'].includes(name));

const stepOf = (names: readonly string[]): fc.Arbitrary<Step> => fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...names).chain((name) => templates[name]!.map((a): Step => ({ t: 'cmd', argv: [name.toUpperCase(), ...a] }))) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 1500 }).map((x): Step => ({ t: 'advance', ms: x })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }).map((x): Step => ({ t: 'sweep', max: x })) },
  { weight: 1, arbitrary: fc.constant<Step>({ t: 'snapshot' }) },
);
const step = stepOf(Object.keys(templates));
const extraStep = stepOf(extras);

function converges(policy: EvictionPolicy, maxmemoryBytes: number, steps: Step[], seed: number): void {
  const opts = (s: number) => ({ maxmemoryBytes, policy, rng: seededRng(s), databases: 3 });
  const a = new Store(opts(seed));
  const b = new Store(opts(seed + 1));
  const session: Session = { db: 0, user: null };
  let nowMs = 1_000_000;
  for (const s of steps) {
    if (s.t === 'advance') nowMs += s.ms;
    else if (s.t === 'snapshot') {
      const c = Store.restore(a.snapshot(), opts(0));
      c.invariants();
      expect(c.digest()).toBe(a.digest());
    } else {
      const muts = s.t === 'sweep' ? a.sweepExpired(nowMs, s.max) : a.execute(s.argv.map((x) => Buffer.from(x, 'latin1')), nowMs, session).mutations;
      for (const mu of muts) b.applyMutation(mu);
    }
    a.invariants();
    b.invariants();
    expect(b.digest()).toBe(a.digest());
    if (maxmemoryBytes > 0 && policy.startsWith('allkeys')) expect(a.usedMemoryBytes()).toBeLessThanOrEqual(maxmemoryBytes);
  }
}

describe('effect replication converges', () => {
  it('has a template for every command in the table', () => {
    expect(commandTable.map((c) => c.name).sort()).toEqual(Object.keys(templates).sort());
  });

  it('a command that finds an expired key and creates another: same digest although the slot orders differ', () => {
    // The leader creates a, then deletes the expired b (moving a into b's slot) and recreates b;
    // the replica applies the DEL of b first, then the MSET. Found by the property below once the
    // keyspace kept its entries in slot order: the digest must not depend on that order.
    const mk = () => new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(5) });
    const leader = mk();
    const replica = mk();
    const run = (now: number, ...argv: string[]) => {
      for (const mu of leader.execute(argv.map((x) => Buffer.from(x)), now, { db: 0, user: null }).mutations) replica.applyMutation(mu);
    };
    run(1000, 'SET', 'x', '1');
    run(1000, 'SET', 'b', 'v', 'PX', '10');
    run(1000, 'SET', 'y', '1');
    run(2000, 'MSET', 'a', '1', 'b', '2');
    expect(replica.digest()).toBe(leader.digest());
    const ka = (s: Store) => Array.from({ length: s.dbSize(0) }, (_, i) => s.inDb(0, () => s.keyAt(i)));
    expect(ka(replica)).not.toEqual(ka(leader)); // the case this test is about
    expect(new Set(ka(replica))).toEqual(new Set(ka(leader)));
  });

  it('replica digest equals leader digest after every step (no limit)', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 20, maxLength: 150, size: 'max' }), fc.integer(), (steps, seed) => converges('noeviction', 0, steps, seed)), {
      numRuns: 150,
    });
  });

  it('replica digest equals leader digest after every step (keyspace extras and JSON)', () => {
    fc.assert(fc.property(fc.array(extraStep, { minLength: 20, maxLength: 120, size: 'max' }), fc.integer(), (steps, seed) => converges('noeviction', 0, steps, seed)), {
      numRuns: 120,
    });
  });

  for (const policy of ['allkeys-lru', 'allkeys-lfu', 'volatile-ttl', 'noeviction'] as const) {
    it(`replica digest equals leader digest under maxmemory (${policy})`, () => {
      fc.assert(fc.property(fc.array(step, { minLength: 20, maxLength: 150, size: 'max' }), fc.integer(), (steps, seed) => converges(policy, 400, steps, seed)), {
        numRuns: 40,
      });
    });
  }
});
