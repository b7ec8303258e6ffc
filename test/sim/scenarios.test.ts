// `npm test` replays a few seeds of every named scenario (long sweeps are `keepsake sim`):
// each must pass, and each planted-bug scenario must still be caught by its checker.
import { describe, expect, it } from 'vitest';
import { plantedBugScenarios, scenarios } from '../../scenarios/index';
import { runSeed } from '../../sim/runner';

const seedsPerScenario = [1, 2, 3];

describe('every scenario passes a few seeds', () => {
  for (const s of scenarios) {
    it(`${s.name}: seeds ${seedsPerScenario.join(', ')}`, () => {
      for (const seed of seedsPerScenario) {
        const r = runSeed(s, seed).result;
        expect(r.violations, `${s.name} seed ${seed}: replay with npx keepsake replay --scenario ${s.name} --seed ${seed}`).toEqual([]);
        expect(r.stats.opsOk).toBeGreaterThan(0);
      }
    });
  }
});

describe('planted bugs are scenarios that must fail', () => {
  for (const s of plantedBugScenarios) {
    it(`${s.name} is flagged expectFailure`, () => {
      expect(s.expectFailure).toBe(true);
    });
  }
});
