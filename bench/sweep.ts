// Sweep speed: seeds of the smoke scenario per wall second, in this thread (one core).
import { performance } from 'node:perf_hooks';
import { smoke } from '../scenarios/smoke';
import { runSeed } from '../sim/runner';
import type { Figure } from './figures';

export function benchSweep(seeds = 300): Figure[] {
  const t0 = performance.now();
  let events = 0;
  let simulatedMs = 0;
  for (let s = 1; s <= seeds; s++) {
    const r = runSeed(smoke, s).result;
    events += r.stats.events;
    simulatedMs += r.stats.simulatedMs;
  }
  const wallS = (performance.now() - t0) / 1000;
  return [
    { name: 'sweep.smoke.runs_per_second_one_core', value: Number((seeds / wallS).toFixed(1)), unit: 'runs/s' },
    { name: 'sweep.smoke.simulated_seconds_per_wall_second', value: Math.round(simulatedMs / 1000 / wallS), unit: 'x' },
    { name: 'sweep.smoke.events_per_wall_second', value: Math.round(events / wallS), unit: 'events/s' },
  ];
}
