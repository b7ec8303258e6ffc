// A sweep worker: receives one job at a time, runs the whole seed, posts the result.
import { parentPort } from 'node:worker_threads';
import { runJobsInline, type SweepJob } from './sweep';

parentPort!.on('message', (m: { index: number; job: SweepJob }) => {
  try {
    const [result] = runJobsInline([m.job]);
    parentPort!.postMessage({ index: m.index, result });
  } catch (e) {
    parentPort!.postMessage({ index: m.index, error: (e as Error).stack ?? String(e) });
  }
});
