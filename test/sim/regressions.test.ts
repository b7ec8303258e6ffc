// Every saved regression case is replayed forever: it must do what it says it does.
import { describe, expect, it } from 'vitest';
import { findScenario } from '../../scenarios/index';
import { listRegressionCases, readRegressionCase } from '../../sim/regressions';
import { runPlan } from '../../sim/runner';

const files = listRegressionCases();

describe('regression cases', () => {
  it('there is at least one case (the planted-bug cases prove the loop works)', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(`replays ${file.split('/').pop()}`, () => {
      const c = readRegressionCase(file);
      const scenario = findScenario(c.scenario);
      expect(scenario, `unknown scenario ${c.scenario}`).toBeDefined();
      const r = runPlan(scenario!, c.plan).result;
      if (c.expect.ok) {
        expect(r.violations).toEqual([]);
        expect(r.ok).toBe(true);
      } else {
        expect(r.ok).toBe(false);
        expect(r.violations.map((v) => v.checker)).toContain(c.expect.checker);
      }
    });
  }
});
