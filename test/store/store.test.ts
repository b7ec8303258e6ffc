// Focused tests: effect replication rewrites, ACL and users, eviction determinism, the
// bounded sweep, snapshots, and the number/glob helpers that replies depend on.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandKeys, commandTable, EMPTY_MUTATIONS, findCommand, Store, type EvictionPolicy, type Session } from '../../core/store';
import { Deque } from '../../core/store/deque';
import { globMatch } from '../../core/store/glob';
import { addHumanFloat, formatDouble17g, parseInt64 } from '../../core/store/numbers';
import { Errors } from '../../net/reply';
import { entryOverheadBytes } from '../../core/store/values';
import { renderReply } from '../../net/render';
import { seededRng } from './rng';

const T0 = 1_000_000;
const mk = (policy: EvictionPolicy = 'noeviction', maxmemoryBytes = 0, seed = 1): Store =>
  new Store({ maxmemoryBytes, policy, rng: seededRng(seed) });
const argv = (...a: string[]): Buffer[] => a.map((s) => Buffer.from(s, 'latin1'));
/** A fresh root session per call: SELECT in one test must not leak into another. */
const run = (s: Store, nowMs: number, ...a: string[]) => s.execute(argv(...a), nowMs, { db: 0, user: null });
const show = (s: Store, nowMs: number, ...a: string[]): string => renderReply(run(s, nowMs, ...a).reply);
const muts = (s: Store, nowMs: number, ...a: string[]): string[] =>
  run(s, nowMs, ...a).mutations.map((m) => `${m.db}:${m.argv.map((x) => x.toString('latin1')).join(' ')}`);

describe('effect replication', () => {
  it('logs relative expiries as absolute deadlines', () => {
    const s = mk();
    expect(muts(s, T0, 'SET', 'k', 'v', 'EX', '10')).toEqual([`0:SET k v PXAT ${T0 + 10_000}`]);
    expect(muts(s, T0, 'PEXPIRE', 'k', '500')).toEqual([`0:PEXPIREAT k ${T0 + 500}`]);
    expect(muts(s, T0, 'GETEX', 'k', 'PX', '700')).toEqual([`0:PEXPIREAT k ${T0 + 700}`]);
    expect(muts(s, T0, 'EXPIRE', 'k', '0')).toEqual(['0:DEL k']);
    expect(show(s, T0, 'EXISTS', 'k')).toBe('(integer) 0');
  });

  it('logs the result of float increments, keeping the deadline', () => {
    const s = mk();
    run(s, T0, 'SET', 'f', '0.1', 'PX', '100000');
    expect(muts(s, T0, 'INCRBYFLOAT', 'f', '0.2')).toEqual(['0:SET f 0.3 KEEPTTL']);
    expect(muts(s, T0, 'HINCRBYFLOAT', 'h', 'x', '1.5')).toEqual(['0:HSET h x 1.5']);
    expect(show(s, T0, 'PTTL', 'f')).toBe('(integer) 100000');
  });

  it('a read has no mutations (shared constant); a read of an expired key logs DEL', () => {
    const s = mk();
    run(s, T0, 'SET', 'k', 'v', 'PX', '10');
    const r = run(s, T0 + 5, 'GET', 'k');
    expect(r.mutations).toBe(EMPTY_MUTATIONS);
    expect(muts(s, T0 + 10, 'GET', 'k')).toEqual(['0:DEL k']);
  });

  it('failed and no-op writes log nothing', () => {
    const s = mk();
    run(s, T0, 'SET', 'k', 'v');
    expect(muts(s, T0, 'SET', 'k', 'w', 'NX')).toEqual([]);
    expect(muts(s, T0, 'LPUSH', 'k', 'x')).toEqual([]);
    expect(muts(s, T0, 'DEL', 'nokey')).toEqual([]);
    expect(muts(s, T0, 'SELECT', '3')).toEqual([]);
  });

  it('sorted-set range removals: nothing matched logs nothing; emptying the set deletes the key', () => {
    const s = mk();
    run(s, T0, 'ZADD', 'z', '1', 'a', '2', 'b');
    expect(muts(s, T0, 'ZREMRANGEBYSCORE', 'z', '5', '9')).toEqual([]);
    expect(muts(s, T0, 'ZREMRANGEBYRANK', 'z', '5', '9')).toEqual([]);
    expect(muts(s, T0, 'ZREMRANGEBYLEX', 'z', '(b', '+')).toEqual([]);
    expect(muts(s, T0, 'ZREMRANGEBYSCORE', 'nokey', '-inf', '+inf')).toEqual([]);
    expect(muts(s, T0, 'ZREMRANGEBYRANK', 'z', '0', '0')).toEqual(['0:ZREMRANGEBYRANK z 0 0']);
    expect(muts(s, T0, 'ZREMRANGEBYSCORE', 'z', '-inf', '+inf')).toEqual(['0:ZREMRANGEBYSCORE z -inf +inf']);
    expect(show(s, T0, 'EXISTS', 'z')).toBe('(integer) 0');
    s.invariants();
  });

  it('ZUNIONSTORE and friends log DEL dst + ZADD dst, never the sources; an empty result with no dst logs nothing', () => {
    const s = mk();
    run(s, T0, 'ZADD', 'a', '1.1', 'x', '2', 'y');
    run(s, T0, 'SADD', 'b', 'y');
    expect(muts(s, T0, 'ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '3')).toEqual(['0:DEL d', '0:ZADD d 1.1000000000000001 x 5 y']);
    expect(muts(s, T0, 'ZINTERSTORE', 'd', '2', 'a', 'nokey')).toEqual(['0:DEL d']);
    expect(muts(s, T0, 'ZDIFFSTORE', 'd', '2', 'nokey', 'a')).toEqual([]);
    expect(show(s, T0, 'EXISTS', 'd')).toBe('(integer) 0');
  });

  it('SMOVE of a member the destination already has logs only the SREM (a WATCH of the destination holds)', () => {
    const s = mk();
    run(s, T0, 'SADD', 'src', 'a', 'b');
    run(s, T0, 'SADD', 'dst', 'a');
    expect(muts(s, T0, 'SMOVE', 'src', 'dst', 'a')).toEqual(['0:SREM src a']);
    expect(muts(s, T0, 'SMOVE', 'src', 'dst', 'b')).toEqual(['0:SMOVE src dst b']);
    expect(show(s, T0, 'EXISTS', 'src')).toBe('(integer) 0');
  });

  it('mutations carry their database', () => {
    const s = mk();
    const session: Session = { db: 0, user: null };
    s.execute(argv('SELECT', '5'), T0, session);
    const r = s.execute(argv('SET', 'k', 'v'), T0, session);
    expect(r.mutations[0]!.db).toBe(5);
    expect(s.dbSize(5)).toBe(1);
    expect(s.dbSize(0)).toBe(0);
  });

  it('applyMutation never consults time: an expired deadline still replays as stored', () => {
    const a = mk();
    const b = mk();
    for (const m of run(a, T0, 'SET', 'k', 'v', 'PX', '1').mutations) b.applyMutation(m);
    expect(b.digest()).toBe(a.digest());
    expect(() => b.applyMutation({ db: 0, argv: argv('GET', 'k') })).toThrow(/read command/);
    expect(() => b.applyMutation({ db: 0, argv: argv('NOPE') })).toThrow(/unknown mutation/);
  });
});

describe('users and ACL', () => {
  const salt = 'aa'.repeat(16);
  const hash = 'bb'.repeat(32);
  function withUsers(): Store {
    const s = mk();
    expect(show(s, T0, 'KSUSER.SET', 'ro', 'readonly', '1,2', 'scrypt', salt, hash)).toBe('OK');
    expect(show(s, T0, 'KSUSER.SET', 'rw', 'readwrite', '*', 'pbkdf2', salt, hash)).toBe('OK');
    expect(show(s, T0, 'KSUSER.SET', 'boss', 'admin', '*', 'scrypt', salt, hash)).toBe('OK');
    return s;
  }

  it('checks roles from the table and the db allow-list', () => {
    const s = withUsers();
    const ro: Session = { db: 1, user: 'ro' };
    expect(renderReply(s.execute(argv('GET', 'k'), T0, ro).reply)).toBe('(nil)');
    expect(renderReply(s.execute(argv('SET', 'k', 'v'), T0, ro).reply)).toBe(`(error) ${Errors.noPerm('set')}`);
    expect(renderReply(s.execute(argv('SELECT', '0'), T0, ro).reply)).toMatch(/NOPERM .*database 0/);
    expect(ro.db).toBe(1);
    expect(renderReply(s.execute(argv('SELECT', '2'), T0, ro).reply)).toBe('OK');
    expect(renderReply(s.execute(argv('GET', 'k'), T0, { db: 0, user: 'ro' }).reply)).toMatch(/NOPERM/);
    const rw: Session = { db: 0, user: 'rw' };
    expect(renderReply(s.execute(argv('SET', 'k', 'v'), T0, rw).reply)).toBe('OK');
    expect(renderReply(s.execute(argv('KSUSER.DEL', 'ro'), T0, rw).reply)).toBe(`(error) ${Errors.noPerm('ksuser.del')}`);
    expect(renderReply(s.execute(argv('GET', 'k'), T0, { db: 0, user: 'ghost' }).reply)).toMatch(/NOPERM/);
    const boss: Session = { db: 0, user: 'boss' };
    expect(renderReply(s.execute(argv('KSUSER.DEL', 'ro'), T0, boss).reply)).toBe('(integer) 1');
    expect(s.user('ro')).toBeUndefined();
    expect(s.user('rw')).toMatchObject({ role: 'readwrite', dbs: null, algo: 'pbkdf2', salt, hash });
  });

  it('user records replicate and survive snapshots', () => {
    const a = withUsers();
    const b = mk();
    for (const m of run(a, T0, 'KSUSER.SET', 'x', 'readonly', '3', 'scrypt', salt, hash).mutations) b.applyMutation(m);
    expect(b.user('x')).toEqual(a.user('x'));
    const c = Store.restore(a.snapshot(), { maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(2) });
    expect(c.digest()).toBe(a.digest());
    expect(show(a, T0, 'KSUSER.SET', 'y', 'superuser', '*', 'scrypt', salt, hash)).toBe('(error) ERR syntax error');
    expect(show(a, T0, 'KSUSER.SET', 'y', 'admin', '99', 'scrypt', salt, hash)).toBe('(error) ERR syntax error');
    expect(show(a, T0, 'KSUSER.SET', 'y', 'admin', '*', 'scrypt', 'nothex', hash)).toMatch(/hex/);
  });

  it('the table gives every command roles consistent with its flags', () => {
    for (const c of commandTable) {
      expect(c.roles).toContain('admin');
      expect(c.roles.includes('readonly')).toBe(c.flags.includes('readonly') && !c.flags.includes('admin'));
      expect(c.roles.includes('readwrite')).toBe(!c.flags.includes('admin'));
      expect(c.flags.includes('write') !== c.flags.includes('readonly')).toBe(true);
      expect(findCommand(c.name.toUpperCase())).toBe(c);
    }
    expect(commandKeys(findCommand('mset')!, argv('MSET', 'a', '1', 'b', '2')).map(String)).toEqual(['a', 'b']);
    expect(commandKeys(findCommand('rename')!, argv('RENAME', 'a', 'b')).map(String)).toEqual(['a', 'b']);
    expect(findCommand('GeT')?.name).toBe('get');
  });
});

describe('eviction', () => {
  function fill(policy: EvictionPolicy, seed: number): string[] {
    // Room for about 26 of these keys (~13 bytes each): 200 writes must evict.
    const limit = 26 * (entryOverheadBytes + 13);
    const s = mk(policy, limit, seed);
    const log: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = run(s, T0 + i * 1000, 'SET', `k${i}`, 'x'.repeat(10), ...(i % 2 === 0 ? ['PX', String(1e6 - i)] : []));
      if (i % 3 === 0) run(s, T0 + i * 1000, 'GET', `k${i - 3}`);
      log.push(...r.mutations.filter((m) => m.argv[0]!.toString() === 'DEL').map((m) => m.argv[1]!.toString()));
      // allkeys-* always get back under the limit; volatile-* may run out of candidates
      // (then denyoom writes answer OOM, checked in the model test).
      if (policy.startsWith('allkeys')) expect(s.usedMemoryBytes()).toBeLessThanOrEqual(limit);
      else expect(s.usedMemoryBytes() <= limit || r.reply.t === 'error' || !hasVolatile(s)).toBe(true);
      s.invariants();
    }
    return log;
  }

  const hasVolatile = (s: Store): boolean => show(s, T0, 'SCAN', '0', 'COUNT', '1000') !== '' && volatileCount(s) > 0;
  function volatileCount(s: Store): number {
    let n = 0;
    for (let i = 0; i < 200; i++) if (show(s, T0, 'PTTL', `k${i}`).match(/\(integer\) [1-9]/)) n++;
    return n;
  }

  it('is deterministic given the seed, and differs across seeds', () => {
    for (const p of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-ttl'] as const) {
      const a = fill(p, 7);
      expect(a.length).toBeGreaterThan(p.startsWith('allkeys') ? 100 : 10);
      expect(fill(p, 7)).toEqual(a);
    }
    expect(fill('allkeys-random', 7)).not.toEqual(fill('allkeys-random', 8));
  });

  it('volatile policies only evict keys with deadlines; LRU prefers old keys', () => {
    const evictedVolatile = fill('volatile-ttl', 3);
    for (const k of evictedVolatile) expect(Number(k.slice(1)) % 2).toBe(0);
    const lru = fill('allkeys-lru', 3).slice(0, 20).map((k) => Number(k.slice(1)));
    expect(Math.max(...lru)).toBeLessThan(60);
  });

  it('LFU keeps a frequently read key that LRU evicts', () => {
    const survives = (policy: EvictionPolicy): boolean => {
      const s = mk(policy, 3_000, 5);
      run(s, T0, 'SET', 'hot', 'x'.repeat(10));
      for (let i = 0; i < 300; i++) run(s, T0, 'GET', 'hot');
      for (let i = 0; i < 200; i++) run(s, T0 + 1 + i, 'SET', `cold${i}`, 'x'.repeat(10));
      return show(s, T0 + 1000, 'EXISTS', 'hot') === '(integer) 1';
    };
    expect(survives('allkeys-lfu')).toBe(true);
    expect(survives('allkeys-lru')).toBe(false);
  });

  it('noeviction answers OOM to denyoom writes but still allows deletes', () => {
    const s = mk('noeviction', 3 * (entryOverheadBytes + 22));
    let i = 0;
    while (run(s, T0, 'SET', `k${i}`, 'vvvvvvvvvvvvvvvvvvvv').reply.t !== 'error') i++;
    expect(show(s, T0, 'SET', 'x', 'y')).toBe(`(error) ${Errors.oom}`);
    expect(show(s, T0, 'GET', 'k0')).toBe('"vvvvvvvvvvvvvvvvvvvv"');
    expect(show(s, T0, 'DEL', 'k0', 'k1')).toBe('(integer) 2');
    expect(show(s, T0, 'SET', 'x', 'y')).toBe('OK');
  });
});

describe('SCAN', () => {
  it('returns every key present for the whole scan, despite deletes and inserts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 99 })), { maxLength: 40 }),
        (initial, count, churn) => {
          const s = mk();
          for (let i = 0; i < initial; i++) run(s, T0, 'SET', `k${i}`, 'v');
          const present = new Set(Array.from({ length: initial }, (_, i) => `k${i}`));
          const seen = new Set<string>();
          let cursor = '0';
          let calls = 0;
          do {
            const r = run(s, T0, 'SCAN', cursor, 'COUNT', String(count)).reply;
            if (r.t !== 'array') throw new Error('SCAN reply not an array');
            const [c, ks] = r.items;
            cursor = c!.t === 'bulk' ? c!.b.toString() : 'bad';
            if (ks!.t === 'array') for (const x of ks!.items) if (x.t === 'bulk') seen.add(x.b.toString());
            const ch = churn[calls];
            if (ch !== undefined) {
              const key = `k${ch[1]}`;
              run(s, T0, ch[0] ? 'DEL' : 'SET', key, ...(ch[0] ? [] : ['v']));
              present.delete(key);
            }
            calls++;
          } while (cursor !== '0' && calls < 1000);
          expect(cursor).toBe('0');
          for (const k of present) expect(seen.has(k)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('HSCAN of a large hash visits every field in a bounded number of calls', () => {
    const s = mk();
    for (let i = 0; i < 1000; i++) run(s, T0, 'HSET', 'h', `f${i}`, 'v');
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const r = run(s, T0, 'HSCAN', 'h', cursor, 'COUNT', '3').reply;
      if (r.t !== 'array' || r.items[0]!.t !== 'bulk' || r.items[1]!.t !== 'array') throw new Error('bad HSCAN reply');
      cursor = r.items[0]!.b.toString();
      r.items[1]!.items.forEach((x, i) => i % 2 === 0 && x.t === 'bulk' && seen.add(x.b.toString()));
      calls++;
    } while (cursor !== '0' && calls < 500);
    expect(seen.size).toBe(1000);
    expect(calls).toBeLessThanOrEqual(64);
  });

  it('answers small hashes in one HSCAN reply', () => {
    const s = mk();
    for (let i = 0; i < 20; i++) run(s, T0, 'HSET', 'h', `f${i}`, 'v');
    const r = show(s, T0, 'HSCAN', 'h', '0', 'COUNT', '2');
    expect(r.split('\n')[0]).toBe('1) "0"');
    expect(r.split('\n').length).toBe(41);
  });
});

describe('expiry sweep', () => {
  it('is bounded per call and eventually removes every expired key', () => {
    const s = mk();
    for (let i = 0; i < 50; i++) run(s, T0, 'SET', `k${i}`, 'v', 'PX', String(i % 2 === 0 ? 10 : 1e9));
    let removed = 0;
    for (let step = 0; step < 20; step++) {
      const m = s.sweepExpired(T0 + 100, 7);
      expect(m.length).toBeLessThanOrEqual(7);
      removed += m.length;
      s.invariants();
    }
    expect(removed).toBe(25);
    expect(s.dbSize(0)).toBe(25);
  });
});

describe('Deque', () => {
  it('behaves like an array under pushes and pops at both ends and inserts', () => {
    type Op = { op: 'pf' | 'pb' | 'of' | 'ob'; v: number } | { op: 'set' | 'ins'; i: number; v: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constantFrom('pf' as const, 'pb' as const, 'of' as const, 'ob' as const), v: fc.nat(99) }),
      fc.record({ op: fc.constantFrom('set' as const, 'ins' as const), i: fc.nat(20), v: fc.nat(99) }),
    );
    fc.assert(
      fc.property(fc.array(fc.nat(99), { maxLength: 10 }), fc.array(op, { maxLength: 80 }), (init, ops) => {
        const buf = (n: number): Buffer => Buffer.from([n]);
        const ref = init.slice();
        const d = Deque.from(init.map(buf));
        for (const o of ops) {
          if (o.op === 'pf') (ref.unshift(o.v), d.pushFront(buf(o.v)));
          else if (o.op === 'pb') (ref.push(o.v), d.pushBack(buf(o.v)));
          else if (o.op === 'of') expect(d.popFront()?.[0]).toBe(ref.shift());
          else if (o.op === 'ob') expect(d.popBack()?.[0]).toBe(ref.pop());
          else if (o.op === 'set' && o.i < ref.length) (ref[o.i] = o.v, d.set(o.i, buf(o.v)));
          else if (o.op === 'ins' && o.i <= ref.length) (ref.splice(o.i, 0, o.v), d.insert(o.i, buf(o.v)));
          expect(d.length).toBe(ref.length);
        }
        expect(d.toArray().map((x) => x[0])).toEqual(ref);
        const end = Math.min(3, ref.length);
        expect(d.slice(Math.min(1, end), end).map((x) => x[0])).toEqual(ref.slice(1, 3));
        ref.forEach((v, i) => expect(d.at(i)?.[0]).toBe(v));
        expect(d.at(ref.length)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('numbers and patterns', () => {
  it('formats doubles like printf %.17g', () => {
    expect(formatDouble17g(1.1)).toBe('1.1000000000000001');
    expect(formatDouble17g(2.5)).toBe('2.5');
    expect(formatDouble17g(1e20)).toBe('1e+20');
    expect(formatDouble17g(3e-7)).toBe('2.9999999999999999e-07');
    expect(formatDouble17g(-Infinity)).toBe('-inf');
    expect(formatDouble17g(100)).toBe('100');
  });

  it('parses integers with string2ll rules', () => {
    expect(parseInt64(Buffer.from('9223372036854775807'))).toBe(2n ** 63n - 1n);
    expect(parseInt64(Buffer.from('9223372036854775808'))).toBeNull();
    for (const bad of ['', '-', '+1', '01', '-0', ' 1', '1 ', '1.0', 'abc']) expect(parseInt64(Buffer.from(bad))).toBeNull();
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => parseInt64(Buffer.from(v.toString())) === v),
      { numRuns: 200 },
    );
  });

  it('adds floats the way INCRBYFLOAT prints them', () => {
    expect(addHumanFloat(Buffer.from('0.1'), Buffer.from('0.2'))).toBe('0.3');
    expect(addHumanFloat(Buffer.from('10.50'), Buffer.from('0.1'))).toBe('10.6');
    expect(addHumanFloat(Buffer.from('5.0e3'), Buffer.from('2.0e2'))).toBe('5200');
    expect(addHumanFloat(Buffer.from('1'), Buffer.from('-1'))).toBe('0');
    expect(addHumanFloat(Buffer.from('1'), Buffer.from('inf'))).toBeNull();
  });

  it('matches glob patterns like stringmatchlen', () => {
    expect(globMatch('h?llo', 'hello')).toBe(true);
    expect(globMatch('h*llo', 'heeeello')).toBe(true);
    expect(globMatch('h[ae]llo', 'hallo')).toBe(true);
    expect(globMatch('h[^e]llo', 'hello')).toBe(false);
    expect(globMatch('h[a-b]llo', 'hbllo')).toBe(true);
    expect(globMatch('h\\*llo', 'h*llo')).toBe(true);
    expect(globMatch('h\\*llo', 'hello')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('a*b*c', 'aXbYc')).toBe(true);
    expect(globMatch('a*b*c', 'aXbY')).toBe(false);
  });
});
