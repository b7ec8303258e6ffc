// Regression cases: a (possibly shrunk) plan saved as JSON under scenarios/regressions/,
// with what the run is expected to do. `npm test` replays every one.

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plan } from './scenario';

export interface RegressionCase {
  readonly scenario: string;
  readonly seed: number;
  /** What replaying the plan must give: pass, or fail by the named check (planted bugs). */
  readonly expect: { readonly ok: true } | { readonly ok: false; readonly checker: string };
  readonly note: string;
  /** The trace hash when the case was written (informational: kernel changes move hashes). */
  readonly traceHash?: string;
  readonly plan: Plan;
}

export function readRegressionCase(file: string): RegressionCase {
  const c = JSON.parse(readFileSync(file, 'utf8')) as RegressionCase;
  if (typeof c.scenario !== 'string' || typeof c.plan !== 'object' || c.plan === null) throw new Error(`${file}: not a regression case`);
  return c;
}

export const regressionsDir = fileURLToPath(new URL('../scenarios/regressions/', import.meta.url));

export function writeRegressionCase(c: RegressionCase, file?: string): string {
  const out = file ?? path.join(regressionsDir, `${c.scenario}-seed${c.seed}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(c, null, 1) + '\n');
  return out;
}

export function listRegressionCases(): string[] {
  try {
    return readdirSync(regressionsDir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(regressionsDir, f));
  } catch {
    return [];
  }
}
