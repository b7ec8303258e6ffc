// Sweeps: many seeds of many scenarios, spread over worker threads. Each worker runs whole
// seeds and shares nothing; results come back as plain JSON and are reported in seed order.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { findScenario } from '../scenarios/index';
import { runSeed } from './runner';
import type { RunResult } from './scenario';

export interface SweepJob {
  readonly scenario: string;
  readonly seed: number;
}

export interface SweepOptions {
  readonly workers?: number;
  /** Called once per finished run, in completion order. */
  readonly onResult?: (r: RunResult) => void;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/** Run jobs in this thread (used by workers, and when --workers 1). */
export function runJobsInline(jobs: readonly SweepJob[], onResult?: (r: RunResult) => void): RunResult[] {
  const out: RunResult[] = [];
  for (const j of jobs) {
    const s = findScenario(j.scenario);
    if (!s) throw new Error(`unknown scenario ${j.scenario}`);
    const r = runSeed(s, j.seed).result;
    out.push(r);
    onResult?.(r);
  }
  return out;
}

/** Run jobs over worker threads; resolves with every result, in job order. */
export async function runSweep(jobs: readonly SweepJob[], opts: SweepOptions = {}): Promise<RunResult[]> {
  const workers = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), jobs.length));
  if (workers <= 1) return runJobsInline(jobs, opts.onResult);
  const results: (RunResult | undefined)[] = new Array(jobs.length);
  let next = 0;
  const script = new URL('./sweep-worker-boot.mjs', import.meta.url);
  await Promise.all(
    Array.from({ length: workers }, () => {
      return new Promise<void>((resolve, reject) => {
        const w = new Worker(script);
        const feed = () => {
          if (next >= jobs.length) {
            void w.terminate().then(() => resolve());
            return;
          }
          const i = next++;
          w.postMessage({ index: i, job: jobs[i] });
        };
        w.on('message', (m: { index: number; result?: RunResult; error?: string }) => {
          if (m.error !== undefined) {
            reject(new Error(`worker failed on ${JSON.stringify(jobs[m.index])}: ${m.error}`));
            void w.terminate();
            return;
          }
          results[m.index] = m.result!;
          opts.onResult?.(m.result!);
          feed();
        });
        w.on('error', reject);
        w.once('online', feed);
      });
    }),
  );
  return results.map((r, i) => {
    if (!r) throw new Error(`missing result for job ${i}`);
    return r;
  });
}
