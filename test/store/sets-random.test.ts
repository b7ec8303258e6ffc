// SPOP and SRANDMEMBER pick at random, so the golden files can only pin their forced answers.
// Here: picks are members, distinct when they must be, spread over the set, and SPOP replicates
// as exactly the members it removed. Also SSCAN over a set too large to answer whole, whose
// order (a hashtable's in Redis) the golden files cannot pin either.

import { describe, expect, it } from 'vitest';
import { Store, type Mutation } from '../../core/store';
import { randomRepeatsMax } from '../../core/store/util';
import type { Reply } from '../../net/reply';
import { seededRng } from './rng';

const T0 = 1_000_000;
const argv = (...a: string[]): Buffer[] => a.map((s) => Buffer.from(s, 'latin1'));
const mk = (seed: number): Store => new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(seed) });
const run = (s: Store, ...a: string[]) => s.execute(argv(...a), T0, { db: 0, user: null });
const text = (m: Mutation): string => m.argv.map((x) => x.toString('latin1')).join(' ');

/** The bulk strings of a one-level reply (array or set), or of a single bulk. */
function strings(r: Reply): string[] {
  if (r.t === 'bulk') return [r.b.toString('latin1')];
  if (r.t === 'array' || r.t === 'set') return r.items.flatMap(strings);
  throw new Error(`unexpected reply ${JSON.stringify(r)}`);
}

const members = Array.from({ length: 40 }, (_, i) => `m${i}`);

/** `got` is `n` distinct members of the set. */
function expectDistinctMembers(got: readonly string[], n: number): void {
  expect(got).toHaveLength(n);
  expect(new Set(got).size).toBe(n);
  for (const x of got) expect(members).toContain(x);
}
/** A store holding set s = members, and a follower in the same state. */
function pair(seed: number): { leader: Store; follower: Store } {
  const leader = mk(seed);
  const follower = mk(seed + 100);
  for (const m of run(leader, 'SADD', 's', ...members).mutations) follower.applyMutation(m);
  return { leader, follower };
}

const smembers = (s: Store): string[] => strings(run(s, 'SMEMBERS', 's').reply);

describe('SPOP', () => {
  it('pops distinct members of the set and replicates as an SREM of exactly those', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { leader, follower } = pair(seed);
      const res = run(leader, 'SPOP', 's', '7');
      const popped = strings(res.reply);
      expect(res.reply.t).toBe('set');
      expectDistinctMembers(popped, 7);
      expect(res.mutations.map(text)).toEqual([`SREM s ${popped.join(' ')}`]);
      for (const m of res.mutations) follower.applyMutation(m);
      expect(smembers(leader).sort()).toEqual(members.filter((m) => !popped.includes(m)).sort());
      expect(follower.digest()).toBe(leader.digest());
      leader.invariants();
    }
  });

  it('without a count pops one member, replicated as its SREM', () => {
    const { leader, follower } = pair(3);
    const res = run(leader, 'SPOP', 's');
    const [m] = strings(res.reply);
    expect(members).toContain(m);
    expect(res.mutations.map(text)).toEqual([`SREM s ${m}`]);
    for (const mu of res.mutations) follower.applyMutation(mu);
    expect(follower.digest()).toBe(leader.digest());
    expect(smembers(leader)).toHaveLength(members.length - 1);
  });

  it('a count of at least the size takes the whole set, replicated as DEL', () => {
    const { leader } = pair(4);
    const res = run(leader, 'SPOP', 's', '40');
    expect(strings(res.reply).sort()).toEqual([...members].sort());
    expect(res.mutations.map(text)).toEqual(['DEL s']);
    expect(leader.dbSize(0)).toBe(0);
  });

  it('replicates a large pop in SREMs of at most 1024 members', () => {
    const leader = mk(9);
    const follower = mk(10);
    const many = Array.from({ length: 3000 }, (_, i) => `x${i}`);
    for (const m of run(leader, 'SADD', 'big', ...many).mutations) follower.applyMutation(m);
    const res = run(leader, 'SPOP', 'big', '2500');
    expect(res.mutations.map((m) => m.argv.length - 2)).toEqual([1024, 1024, 452]);
    for (const m of res.mutations) follower.applyMutation(m);
    expect(follower.digest()).toBe(leader.digest());
    expect(run(leader, 'SCARD', 'big').reply).toEqual({ t: 'int', n: 500 });
  });

  it('every member can be popped (the picks spread over the set)', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) seen.add(strings(run(pair(seed).leader, 'SPOP', 's').reply)[0]!);
    expect(seen.size).toBeGreaterThan(30);
  });
});

describe('SRANDMEMBER', () => {
  it('a positive count answers that many distinct members and writes nothing', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { leader } = pair(seed);
      const before = leader.digest();
      const res = run(leader, 'SRANDMEMBER', 's', '12');
      const picked = strings(res.reply);
      expect(res.reply.t).toBe('array');
      expectDistinctMembers(picked, 12);
      expect(res.mutations).toEqual([]);
      expect(leader.digest()).toBe(before);
    }
  });

  it('a negative count answers that many picks, repeats allowed', () => {
    const { leader } = pair(5);
    const picked = strings(run(leader, 'SRANDMEMBER', 's', '-100').reply);
    expect(picked).toHaveLength(100);
    for (const p of picked) expect(members).toContain(p);
    expect(new Set(picked).size).toBeLessThan(100); // 100 picks of 40 members repeat
  });

  it('without a count answers one member', () => {
    const { leader } = pair(6);
    const res = run(leader, 'SRANDMEMBER', 's');
    expect(res.reply.t).toBe('bulk');
    expect(members).toContain(strings(res.reply)[0]);
  });

  it('refuses a negative count whose reply would not fit in memory', () => {
    const { leader } = pair(7);
    expect(strings(run(leader, 'SRANDMEMBER', 's', String(-randomRepeatsMax)).reply)).toHaveLength(randomRepeatsMax);
    expect(run(leader, 'SRANDMEMBER', 's', String(-randomRepeatsMax - 1)).reply.t).toBe('error');
  });
});

describe('SSCAN of a large set', () => {
  it('a full scan by cursor returns every member exactly once', () => {
    const s = mk(1);
    const big = Array.from({ length: 300 }, (_, i) => `e${i}`);
    run(s, 'SADD', 'big', ...big);
    const seen: string[] = [];
    let cursor = '0';
    let calls = 0;
    do {
      const r = run(s, 'SSCAN', 'big', cursor, 'COUNT', '10').reply;
      if (r.t !== 'array') throw new Error('not an array');
      cursor = strings(r.items[0]!)[0]!;
      seen.push(...strings(r.items[1]!));
      calls++;
    } while (cursor !== '0');
    expect(calls).toBeGreaterThan(1);
    expect(seen.sort()).toEqual([...big].sort());
  });
});
