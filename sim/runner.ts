// Runs one seed of a scenario and measures its wall time. Wall time is measured here, outside
// the world, and never feeds back into the run. An exception thrown inside a run (a broken
// assertion in a state machine) is a safety failure of that run, not a crash of the sweep.

import { performance } from 'node:perf_hooks';
import type { Plan, RunArtifacts, RunOptions, Scenario } from './scenario';

export function runPlan(scenario: Scenario, plan: Plan, opts: RunOptions = {}): RunArtifacts {
  const t0 = performance.now();
  try {
    const out = scenario.execute(plan, opts);
    const wallMs = Math.round(performance.now() - t0);
    return { ...out, result: { ...out.result, stats: { ...out.result.stats, wallMs } } };
  } catch (e) {
    const wallMs = Math.round(performance.now() - t0);
    const err = e as Error;
    return {
      result: {
        scenario: plan.scenario,
        seed: plan.seed,
        ok: false,
        traceHash: 'exception',
        violations: [{ checker: `exception.${err.name}`, kind: 'safety', message: `${err.message}\n${(err.stack ?? '').split('\n').slice(1, 6).join('\n')}` }],
        stats: { events: 0, simulatedMs: 0, wallMs, ops: 0, opsOk: 0, opsUnknown: 0, faults: plan.faults.length, messages: 0 },
      },
      traceLines: null,
      ops: [],
      nodes: [],
      clients: [],
      plan,
    };
  }
}

export function runSeed(scenario: Scenario, seed: number, opts: RunOptions = {}): RunArtifacts {
  return runPlan(scenario, scenario.plan(seed), opts);
}

/** The exact command that replays a run. */
export function replayCommand(scenario: string, seed: number): string {
  return `npx keepsake replay --scenario ${scenario} --seed ${seed}`;
}
