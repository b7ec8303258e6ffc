// Model-based test (fast-check fc.commands): random command sequences over every data
// type, a moving clock and the active sweep run against Store and against the simple
// model in ./model.ts. After every step: replies match, A's mutations applied to a fresh
// replica B give the same digest, internal invariants hold, and under maxmemory the
// eviction bounds hold (allkeys-*: used <= max; noeviction: OOM exactly when over).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCommand, Store, type EvictionPolicy, type ExecResult, type Mutation, type Session } from '../../core/store';
import { Errors, type Reply } from '../../net/reply';
import { renderReply } from '../../net/render';
import { b, dropIfEmpty, live, newModel, put, replies as R, typed, WRONGTYPE, zsorted, type Model } from './model';
import { seededRng } from './rng';

const { OK, NULL, int, array, double, simple, err } = R;
const databases = 3;
const startMs = 1_000_000;

interface Real {
  a: Store;
  b: Store;
  session: Session;
  maxmemoryBytes: number;
  policy: EvictionPolicy;
}

/** How often eviction and OOM actually happened, so the bound tests cannot pass vacuously. */
const stats = { evicted: 0, oom: 0 };

const isDel = (mu: Mutation): boolean => mu.argv[0]!.toString('latin1').toUpperCase() === 'DEL';

function applyDels(m: Model, muts: readonly Mutation[]): void {
  for (const mu of muts) if (isDel(mu)) for (const k of mu.argv.slice(1)) m.dbs[mu.db]!.delete(k.toString('latin1'));
}

/** One client command: its argv and the model's expected reply (which updates the model). */
class StoreCmd implements fc.Command<Model, Real> {
  constructor(
    readonly argv: readonly string[],
    readonly expect: (m: Model) => Reply,
    /** The reply is a set in array form (KEYS): compare ignoring order. */
    readonly unordered = false,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const argv = this.argv.map((s) => Buffer.from(s, 'latin1'));
    const usedBefore = r.a.usedMemoryBytes();
    const res = r.a.execute(argv, m.now, r.session);
    replicate(r, res);
    const spec = findCommand(this.argv[0]!)!;
    const denyoom = spec.flags.includes('denyoom');
    const limited = r.maxmemoryBytes > 0;
    if (res.reply.t === 'error' && res.reply.s === Errors.oom) {
      expect(limited && denyoom).toBe(true);
      expect(r.policy === 'noeviction' || r.policy.startsWith('volatile')).toBe(true);
      applyDels(m, res.mutations);
      expect(r.a.usedMemoryBytes()).toBeGreaterThan(r.maxmemoryBytes);
      stats.oom++;
      return;
    }
    if (limited && denyoom && r.policy === 'noeviction') expect(usedBefore).toBeLessThanOrEqual(r.maxmemoryBytes);
    // Deletes logged before the command's own mutation (lazy expiry, eviction) happened
    // before it ran. DEL and PEXPIRE may log a DEL as their own effect: apply those after.
    const ownMayBeDel = this.argv[0] === 'DEL' || this.argv[0] === 'PEXPIRE' || this.argv[0] === 'JSON.DEL';
    const own = ownMayBeDel ? 0 : res.mutations.findIndex((mu) => !isDel(mu));
    const pre = own < 0 ? res.mutations : res.mutations.slice(0, own);
    const post = own < 0 ? [] : res.mutations.slice(own);
    if (denyoom) stats.evicted += countLive(m, pre) + post.filter(isDel).length;
    applyDels(m, pre);
    const want = this.expect(m);
    applyDels(m, post);
    const show = (x: Reply): string => renderReply(this.unordered && x.t === 'array' ? sortedArray(x.items) : x);
    expect(show(res.reply)).toBe(show(want));
    if (limited && r.policy.startsWith('allkeys')) expect(r.a.usedMemoryBytes()).toBeLessThanOrEqual(r.maxmemoryBytes);
  }
  toString(): string {
    return this.argv.join(' ');
  }
}

const sortedArray = (items: readonly Reply[]): Reply =>
  array([...items].sort((x, y) => (renderReply(x) < renderReply(y) ? -1 : 1)));

/** Deletes of keys the model still holds live: evictions, not lazy expiry. */
function countLive(m: Model, muts: readonly Mutation[]): number {
  let n = 0;
  for (const mu of muts) {
    const e = isDel(mu) ? m.dbs[mu.db]!.get(mu.argv[1]!.toString('latin1')) : undefined;
    if (e !== undefined && e.deadline > m.now) n++;
  }
  return n;
}

function replicate(r: Real, res: ExecResult | { mutations: readonly Mutation[] }): void {
  for (const mu of res.mutations) r.b.applyMutation(mu);
  r.a.invariants();
  r.b.invariants();
  expect(r.b.digest()).toBe(r.a.digest());
}

class AdvanceCmd implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  run(m: Model): void {
    m.now += this.ms;
  }
  toString = (): string => `advance ${this.ms}ms`;
}

class SweepCmd implements fc.Command<Model, Real> {
  constructor(readonly maxKeys: number) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    const muts = r.a.sweepExpired(m.now, this.maxKeys);
    expect(muts.length).toBeLessThanOrEqual(this.maxKeys);
    for (const mu of muts) {
      const k = mu.argv[1]!.toString('latin1');
      const e = m.dbs[mu.db]!.get(k);
      // The sweep only ever removes keys that are past their deadline.
      expect(e === undefined || e.deadline <= m.now).toBe(true);
    }
    replicate(r, { mutations: muts });
  }
  toString = (): string => `sweep ${this.maxKeys}`;
}

class SnapshotCmd implements fc.Command<Model, Real> {
  check = (): boolean => true;
  run(_m: Model, r: Real): void {
    const c = Store.restore(r.a.snapshot(), { maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(3) });
    c.invariants();
    expect(c.digest()).toBe(r.a.digest());
    expect(c.usedMemoryBytes()).toBe(r.a.usedMemoryBytes());
  }
  toString = (): string => 'snapshot-roundtrip';
}

// ---- Arbitraries ---------------------------------------------------------------------

const key = fc.constantFrom('k1', 'k2', 'k3', 'k4');
const field = fc.constantFrom('f1', 'f2', 'f3');
const member = fc.constantFrom('m1', 'm2', 'm3', 'm4');
const val = fc.constantFrom('a', 'bc', '10', '-3', '9223372036854775806', '', 'x y');
const score = fc.constantFrom(0, 1, 1.5, -2, 1e10, 2.5);
const by = fc.constantFrom('1', '-1', '5', '9223372036854775807', '-9223372036854775808');

function isInt(s: string): bigint | null {
  if (!/^(0|-?[1-9]\d*)$/.test(s)) return null;
  const v = BigInt(s);
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : null;
}

const strCmds = [
  fc.tuple(key, val, fc.option(fc.integer({ min: 1, max: 4000 }), { nil: null })).map(
    ([k, v, px]) =>
      new StoreCmd(px === null ? ['SET', k, v] : ['SET', k, v, 'PX', String(px)], (m) => {
        put(m, k, { t: 'string', s: v }, px === null ? Infinity : m.now + px);
        return OK;
      }),
  ),
  key.map(
    (k) =>
      new StoreCmd(['GET', k], (m) => {
        const v = typed(m, k, 'string');
        return v === 'wrong' ? WRONGTYPE : v === undefined ? NULL : b(v.s);
      }),
  ),
  fc.tuple(key, by).map(
    ([k, n]) =>
      new StoreCmd(['INCRBY', k, n], (m) => {
        const v = typed(m, k, 'string');
        if (v === 'wrong') return WRONGTYPE;
        const cur = v === undefined ? 0n : isInt(v.s);
        if (cur === null) return err(Errors.notInteger);
        const next = cur + BigInt(n);
        if (next >= 2n ** 63n || next < -(2n ** 63n)) return err(Errors.overflow);
        const e = live(m, k);
        put(m, k, { t: 'string', s: next.toString() }, e?.deadline ?? Infinity);
        return { t: 'int', n: Math.abs(Number(next)) <= 2 ** 53 ? Number(next) : next };
      }),
  ),
  fc.tuple(key, val).map(
    ([k, x]) =>
      new StoreCmd(['APPEND', k, x], (m) => {
        const v = typed(m, k, 'string');
        if (v === 'wrong') return WRONGTYPE;
        if (v === undefined) put(m, k, { t: 'string', s: x });
        else v.s += x;
        return int(v === undefined ? x.length : v.s.length);
      }),
  ),
];

const keyCmds = [
  fc.uniqueArray(key, { minLength: 1, maxLength: 2 }).map(
    (ks) =>
      new StoreCmd(['DEL', ...ks], (m) => {
        let n = 0;
        for (const k of ks) if (live(m, k) !== undefined) (m.dbs[m.db]!.delete(k), n++);
        return int(n);
      }),
  ),
  key.map((k) => new StoreCmd(['EXISTS', k], (m) => int(live(m, k) === undefined ? 0 : 1))),
  key.map((k) => new StoreCmd(['TYPE', k], (m) => simple(typeName(live(m, k)?.v.t ?? 'none')))),
  fc.tuple(key, fc.integer({ min: -100, max: 5000 })).map(
    ([k, ms]) =>
      new StoreCmd(['PEXPIRE', k, String(ms)], (m) => {
        const e = live(m, k);
        if (e === undefined) return int(0);
        if (ms <= 0) m.dbs[m.db]!.delete(k);
        else e.deadline = m.now + ms;
        return int(1);
      }),
  ),
  key.map(
    (k) =>
      new StoreCmd(['PERSIST', k], (m) => {
        const e = live(m, k);
        if (e === undefined || e.deadline === Infinity) return int(0);
        e.deadline = Infinity;
        return int(1);
      }),
  ),
  key.map(
    (k) =>
      new StoreCmd(['PTTL', k], (m) => {
        const e = live(m, k);
        return int(e === undefined ? -2 : e.deadline === Infinity ? -1 : e.deadline - m.now);
      }),
  ),
  fc.tuple(key, key).map(
    ([from, to]) =>
      new StoreCmd(['RENAME', from, to], (m) => {
        const e = live(m, from);
        if (e === undefined) return err(Errors.noSuchKey);
        if (from === to) return OK;
        m.dbs[m.db]!.delete(from);
        m.dbs[m.db]!.set(to, e);
        return OK;
      }),
  ),
  fc.integer({ min: 0, max: databases - 1 }).map(
    (db) =>
      new StoreCmd(['SELECT', String(db)], (m) => {
        m.db = db;
        return OK;
      }),
  ),
  fc.constant(
    new StoreCmd(['KEYS', '*'], (m) => {
      const ks = [...m.dbs[m.db]!.keys()].filter((k) => live(m, k) !== undefined);
      return array(ks.map(b));
    }, true),
  ),
];

const hashCmds = [
  fc.tuple(key, field, val).map(
    ([k, f, x]) =>
      new StoreCmd(['HSET', k, f, x], (m) => {
        const h = typed(m, k, 'hash');
        if (h === 'wrong') return WRONGTYPE;
        if (h === undefined) {
          put(m, k, { t: 'hash', f: [[f, x]] });
          return int(1);
        }
        const at = h.f.find((p) => p[0] === f);
        if (at !== undefined) at[1] = x;
        else h.f.push([f, x]);
        return int(at === undefined ? 1 : 0);
      }),
  ),
  fc.tuple(key, field).map(
    ([k, f]) =>
      new StoreCmd(['HGET', k, f], (m) => {
        const h = typed(m, k, 'hash');
        if (h === 'wrong') return WRONGTYPE;
        const p = h?.f.find((q) => q[0] === f);
        return p === undefined ? NULL : b(p[1]);
      }),
  ),
  fc.tuple(key, field).map(
    ([k, f]) =>
      new StoreCmd(['HDEL', k, f], (m) => {
        const h = typed(m, k, 'hash');
        if (h === 'wrong') return WRONGTYPE;
        if (h === undefined) return int(0);
        const i = h.f.findIndex((q) => q[0] === f);
        if (i >= 0) h.f.splice(i, 1);
        dropIfEmpty(m, k);
        return int(i >= 0 ? 1 : 0);
      }),
  ),
  key.map(
    (k) =>
      new StoreCmd(['HGETALL', k], (m) => {
        const h = typed(m, k, 'hash');
        if (h === 'wrong') return WRONGTYPE;
        return array((h?.f ?? []).flatMap(([f, x]) => [b(f), b(x)]));
      }),
  ),
];

const listCmds = [
  fc.tuple(fc.boolean(), key, fc.array(val, { minLength: 1, maxLength: 3 })).map(
    ([left, k, xs]) =>
      new StoreCmd([left ? 'LPUSH' : 'RPUSH', k, ...xs], (m) => {
        const l = typed(m, k, 'list');
        if (l === 'wrong') return WRONGTYPE;
        const a = l?.a ?? [];
        if (l === undefined) put(m, k, { t: 'list', a });
        for (const x of xs) left ? a.unshift(x) : a.push(x);
        return int(a.length);
      }),
  ),
  fc.tuple(fc.boolean(), key, fc.option(fc.integer({ min: 0, max: 3 }), { nil: null })).map(
    ([left, k, n]) =>
      new StoreCmd([left ? 'LPOP' : 'RPOP', k, ...(n === null ? [] : [String(n)])], (m) => {
        const l = typed(m, k, 'list');
        if (l === 'wrong') return WRONGTYPE;
        if (l === undefined) return n === null ? NULL : { t: 'nullArray' };
        const taken = left ? l.a.splice(0, n ?? 1) : l.a.splice(Math.max(0, l.a.length - (n ?? 1))).reverse();
        dropIfEmpty(m, k);
        return n === null ? b(taken[0]!) : array(taken.map(b));
      }),
  ),
  fc.tuple(key, fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 })).map(
    ([k, start, stop]) =>
      new StoreCmd(['LRANGE', k, String(start), String(stop)], (m) => {
        const l = typed(m, k, 'list');
        if (l === 'wrong') return WRONGTYPE;
        const a = l?.a ?? [];
        const s0 = Math.max(0, start < 0 ? a.length + start : start);
        const e0 = Math.min(a.length - 1, stop < 0 ? a.length + stop : stop);
        return array(s0 > e0 ? [] : a.slice(s0, e0 + 1).map(b));
      }),
  ),
];

const zsetCmds = [
  fc.tuple(key, score, member).map(
    ([k, sc, mem]) =>
      new StoreCmd(['ZADD', k, String(sc), mem], (m) => {
        const z = typed(m, k, 'zset');
        if (z === 'wrong') return WRONGTYPE;
        if (z === undefined) {
          put(m, k, { t: 'zset', z: [[mem, sc]] });
          return int(1);
        }
        const at = z.z.find((p) => p[0] === mem);
        if (at !== undefined) at[1] = sc;
        else z.z.push([mem, sc]);
        return int(at === undefined ? 1 : 0);
      }),
  ),
  fc.tuple(key, member).map(
    ([k, mem]) =>
      new StoreCmd(['ZREM', k, mem], (m) => {
        const z = typed(m, k, 'zset');
        if (z === 'wrong') return WRONGTYPE;
        if (z === undefined) return int(0);
        const i = z.z.findIndex((q) => q[0] === mem);
        if (i >= 0) z.z.splice(i, 1);
        dropIfEmpty(m, k);
        return int(i >= 0 ? 1 : 0);
      }),
  ),
  fc.tuple(key, fc.boolean()).map(
    ([k, rev]) =>
      new StoreCmd(['ZRANGE', k, '0', '-1', ...(rev ? ['REV'] : []), 'WITHSCORES'], (m) => {
        const z = typed(m, k, 'zset');
        if (z === 'wrong') return WRONGTYPE;
        const sorted = zsorted(z?.z ?? []);
        if (rev) sorted.reverse();
        return array(sorted.flatMap(([mem, sc]) => [b(mem), double(sc)]));
      }),
  ),
  fc.tuple(key, member).map(
    ([k, mem]) =>
      new StoreCmd(['ZSCORE', k, mem], (m) => {
        const z = typed(m, k, 'zset');
        if (z === 'wrong') return WRONGTYPE;
        const p = z?.z.find((q) => q[0] === mem);
        return p === undefined ? NULL : double(p[1]);
      }),
  ),
];

const setCmds = [
  fc.tuple(key, member).map(
    ([k, mem]) =>
      new StoreCmd(['SADD', k, mem], (m) => {
        const s = typed(m, k, 'set');
        if (s === 'wrong') return WRONGTYPE;
        if (s === undefined) {
          put(m, k, { t: 'set', m: [mem] });
          return int(1);
        }
        if (s.m.includes(mem)) return int(0);
        s.m.push(mem);
        return int(1);
      }),
  ),
  fc.tuple(key, member).map(
    ([k, mem]) =>
      new StoreCmd(['SREM', k, mem], (m) => {
        const s = typed(m, k, 'set');
        if (s === 'wrong') return WRONGTYPE;
        if (s === undefined || !s.m.includes(mem)) return int(0);
        s.m.splice(s.m.indexOf(mem), 1);
        dropIfEmpty(m, k);
        return int(1);
      }),
  ),
  fc.tuple(key, member).map(
    ([k, mem]) =>
      new StoreCmd(['SISMEMBER', k, mem], (m) => {
        const s = typed(m, k, 'set');
        if (s === 'wrong') return WRONGTYPE;
        return int(s !== undefined && s.m.includes(mem) ? 1 : 0);
      }),
  ),
  key.map(
    (k) =>
      new StoreCmd(['SCARD', k], (m) => {
        const s = typed(m, k, 'set');
        if (s === 'wrong') return WRONGTYPE;
        return int(s?.m.length ?? 0);
      }),
  ),
];

/** Runs f with db as the model's current database. */
function inDb<T>(m: Model, db: number, f: () => T): T {
  const back = m.db;
  m.db = db;
  try {
    return f();
  } finally {
    m.db = back;
  }
}

const dbIndex = fc.integer({ min: 0, max: databases - 1 });
const end = fc.constantFrom('LEFT', 'RIGHT');

// Issue 7: COPY, MOVE, TOUCH, LMOVE, and JSON documents as a whole.
const extraCmds = [
  fc.tuple(key, key, fc.option(dbIndex, { nil: null }), fc.boolean()).map(
    ([from, to, db, replace]) =>
      new StoreCmd(['COPY', from, to, ...(db === null ? [] : ['DB', String(db)]), ...(replace ? ['REPLACE'] : [])], (m) => {
        const dst = db ?? m.db;
        if (dst === m.db && from === to) return err('ERR source and destination objects are the same');
        const e = live(m, from);
        if (e === undefined) return int(0);
        return inDb(m, dst, () => {
          if (live(m, to) !== undefined && !replace) return int(0);
          put(m, to, structuredClone(e.v), e.deadline);
          return int(1);
        });
      }),
  ),
  fc.tuple(key, dbIndex).map(
    ([k, db]) =>
      new StoreCmd(['MOVE', k, String(db)], (m) => {
        if (db === m.db) return err('ERR source and destination objects are the same');
        const e = live(m, k);
        if (e === undefined) return int(0);
        if (inDb(m, db, () => live(m, k)) !== undefined) return int(0);
        m.dbs[m.db]!.delete(k);
        m.dbs[db]!.set(k, e);
        return int(1);
      }),
  ),
  fc.uniqueArray(key, { minLength: 1, maxLength: 3 }).map(
    (ks) => new StoreCmd(['TOUCH', ...ks], (m) => int(ks.filter((k) => live(m, k) !== undefined).length)),
  ),
  fc.tuple(key, key, end, end).map(
    ([src, dst, from, to]) =>
      new StoreCmd(['LMOVE', src, dst, from, to], (m) => {
        const l = typed(m, src, 'list');
        if (l === 'wrong') return WRONGTYPE;
        if (l === undefined) return NULL;
        const d = typed(m, dst, 'list');
        if (d === 'wrong') return WRONGTYPE;
        const x = from === 'LEFT' ? l.a.shift()! : l.a.pop()!;
        const target = d ?? { t: 'list' as const, a: [] };
        if (d === undefined) put(m, dst, target);
        if (to === 'LEFT') target.a.unshift(x);
        else target.a.push(x);
        dropIfEmpty(m, src);
        return b(x);
      }),
  ),
  fc.tuple(key, fc.constantFrom('{"a":1,"b":[1,"x"]}', '[]', '"s"', '{"n":{"m":null}}', '7'), fc.constantFrom(null, 'NX', 'XX')).map(
    ([k, doc, cond]) =>
      new StoreCmd(['JSON.SET', k, '$', doc, ...(cond === null ? [] : [cond])], (m) => {
        const e = live(m, k);
        if (e !== undefined && e.v.t !== 'json') return WRONGTYPE;
        if ((cond === 'NX' && e !== undefined) || (cond === 'XX' && e === undefined)) return NULL;
        const v = { t: 'json' as const, doc: JSON.stringify(JSON.parse(doc)) };
        if (e === undefined) put(m, k, v);
        else e.v = v;
        return OK;
      }),
  ),
  key.map(
    (k) =>
      new StoreCmd(['JSON.GET', k], (m) => {
        const v = typed(m, k, 'json');
        return v === 'wrong' ? WRONGTYPE : v === undefined ? NULL : b(v.doc);
      }),
  ),
  key.map(
    (k) =>
      new StoreCmd(['JSON.DEL', k], (m) => {
        const v = typed(m, k, 'json');
        if (v === 'wrong') return WRONGTYPE;
        if (v === undefined) return int(0);
        m.dbs[m.db]!.delete(k);
        return int(1);
      }),
  ),
];

const typeName = (t: string): string => (t === 'json' ? 'ReJSON-RL' : t);

const worldCmds = [
  fc.integer({ min: 1, max: 3000 }).map((ms) => new AdvanceCmd(ms)),
  fc.integer({ min: 1, max: 4 }).map((n) => new SweepCmd(n)),
  fc.constant(new SnapshotCmd()),
];

const allCmds = [...strCmds, ...keyCmds, ...hashCmds, ...listCmds, ...zsetCmds, ...setCmds, ...extraCmds, ...worldCmds];

function runModel(policy: EvictionPolicy, maxmemoryBytes: number, numRuns: number): void {
  fc.assert(
    fc.property(fc.commands(allCmds, { maxCommands: 80, size: 'large' }), fc.integer(), (cmds, seed) => {
      const mk = (s: number) => new Store({ maxmemoryBytes, policy, rng: seededRng(s), databases });
      const real: Real = { a: mk(seed), b: mk(seed + 1), session: { db: 0, user: null }, maxmemoryBytes, policy };
      fc.modelRun(() => ({ model: newModel(startMs, databases), real }), cmds);
    }),
    { numRuns },
  );
}

describe('store against the reference model', () => {
  it('matches the model with no memory limit (all types, moving clock, sweep)', () => {
    runModel('noeviction', 0, 200);
  });
  for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-ttl', 'noeviction'] as const) {
    it(`keeps eviction bounds under ${policy}`, () => {
      stats.evicted = 0;
      stats.oom = 0;
      runModel(policy, 320, 60);
      if (policy === 'noeviction') expect(stats.oom).toBeGreaterThan(0);
      else expect(stats.evicted).toBeGreaterThan(0);
      if (policy.startsWith('allkeys')) expect(stats.oom).toBe(0);
    });
  }
});
