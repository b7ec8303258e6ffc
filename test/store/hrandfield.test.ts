// HRANDFIELD where the answer is random (the golden file covers the forced cases): draws come
// from the store's seeded generator, distinct for a positive count, with repeats for a
// negative one, values beside fields with WITHVALUES, and nothing is logged.

import { describe, expect, it } from 'vitest';
import { Store } from '../../core/store';
import { randomRepeatsMax } from '../../core/store/util';
import { bulkBytes, type Reply } from '../../net/reply';
import { seededRng } from './rng';

const T0 = 1_000_000;
const mk = (seed: number): Store => new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(seed) });
const run = (s: Store, ...a: string[]) => s.execute(a.map((x) => Buffer.from(x, 'latin1')), T0, { db: 0, user: null });

/** The bulk strings of an array or pairs reply, flattened as RESP2 sends it (or of a single bulk reply). */
function strings(r: Reply): string[] {
  const items = r.t === 'array' ? r.items : r.t === 'pairs' ? r.entries.flat() : [r];
  return items.map((x) => {
    const b = bulkBytes(x);
    if (b === null) throw new Error(`not a bulk string: ${JSON.stringify(x)}`);
    return b.toString('latin1');
  });
}

/** A hash of fields f0..f9, each valued v<i>. */
function withHash(seed: number): Store {
  const s = mk(seed);
  run(s, 'HSET', 'h', ...Array.from({ length: 10 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  return s;
}
const fields = Array.from({ length: 10 }, (_, i) => `f${i}`);

describe('HRANDFIELD', () => {
  it('without a count: one field of the hash, and every field comes up', () => {
    const s = withHash(1);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const [f] = strings(run(s, 'HRANDFIELD', 'h').reply);
      expect(fields).toContain(f);
      seen.add(f!);
    }
    expect(seen.size).toBe(10);
  });

  it('a positive count below the size: that many distinct fields, not always the same ones', () => {
    const s = withHash(2);
    const picks = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const got = strings(run(s, 'HRANDFIELD', 'h', '4').reply);
      expect(got).toHaveLength(4);
      expect(new Set(got).size).toBe(4);
      for (const f of got) expect(fields).toContain(f);
      picks.add(got.join(','));
    }
    expect(picks.size).toBeGreaterThan(10);
  });

  it('a negative count: exactly |count| fields, repeats allowed', () => {
    const s = withHash(3);
    const got = strings(run(s, 'HRANDFIELD', 'h', '-50').reply);
    expect(got).toHaveLength(50);
    for (const f of got) expect(fields).toContain(f);
    expect(new Set(got).size).toBeLessThan(50); // 50 draws from 10 fields must repeat
  });

  it('WITHVALUES pairs each field with its own value', () => {
    const s = withHash(4);
    for (const count of ['3', '-7']) {
      const got = strings(run(s, 'HRANDFIELD', 'h', count, 'WITHVALUES').reply);
      expect(got).toHaveLength(2 * Math.abs(Number(count)));
      for (let i = 0; i < got.length; i += 2) expect(got[i + 1]).toBe(`v${got[i]!.slice(1)}`);
    }
  });

  it('the same seed draws the same fields; a read logs nothing', () => {
    const a = withHash(5);
    const b = withHash(5);
    for (const args of [[], ['3'], ['-4', 'WITHVALUES']]) {
      const ra = run(a, 'HRANDFIELD', 'h', ...args);
      expect(strings(ra.reply)).toEqual(strings(run(b, 'HRANDFIELD', 'h', ...args).reply));
      expect(ra.mutations).toHaveLength(0);
    }
  });

  it('refuses a repeat count past randomRepeatsMax instead of building a huge reply', () => {
    const s = withHash(6);
    expect(run(s, 'HRANDFIELD', 'h', String(-randomRepeatsMax)).reply).toMatchObject({ t: 'array' });
    expect(run(s, 'HRANDFIELD', 'h', String(-randomRepeatsMax - 1)).reply).toMatchObject({ t: 'error' });
    // A positive count is never a problem: it is capped by the hash's size.
    expect(strings(run(s, 'HRANDFIELD', 'h', '9223372036854775807').reply)).toEqual(fields);
  });
});
