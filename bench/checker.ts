// Linearizability checking speed on generated histories: 10,000 operations over 100 keys
// by 10 concurrent clients, from a seeded run of a real sequential store with overlapping
// operations, lost replies and rejected requests. Goal: under one second.
//   npx tsx bench/checker.ts

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { assert } from '../net/types';
import { checkLinearizability } from '../sim/checkers/linearizability';
import { generateDefaults, generateKvHistory } from '../sim/checkers/generate';

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

const benchOps = 10_000;
const benchKeys = 100;
const benchClients = 10;
const benchRepeats = 3;

function timeCheck(multiKeyRate: number): { ms: number; ops: number } {
  const history = generateKvHistory({
    ...generateDefaults,
    seed: 'bench-checker',
    ops: benchOps,
    keys: benchKeys,
    clients: benchClients,
    multiKeyRate,
  });
  let bestMs = Infinity;
  for (let i = 0; i < benchRepeats; i++) {
    const startMs = performance.now();
    const result = checkLinearizability(history, { now: () => performance.now(), budgetMs: 60_000 });
    const ms = performance.now() - startMs;
    assert(result.result === 'ok', `bench: generated history judged ${result.result}`);
    bestMs = Math.min(bestMs, ms);
  }
  return { ms: bestMs, ops: history.length };
}

export function benchChecker(): BenchResult[] {
  const single = timeCheck(0);
  const multi = timeCheck(0.002);
  return [
    { name: 'checker.linearizability.10k-ops-100-keys.ms', value: round(single.ms), unit: 'ms' },
    { name: 'checker.linearizability.10k-ops-100-keys.ops-per-s', value: Math.round((single.ops / single.ms) * 1000), unit: 'ops/s' },
    { name: 'checker.linearizability.10k-ops-100-keys-0.2pct-multikey.ms', value: round(multi.ms), unit: 'ms' },
  ];
}

const round = (x: number): number => Math.round(x * 10) / 10;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of benchChecker()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
