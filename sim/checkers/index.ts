// The common shape of every checker's verdict, and a registry of named invariant checkers
// that other subsystems (Raft, keepers, replicas) add to without changing this file.
// The run framework collects one CheckResult per checker per run.

import { assert } from '../../net/types';
import type { Operation } from '../history';
import { checkLinearizability, type LinearizabilityOptions, type LinearizabilityResult } from './linearizability';

export interface CheckResult {
  readonly checker: string;
  /** 'unknown' when the checker ran out of budget: neither a pass nor a failure. */
  readonly ok: boolean | 'unknown';
  readonly kind: 'safety' | 'liveness';
  readonly explanation: string;
  /** History operation ids involved, for the timeline to highlight. */
  readonly opIds: readonly number[];
}

/** A named check over a world of type W. Returns null when it has nothing to say (not applicable). */
export interface InvariantChecker<W> {
  readonly name: string;
  readonly kind: 'safety' | 'liveness';
  check(world: W): CheckResult | null;
}

/** Guards against a registration loop. */
export const registeredCheckersMax = 1_000;

export class CheckerRegistry<W> {
  private readonly byName = new Map<string, InvariantChecker<W>>();

  register(checker: InvariantChecker<W>): void {
    assert(!this.byName.has(checker.name), `checker ${checker.name} registered twice`);
    assert(this.byName.size < registeredCheckersMax, `more than ${registeredCheckersMax} checkers`);
    this.byName.set(checker.name, checker);
  }

  /** In registration order. */
  checkers(): readonly InvariantChecker<W>[] {
    return [...this.byName.values()];
  }

  /** Runs every checker; results in registration order, skipping those that had nothing to say. */
  runAll(world: W): CheckResult[] {
    const results: CheckResult[] = [];
    for (const c of this.byName.values()) {
      const r = c.check(world);
      if (r === null) continue;
      assert(r.checker === c.name, `checker ${c.name} reported as ${r.checker}`);
      results.push(r);
    }
    return results;
  }
}

export function linearizabilityCheckResult(result: LinearizabilityResult): CheckResult {
  switch (result.result) {
    case 'ok':
      return { checker: 'linearizability', ok: true, kind: 'safety', explanation: 'linearizable', opIds: [] };
    case 'unknown':
      return {
        checker: 'linearizability',
        ok: 'unknown',
        kind: 'safety',
        explanation: 'the search ran out of its time budget',
        opIds: [],
      };
    case 'violation':
      return {
        checker: 'linearizability',
        ok: false,
        kind: 'safety',
        explanation: `not linearizable on ${result.keys.join(', ')}: ${result.explanation}`,
        opIds: result.ops,
      };
    default: {
      const never: never = result;
      return never;
    }
  }
}

/** The linearizability checker as an invariant over anything that can hand over its history. */
export function linearizabilityChecker<W>(
  historyOf: (world: W) => readonly Operation[] | null,
  options: LinearizabilityOptions,
): InvariantChecker<W> {
  return {
    name: 'linearizability',
    kind: 'safety',
    check(world) {
      const history = historyOf(world);
      return history === null ? null : linearizabilityCheckResult(checkLinearizability(history, options));
    },
  };
}

export { checkLinearizability, partitionHistory } from './linearizability';
export type { LinearizabilityOptions, LinearizabilityResult } from './linearizability';
export { checkDurability, durabilityCheckResult } from './durability';
export type { AckLevel, DurabilityInput, DurabilityReport, LostWrite } from './durability';
