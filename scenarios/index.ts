// The named scenarios `keepsake scenarios` lists and `keepsake sim` runs.

import type { Scenario } from '../sim/scenario';
import { kvBugScenarios, kvScenarios } from './keepsake';
import { registerScenario, smoke, smokeConfig } from './smoke';

/** Planted-bug builds: they must FAIL; they prove the checkers and the shrinker work. */
export const plantedBugScenarios: Scenario[] = [
  registerScenario({
    ...smokeConfig,
    name: 'bug-lost-write',
    description: 'PLANTED BUG: the register acknowledges writes before fsync; a crash loses them (must fail)',
    swarm: { ratePerSec: 3, allow: { crash: true }, outageMaxMs: 300, clockMaxMs: 0 },
    disk: { fsyncMs: 15 },
    bugs: { ackBeforeFsync: true },
  }) as Scenario,
  registerScenario({
    ...smokeConfig,
    name: 'bug-stale-read',
    description: 'PLANTED BUG: the register serves reads from the value before the last write (must fail linearizability)',
    bugs: { staleRead: true },
  }) as Scenario,
  ...kvBugScenarios,
];

export const scenarios: Scenario[] = [smoke as Scenario, ...kvScenarios];

const all = new Map<string, Scenario>([...scenarios, ...plantedBugScenarios].map((s) => [s.name, s]));

export function findScenario(name: string): Scenario | undefined {
  return all.get(name);
}

export function allScenarios(): Scenario[] {
  return [...all.values()];
}
