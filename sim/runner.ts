// Runs one seed of a scenario and measures its wall time. Wall time is measured here, outside
// the world, and never feeds back into the run.

import { performance } from 'node:perf_hooks';
import type { Plan, RunArtifacts, RunOptions, Scenario } from './scenario';

export function runPlan(scenario: Scenario, plan: Plan, opts: RunOptions = {}): RunArtifacts {
  const t0 = performance.now();
  const out = scenario.execute(plan, opts);
  const wallMs = Math.round(performance.now() - t0);
  return { ...out, result: { ...out.result, stats: { ...out.result.stats, wallMs } } };
}

export function runSeed(scenario: Scenario, seed: number, opts: RunOptions = {}): RunArtifacts {
  return runPlan(scenario, scenario.plan(seed), opts);
}

/** The exact command that replays a run. */
export function replayCommand(scenario: string, seed: number): string {
  return `npx keepsake replay --scenario ${scenario} --seed ${seed}`;
}
