import { describe, expect, it } from 'vitest';
import { checkDurability, durabilityCheckResult, type AckLevel, type DurabilityInput } from '../../sim/checkers/durability';
import type { Operation } from '../../sim/history';
import { U, cas, count, del, history, incr, int, mset, ok, set, swapped, unknown, fail } from './helpers';

function input(
  ops: Operation[],
  recovered: Record<string, string | null>,
  levels: Record<number, AckLevel> = {},
  surviving: AckLevel[] = ['quorum'],
): DurabilityInput {
  return {
    history: ops,
    ackLevels: new Map(Object.entries(levels).map(([id, l]) => [Number(id), l])),
    defaultLevel: 'quorum',
    survivingLevels: new Set(surviving),
    recovered: new Map(Object.entries(recovered)),
    recoveryMs: 100,
  };
}

describe('durability checker', () => {
  it('reports a lost acknowledged quorum write, naming it', () => {
    const h = history(['c1', set('x', 'a'), 0, 5, ok], ['c1', set('y', 'b'), 6, 9, ok]);
    const r = checkDurability(input(h, { x: null, y: 'b' }));
    expect(r.ok).toBe(false);
    expect(r.details).toHaveLength(1);
    expect(r.details[0]!.key).toBe('x');
    expect(r.details[0]!.lostOp).toBe(0);
    expect(r.details[0]!.explanation).toContain('set(x, "a") by c1 at [0ms, 5ms]');
    expect(r.details[0]!.explanation).toContain('level quorum');
    const c = durabilityCheckResult(r);
    expect(c).toMatchObject({ checker: 'durability', ok: false, kind: 'safety', opIds: [0] });
  });

  it('treats a key missing from the recovered map as absent', () => {
    const h = history(['c1', set('x', 'a'), 0, 5, ok]);
    expect(checkDurability(input(h, {})).details.map((d) => d.lostOp)).toEqual([0]);
  });

  it('allows losing a memory-level write when the scenario does not promise it', () => {
    const h = history(['c1', set('x', 'a'), 0, 5, ok], ['c1', set('x', 'b'), 10, 15, ok]);
    expect(checkDurability(input(h, { x: 'a' }, { 1: 'memory' })).ok).toBe(true);
    expect(checkDurability(input(h, { x: null }, { 0: 'memory', 1: 'memory' })).ok).toBe(true);
    // ...but not when it promises memory survives too.
    expect(checkDurability(input(h, { x: 'a' }, { 1: 'memory' }, ['memory', 'quorum'])).details[0]!.lostOp).toBe(1);
  });

  it('accepts a value superseded by a later write of any level or outcome', () => {
    const h = history(
      ['c1', set('x', 'a'), 0, 5, ok],
      ['c2', set('x', 'b'), 10, 15, ok],
      ['c3', set('x', 'c'), 20, U, unknown],
    );
    expect(checkDurability(input(h, { x: 'b' }, { 1: 'memory' })).ok).toBe(true);
    expect(checkDurability(input(h, { x: 'c' })).ok).toBe(true);
    expect(checkDurability(input(h, { x: 'b' })).ok).toBe(true);
  });

  it('accepts a concurrent write as the last one but not one that finished before the durable write began', () => {
    const concurrent = history(['c1', set('x', 'a'), 0, 10, ok], ['c2', set('x', 'b'), 5, 8, ok]);
    expect(checkDurability(input(concurrent, { x: 'b' }, { 1: 'memory' })).ok).toBe(true);
    expect(checkDurability(input(concurrent, { x: 'a' })).ok).toBe(true);
    const before = history(['c2', set('x', 'b'), 0, 3, ok], ['c1', set('x', 'a'), 5, 10, ok]);
    const r = checkDurability(input(before, { x: 'b' }, { 0: 'memory' }));
    expect(r.details.map((d) => d.lostOp)).toEqual([1]);
    expect(r.details[0]!.explanation).toContain('finished before that write began');
  });

  it('promises nothing about writes acknowledged after the fault, or failed, or unacknowledged', () => {
    const h = history(
      ['c1', set('x', 'a'), 90, 110, ok],
      ['c1', set('y', 'a'), 0, 1, fail],
      ['c1', set('z', 'a'), 0, U, unknown],
    );
    expect(checkDurability(input(h, {})).ok).toBe(true);
  });

  it('checks deletes, increments, cas and mset', () => {
    const h = history(
      ['c1', set('x', 'a'), 0, 5, ok],
      ['c1', del('x'), 10, 15, count(1)],
      ['c1', incr('n'), 0, 5, int(1)],
      ['c1', incr('n'), 6, 9, int(2)],
      ['c1', cas('q', null, 'v'), 0, 5, swapped(true)],
      ['c1', cas('q', 'zz', 'w'), 6, 9, swapped(false)],
      ['c1', mset(['m1', '1'], ['m2', '2']), 0, 5, ok],
    );
    const good = { x: null, n: '2', q: 'v', m1: '1', m2: '2' };
    expect(checkDurability(input(h, good)).ok).toBe(true);
    const bad = checkDurability(input(h, { x: 'a', n: '1', q: 'w', m1: '1', m2: null }));
    expect(bad.details.map((d) => [d.key, d.lostOp])).toEqual([
      ['m2', 6],
      ['n', 3],
      ['q', 4],
      ['x', 1],
    ]);
  });

  it('reports a recovered value no write produced', () => {
    const h = history(['c1', set('x', 'a'), 0, 5, ok]);
    const r = checkDurability(input(h, { x: 'zz' }));
    expect(r.details[0]!.explanation).toContain('no write before recovery wrote that value');
  });

  it('accepts an unknown incr as having produced some integer', () => {
    const h = history(['c1', incr('n'), 0, 5, int(1)], ['c1', incr('n', 5), 10, U, unknown]);
    expect(checkDurability(input(h, { n: '6' })).ok).toBe(true);
    expect(checkDurability(input(h, { n: '1' })).ok).toBe(true);
    expect(checkDurability(input(h, { n: null })).ok).toBe(false);
  });
});
