// Scenarios as data, runs as plans. A scenario names a system under test, a topology, a
// workload, a fault schedule (fixed and/or swarm-drawn), durations and checks. Before a run
// starts, everything the seed decides about the workload and the faults is drawn into a
// `Plan` (the run's tape); the plan is what `shrink` cuts down and what a regression case
// saves. The network's and disks' draws stay in their own streams during the run.

import type { TimedFault } from './faults';
import type { SeededRng } from './rng';
import type { TraceLine } from './trace';

/** One client operation the workload will issue (system-specific, JSON-serializable). */
export interface PlannedOp<Op = unknown> {
  readonly atMs: number;
  readonly client: string;
  readonly op: Op;
}

export interface Plan<Op = unknown> {
  readonly scenario: string;
  readonly seed: number;
  /** Safety phase: faults are active. */
  readonly durationMs: number;
  /** Liveness phase: all faults healed; progress must be made within this bound. */
  readonly livenessMs: number;
  readonly faults: readonly TimedFault[];
  readonly ops: readonly PlannedOp<Op>[];
}

export type ViolationKind = 'safety' | 'liveness';

export interface Violation {
  /** The checker's name, as it appears in failure reports ("linearizability", "durability", "raft.electionSafety", ...). */
  readonly checker: string;
  readonly kind: ViolationKind;
  readonly message: string;
  /** Operations involved (history op ids), for the timeline to highlight. */
  readonly opIds?: readonly number[];
}

export interface RunStats {
  readonly events: number;
  readonly simulatedMs: number;
  readonly wallMs: number;
  readonly ops: number;
  readonly opsOk: number;
  readonly opsUnknown: number;
  readonly faults: number;
  readonly messages: number;
}

/** The JSON line `keepsake sim --json` prints per run. */
export interface RunResult {
  readonly scenario: string;
  readonly seed: number;
  readonly ok: boolean;
  readonly traceHash: string;
  readonly violations: readonly Violation[];
  readonly stats: RunStats;
}

export interface RunOptions {
  /** Keep every trace line (for --trace / --html). */
  readonly keepTrace?: boolean;
}

/** One client operation as the timeline and reports show it (scenario-independent). */
export interface OpView {
  readonly id: number;
  readonly client: string;
  /** Short human label, e.g. `write k1 "c1-3"` or `read k1 -> "c2-1"`. */
  readonly label: string;
  readonly invokeMs: number;
  /** null when the outcome is unknown (no reply ever came). */
  readonly completeMs: number | null;
  readonly outcome: 'ok' | 'fail' | 'unknown';
}

/** What a run leaves behind besides its result: the material for traces and timelines. */
export interface RunArtifacts {
  readonly result: RunResult;
  /** Every trace line, when the run kept them (keepTrace). */
  readonly traceLines: readonly TraceLine[] | null;
  /** The client operations, in invocation order. */
  readonly ops: readonly OpView[];
  /** Node ids (servers first, then clients) in lane order. */
  readonly nodes: readonly string[];
  readonly clients: readonly string[];
  readonly plan: Plan;
}

export interface Scenario<Op = unknown> {
  readonly name: string;
  /** One line for `keepsake scenarios`. */
  readonly description: string;
  /** A planted-bug build: its runs are expected to fail (it proves the checkers and the shrinker). */
  readonly expectFailure?: boolean;
  /** Draw the plan for a seed (workload + faults): deterministic in the seed. */
  plan(seed: number): Plan<Op>;
  /** Execute a plan (possibly a shrunk one). Must be deterministic in the plan. */
  execute(plan: Plan<Op>, opts: RunOptions): Omit<RunArtifacts, 'result'> & { result: Omit<RunResult, 'stats'> & { stats: Omit<RunStats, 'wallMs'> } };
}

/** What `Scenario.execute` returns (wall time is added by the runner). */
export type ExecuteOutput = ReturnType<Scenario['execute']>;

/**
 * The common tail of every scenario's `execute`: the run's result from its world, its checked
 * operations and its violations.
 */
export function runOutput(
  p: Plan,
  world: { readonly now: number; readonly trace: { hash(): string; readonly lines: readonly TraceLine[] | null }; readonly stats: { readonly events: number; readonly messagesSent: number } },
  ops: readonly OpView[],
  violations: readonly Violation[],
  lanes: { readonly nodes: readonly string[]; readonly clients: readonly string[] },
): ExecuteOutput {
  return {
    result: {
      scenario: p.scenario,
      seed: p.seed,
      ok: violations.length === 0,
      traceHash: world.trace.hash(),
      violations,
      stats: {
        events: world.stats.events,
        simulatedMs: world.now,
        ops: ops.length,
        opsOk: ops.filter((o) => o.outcome === 'ok').length,
        opsUnknown: ops.filter((o) => o.outcome === 'unknown').length,
        faults: p.faults.length,
        messages: world.stats.messagesSent,
      },
    },
    traceLines: world.trace.lines,
    ops,
    nodes: lanes.nodes,
    clients: lanes.clients,
    plan: p,
  };
}

/**
 * Each client issues operations as a Poisson process at `opsPerSec` over the safety phase;
 * `draw(client, n)` makes its n-th operation (n from 1). Sorted by time, then client.
 */
export function poissonWorkload<Op>(rng: SeededRng, clients: readonly string[], opsPerSec: number, durationMs: number, draw: (client: string, n: number) => Op): PlannedOp<Op>[] {
  const ops: PlannedOp<Op>[] = [];
  for (const client of clients) {
    let n = 0;
    for (let t = rng.exponential(1000 / opsPerSec); t < durationMs; t += rng.exponential(1000 / opsPerSec)) {
      ops.push({ atMs: Math.round(t), client, op: draw(client, ++n) });
    }
  }
  return ops.sort((a, b) => a.atMs - b.atMs || (a.client < b.client ? -1 : a.client > b.client ? 1 : 0));
}
