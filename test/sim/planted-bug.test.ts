// The acceptance loop of the simulator on a planted bug: a sweep catches it within 200 seeds,
// replay reproduces the failing run bit for bit, and shrink cuts it to at most a third.
import { describe, expect, it } from 'vitest';
import { findScenario } from '../../scenarios/index';
import { runSeed } from '../../sim/runner';
import { shrink } from '../../sim/shrink';

describe('planted bug: acknowledge before fsync', () => {
  const scenario = findScenario('bug-lost-write')!;

  it('is caught within 200 seeds, replays bit for bit, and shrinks to a third or less', () => {
    let failing: number | null = null;
    for (let seed = 1; seed <= 200 && failing === null; seed++) if (!runSeed(scenario, seed).result.ok) failing = seed;
    expect(failing, 'no failing seed in 200').not.toBeNull();
    const a = runSeed(scenario, failing!).result;
    const b = runSeed(scenario, failing!).result;
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.violations).toEqual(a.violations);
    const checker = a.violations[0]!.checker;
    expect(['linearizability', 'durability']).toContain(checker);
    const report = shrink(scenario, scenario.plan(failing!), { runsMax: 600 });
    expect(report.checker).toBe(checker);
    expect(report.minimal.result.ok).toBe(false);
    expect(report.minimal.result.violations.map((v) => v.checker)).toContain(checker);
    expect(report.minimal.result.stats.events * 3).toBeLessThanOrEqual(a.stats.events);
    expect(report.minimal.plan.ops.length).toBeLessThan(report.original.plan.ops.length);
  });

  it('a planted stale read is caught by the linearizability checker on the first seeds', () => {
    const stale = findScenario('bug-stale-read')!;
    for (let seed = 1; seed <= 3; seed++) expect(runSeed(stale, seed).result.violations.map((v) => v.checker)).toContain('linearizability');
  });

  it('the correct build passes the same seeds', () => {
    const smoke = findScenario('smoke')!;
    for (let seed = 1; seed <= 30; seed++) expect(runSeed(smoke, seed).result.violations).toEqual([]);
  });
});
