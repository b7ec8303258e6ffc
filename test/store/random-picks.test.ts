// HRANDFIELD and ZRANDMEMBER where the answer is random (the golden files cover the forced
// cases): draws come from the store's seeded generator, distinct for a positive count, with
// repeats for a negative one, values or scores beside them with the flag, nothing is logged,
// and a huge repeat count is refused. (SRANDMEMBER/SPOP: test/store/sets-random.test.ts.)

import { describe, expect, it } from 'vitest';
import { Store } from '../../core/store';
import { randomRepeatsMax } from '../../core/store/util';
import { bulkBytes, type Reply } from '../../net/reply';
import { seededRng } from './rng';

const T0 = 1_000_000;
const mk = (seed: number): Store => new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(seed) });
const run = (s: Store, ...a: string[]) => s.execute(a.map((x) => Buffer.from(x, 'latin1')), T0, { db: 0, user: null });

/** The strings of an array or pairs reply, flattened as RESP2 sends it (scores as text), or of one bulk. */
function strings(r: Reply): string[] {
  const items = r.t === 'array' ? r.items : r.t === 'pairs' ? r.entries.flat() : [r];
  return items.map((x) => {
    if (x.t === 'double') return String(x.d);
    const b = bulkBytes(x);
    if (b === null) throw new Error(`not a bulk string: ${JSON.stringify(x)}`);
    return b.toString('latin1');
  });
}

interface Case {
  readonly cmd: string;
  readonly flag: string;
  /** Fills key `c` of a store with ten elements n0..n9 (n a letter), element i paired with `paired(i)`. */
  readonly fill: (s: Store) => void;
  readonly names: readonly string[];
  readonly paired: (i: string) => string;
  /** What a count covering the whole container answers. */
  readonly whole: readonly string[];
}

const ten = (p: string) => Array.from({ length: 10 }, (_, i) => `${p}${i}`);
const cases: readonly Case[] = [
  {
    cmd: 'HRANDFIELD',
    flag: 'WITHVALUES',
    fill: (s) => run(s, 'HSET', 'c', ...Array.from({ length: 10 }, (_, i) => [`f${i}`, `v${i}`]).flat()),
    names: ten('f'),
    paired: (i) => `v${i}`,
    whole: ten('f'), // the hash's own order
  },
  {
    cmd: 'ZRANDMEMBER',
    flag: 'WITHSCORES',
    fill: (s) => run(s, 'ZADD', 'c', ...Array.from({ length: 10 }, (_, i) => [String(i), `m${i}`]).flat()),
    names: ten('m'),
    paired: (i) => i,
    whole: ten('m').reverse(), // highest score first, as Redis's iterator starts at the tail
  },
];

describe.each(cases)('$cmd', (c) => {
  const filled = (seed: number): Store => {
    const s = mk(seed);
    c.fill(s);
    return s;
  };

  it('without a count: one element, and every element comes up', () => {
    const s = filled(1);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const [x] = strings(run(s, c.cmd, 'c').reply);
      expect(c.names).toContain(x);
      seen.add(x!);
    }
    expect(seen.size).toBe(10);
  });

  it('a positive count below the size: that many distinct elements, not always the same ones', () => {
    const s = filled(2);
    const picks = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const got = strings(run(s, c.cmd, 'c', '4').reply);
      expect(got).toHaveLength(4);
      expect(new Set(got).size).toBe(4);
      for (const x of got) expect(c.names).toContain(x);
      picks.add(got.join(','));
    }
    expect(picks.size).toBeGreaterThan(10);
  });

  it('a negative count: exactly |count| elements, repeats allowed', () => {
    const got = strings(run(filled(3), c.cmd, 'c', '-50').reply);
    expect(got).toHaveLength(50);
    for (const x of got) expect(c.names).toContain(x);
    expect(new Set(got).size).toBeLessThan(50); // 50 draws from 10 elements must repeat
  });

  it('the flag pairs each element with its own value or score', () => {
    const s = filled(4);
    for (const count of ['3', '-7']) {
      const r = run(s, c.cmd, 'c', count, c.flag).reply;
      expect(r.t).toBe('pairs');
      const got = strings(r);
      expect(got).toHaveLength(2 * Math.abs(Number(count)));
      for (let i = 0; i < got.length; i += 2) expect(got[i + 1]).toBe(c.paired(got[i]!.slice(1)));
    }
  });

  it('the same seed draws the same elements; a read logs nothing', () => {
    const a = filled(5);
    const b = filled(5);
    for (const args of [[], ['3'], ['-4', c.flag]]) {
      const ra = run(a, c.cmd, 'c', ...args);
      expect(strings(ra.reply)).toEqual(strings(run(b, c.cmd, 'c', ...args).reply));
      expect(ra.mutations).toHaveLength(0);
    }
  });

  it('refuses a repeat count past randomRepeatsMax instead of building a huge reply', () => {
    const s = filled(6);
    expect(run(s, c.cmd, 'c', String(-randomRepeatsMax)).reply).toMatchObject({ t: 'array' });
    expect(run(s, c.cmd, 'c', String(-randomRepeatsMax - 1)).reply).toMatchObject({ t: 'error' });
    // A positive count is never a problem: it is capped by the container's size.
    expect(strings(run(s, c.cmd, 'c', '9223372036854775807').reply)).toEqual(c.whole);
  });
});
