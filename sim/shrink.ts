// Shrinking a failing run to a minimal one that fails the same check.
//
// A run is a `Plan` (the tape of what the seed decided about workload and faults) executed
// with the run's seed. Shrinking edits the plan and re-executes it, keeping an edit only when
// the run still fails with the same checker:
//   1. cut the safety phase short (drop everything after a failing prefix of time);
//   2. delta-debug (Zeller's ddmin, complement-first) the fault list;
//   3. delta-debug the client operations;
//   4. shorten outages: move each repair (restart, resume, heal, release, diskSpace) earlier.
// Passes repeat until a whole round changes nothing or the run budget is spent.
// The network's and disks' random streams still come from the seed, so an edit can make the
// failure vanish; ddmin simply keeps the edits that preserve it.

import { isHealing, type TimedFault } from './faults';
import type { Plan, PlannedOp, RunResult, Scenario } from './scenario';
import { runPlan } from './runner';

export interface ShrinkOptions {
  /** Most executions of candidate plans (each is one simulated run). */
  readonly runsMax?: number;
  readonly onProgress?: (msg: string) => void;
}

export interface ShrinkReport {
  readonly checker: string;
  readonly original: { readonly plan: Plan; readonly result: RunResult };
  readonly minimal: { readonly plan: Plan; readonly result: RunResult };
  readonly runs: number;
  /** Human-readable account of what was removed. */
  readonly removed: readonly string[];
}

export const shrinkRunsMaxDefault = 2_000;

export function shrink(scenario: Scenario, plan: Plan, opts: ShrinkOptions = {}): ShrinkReport {
  const runsMax = opts.runsMax ?? shrinkRunsMaxDefault;
  let runs = 0;
  const exec = (p: Plan): RunResult => {
    runs++;
    // runPlan: a candidate that throws (a broken assertion) is a failed run, not the end of the shrink.
    const out = runPlan(scenario, p);
    return { ...out.result, stats: { ...out.result.stats, wallMs: 0 } };
  };
  const first = exec(plan);
  const firstViolation = first.violations[0];
  if (first.ok || !firstViolation) throw new Error(`${plan.scenario} seed ${plan.seed} does not fail: nothing to shrink`);
  const checker = firstViolation.checker;
  const fails = (p: Plan): RunResult | null => {
    if (runs >= runsMax) return null;
    const r = exec(p);
    return !r.ok && r.violations.some((v) => v.checker === checker) ? r : null;
  };

  let best = plan;
  let bestResult = first;
  const accept = (p: Plan, r: RunResult) => {
    best = p;
    bestResult = r;
  };

  for (let round = 0; round < 8 && runs < runsMax; round++) {
    const before = best;
    // 1. Shorter safety phase: binary search for the shortest failing duration.
    let lo = 0;
    let hi = best.durationMs;
    while (hi - lo > Math.max(10, best.durationMs / 64) && runs < runsMax) {
      const mid = Math.round((lo + hi) / 2);
      const cand = truncate(best, mid);
      const r = fails(cand);
      if (r) {
        accept(cand, r);
        hi = mid;
      } else lo = mid;
    }
    // 2. Fewer faults.
    const faults = ddmin(best.faults, (fs) => {
      const cand = { ...best, faults: fs };
      const r = fails(cand);
      if (r) accept(cand, r);
      return r !== null;
    });
    if (faults.length !== best.faults.length) opts.onProgress?.(`faults ${plan.faults.length} -> ${faults.length}`);
    // 3. Fewer operations.
    ddmin(best.ops, (ops) => {
      const cand = { ...best, ops };
      const r = fails(cand);
      if (r) accept(cand, r);
      return r !== null;
    });
    // 4. Shorter outages.
    for (let i = 0; i < best.faults.length && runs < runsMax; i++) {
      const f = best.faults[i]!;
      if (!isHealing(f.fault)) continue;
      const startAt = best.faults.slice(0, i).reduce((at, g) => (isHealing(g.fault) ? at : g.atMs), 0);
      let at = f.atMs;
      while (at - startAt > 2 && runs < runsMax) {
        const mid = Math.round((startAt + at) / 2);
        const cand = { ...best, faults: retime(best.faults, i, mid) };
        const r = fails(cand);
        if (!r) break;
        accept(cand, r);
        at = mid;
      }
    }
    opts.onProgress?.(`round ${round + 1}: ${describePlan(best)}, ${bestResult.stats.events} events (${runs} runs)`);
    if (samePlan(before, best)) break;
  }

  const removed = [
    `faults: ${plan.faults.length} -> ${best.faults.length}`,
    `client operations: ${plan.ops.length} -> ${best.ops.length}`,
    `safety phase: ${plan.durationMs}ms -> ${best.durationMs}ms`,
    `events: ${first.stats.events} -> ${bestResult.stats.events}`,
  ];
  return { checker, original: { plan, result: first }, minimal: { plan: best, result: bestResult }, runs, removed };
}

/** Keep only what happens before `durationMs`. */
function truncate(p: Plan, durationMs: number): Plan {
  return { ...p, durationMs, faults: p.faults.filter((f) => f.atMs < durationMs), ops: p.ops.filter((o: PlannedOp) => o.atMs < durationMs) };
}

function retime(faults: readonly TimedFault[], i: number, atMs: number): TimedFault[] {
  const out = faults.map((f, j) => (j === i ? { ...f, atMs } : f));
  // Stable sort keeps the relative order of simultaneous faults.
  return out.sort((a, b) => a.atMs - b.atMs);
}

function describePlan(p: Plan): string {
  return `${p.faults.length} faults, ${p.ops.length} ops, ${p.durationMs}ms`;
}

function samePlan(a: Plan, b: Plan): boolean {
  return a.durationMs === b.durationMs && a.faults.length === b.faults.length && a.ops.length === b.ops.length && JSON.stringify(a.faults) === JSON.stringify(b.faults);
}

/**
 * ddmin: the smallest sublist (1-minimal w.r.t. removing any chunk it tried) for which `test`
 * still holds. `test` is called on candidates; the caller records accepted ones.
 */
export function ddmin<T>(items: readonly T[], test: (xs: readonly T[]) => boolean): readonly T[] {
  let cur = items;
  let n = 2;
  while (cur.length >= 1) {
    const chunk = Math.ceil(cur.length / n);
    let reduced = false;
    for (let start = 0; start < cur.length; start += chunk) {
      const complement = [...cur.slice(0, start), ...cur.slice(start + chunk)];
      if (complement.length < cur.length && test(complement)) {
        cur = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  return cur;
}
