// Regression cases: a (possibly shrunk) plan saved as JSON under scenarios/regressions/,
// with what the run is expected to do. `npm test` replays every one.

import { readFileSync } from 'node:fs';
import type { Plan } from './scenario';

export interface RegressionCase {
  readonly scenario: string;
  readonly seed: number;
  /** What replaying the plan must give: pass, or fail by the named check (planted bugs). */
  readonly expect: { readonly ok: true } | { readonly ok: false; readonly checker: string };
  readonly note: string;
  readonly plan: Plan;
}

export function readRegressionCase(file: string): RegressionCase {
  const c = JSON.parse(readFileSync(file, 'utf8')) as RegressionCase;
  if (typeof c.scenario !== 'string' || typeof c.plan !== 'object' || c.plan === null) throw new Error(`${file}: not a regression case`);
  return c;
}
