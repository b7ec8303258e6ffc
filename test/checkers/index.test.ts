import { describe, expect, it } from 'vitest';
import { CheckerRegistry, linearizabilityChecker, type CheckResult, type InvariantChecker } from '../../sim/checkers/index';
import { AssertionError } from '../../net/types';
import type { Operation } from '../../sim/history';
import { get, history, ok, set, val } from './helpers';

interface ToyWorld {
  readonly leaders: number;
  readonly history: Operation[] | null;
}

const oneLeader: InvariantChecker<ToyWorld> = {
  name: 'toy.oneLeader',
  kind: 'safety',
  check: (w): CheckResult => ({
    checker: 'toy.oneLeader',
    ok: w.leaders <= 1,
    kind: 'safety',
    explanation: `${w.leaders} leaders`,
    opIds: [],
  }),
};

describe('CheckerRegistry', () => {
  it('runs registered checkers in order, skips inapplicable ones, refuses duplicates', () => {
    const reg = new CheckerRegistry<ToyWorld>();
    reg.register(oneLeader);
    reg.register(linearizabilityChecker<ToyWorld>((w) => w.history, { now: () => 0 }));
    expect(() => reg.register(oneLeader)).toThrow(AssertionError);
    expect(reg.checkers().map((c) => c.name)).toEqual(['toy.oneLeader', 'linearizability']);

    expect(reg.runAll({ leaders: 2, history: null })).toEqual([
      { checker: 'toy.oneLeader', ok: false, kind: 'safety', explanation: '2 leaders', opIds: [] },
    ]);

    const stale = history(['c1', set('x', 'a'), 0, 5, ok], ['c1', set('x', 'b'), 10, 15, ok], ['c2', get('x'), 20, 25, val('a')]);
    const [toy, lin] = reg.runAll({ leaders: 1, history: stale });
    expect(toy!.ok).toBe(true);
    expect(lin).toMatchObject({ checker: 'linearizability', ok: false, kind: 'safety', opIds: [1, 2] });
    expect(lin!.explanation).toContain('not linearizable on x: get(x) by c2');
  });

  it('reports a timed-out search as unknown, not as a pass', () => {
    const reg = new CheckerRegistry<ToyWorld>();
    reg.register(linearizabilityChecker<ToyWorld>((w) => w.history, { now: () => 0, budgetMs: 0 }));
    const h = history(['c1', set('x', 'a'), 0, 5, ok]);
    expect(reg.runAll({ leaders: 0, history: h })[0]!.ok).toBe('unknown');
  });
});
