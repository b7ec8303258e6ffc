// ZRANDMEMBER where the answer is random (the golden file covers the forced cases): draws come
// from the store's seeded generator, distinct for a positive count, with repeats for a
// negative one, scores beside members with WITHSCORES, and nothing is logged.

import { describe, expect, it } from 'vitest';
import { Store } from '../../core/store';
import { randomRepeatsMax } from '../../core/store/util';
import { bulkBytes, type Reply } from '../../net/reply';
import { seededRng } from './rng';

const T0 = 1_000_000;
const mk = (seed: number): Store => new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(seed) });
const run = (s: Store, ...a: string[]) => s.execute(a.map((x) => Buffer.from(x, 'latin1')), T0, { db: 0, user: null });

/** Members (and scores, as text) of an array or pairs reply, flattened as RESP2 sends it. */
function strings(r: Reply): string[] {
  const items = r.t === 'array' ? r.items : r.t === 'pairs' ? r.entries.flat() : [r];
  return items.map((x) => {
    if (x.t === 'double') return String(x.d);
    const b = bulkBytes(x);
    if (b === null) throw new Error(`not a bulk string: ${JSON.stringify(x)}`);
    return b.toString('latin1');
  });
}

/** A sorted set of members m0..m9, m<i> scored i. */
function withZset(seed: number): Store {
  const s = mk(seed);
  run(s, 'ZADD', 'z', ...Array.from({ length: 10 }, (_, i) => [String(i), `m${i}`]).flat());
  return s;
}
const members = Array.from({ length: 10 }, (_, i) => `m${i}`);

describe('ZRANDMEMBER', () => {
  it('without a count: one member of the set, and every member comes up', () => {
    const s = withZset(1);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const [m] = strings(run(s, 'ZRANDMEMBER', 'z').reply);
      expect(members).toContain(m);
      seen.add(m!);
    }
    expect(seen.size).toBe(10);
  });

  it('a positive count below the size: that many distinct members, not always the same ones', () => {
    const s = withZset(2);
    const picks = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const got = strings(run(s, 'ZRANDMEMBER', 'z', '4').reply);
      expect(got).toHaveLength(4);
      expect(new Set(got).size).toBe(4);
      for (const m of got) expect(members).toContain(m);
      picks.add(got.join(','));
    }
    expect(picks.size).toBeGreaterThan(10);
  });

  it('a negative count: exactly |count| members, repeats allowed', () => {
    const s = withZset(3);
    const got = strings(run(s, 'ZRANDMEMBER', 'z', '-50').reply);
    expect(got).toHaveLength(50);
    for (const m of got) expect(members).toContain(m);
    expect(new Set(got).size).toBeLessThan(50); // 50 draws from 10 members must repeat
  });

  it('WITHSCORES pairs each member with its own score', () => {
    const s = withZset(4);
    for (const count of ['3', '-7']) {
      const r = run(s, 'ZRANDMEMBER', 'z', count, 'WITHSCORES').reply;
      expect(r.t).toBe('pairs');
      const got = strings(r);
      expect(got).toHaveLength(2 * Math.abs(Number(count)));
      for (let i = 0; i < got.length; i += 2) expect(got[i + 1]).toBe(got[i]!.slice(1));
    }
  });

  it('the same seed draws the same members; a read logs nothing', () => {
    const a = withZset(5);
    const b = withZset(5);
    for (const args of [[], ['3'], ['-4', 'WITHSCORES']]) {
      const ra = run(a, 'ZRANDMEMBER', 'z', ...args);
      expect(strings(ra.reply)).toEqual(strings(run(b, 'ZRANDMEMBER', 'z', ...args).reply));
      expect(ra.mutations).toHaveLength(0);
    }
  });

  it('refuses a repeat count past randomRepeatsMax instead of building a huge reply', () => {
    const s = withZset(6);
    expect(run(s, 'ZRANDMEMBER', 'z', String(-randomRepeatsMax)).reply).toMatchObject({ t: 'array' });
    expect(run(s, 'ZRANDMEMBER', 'z', String(-randomRepeatsMax - 1)).reply).toMatchObject({ t: 'error' });
    // A positive count is never a problem: it is capped by the set's size (highest score first, as Redis).
    expect(strings(run(s, 'ZRANDMEMBER', 'z', '9223372036854775807').reply)).toEqual(members.slice().reverse());
  });
});
