import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { smoke } from '../../scenarios/smoke';
import { runSeed } from '../../sim/runner';

function hashInChildProcess(seed: number): string {
  const out = execFileSync('npx', ['keepsake', 'sim', '--scenario', 'smoke', '--seed', String(seed), '--json', '--workers', '1'], { encoding: 'utf8' });
  const line = JSON.parse(out.trim().split('\n')[0]!) as { traceHash: string; seed: number; scenario: string; ok: boolean; violations: unknown[]; stats: { events: number; simulatedMs: number; wallMs: number } };
  expect(line.scenario).toBe('smoke');
  expect(line.seed).toBe(seed);
  expect(typeof line.ok).toBe('boolean');
  expect(Array.isArray(line.violations)).toBe(true);
  expect(line.stats.events).toBeGreaterThan(100);
  expect(line.stats.simulatedMs).toBeGreaterThan(0);
  expect(typeof line.stats.wallMs).toBe('number');
  return line.traceHash;
}

describe('determinism', () => {
  it('the same seed gives the same trace hash in two separate processes', () => {
    const a = hashInChildProcess(42);
    const b = hashInChildProcess(42);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a).toBe(b);
    // ... and the same as in this process.
    expect(runSeed(smoke, 42).result.traceHash).toBe(a);
  });

  it('different seeds give different hashes', () => {
    const hashes = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((s) => runSeed(smoke, s).result.traceHash));
    expect(hashes.size).toBe(8);
  });

  it('a kept trace hashes to the same value as an unkept one, and lines are ordered in time', () => {
    const kept = runSeed(smoke, 9, { keepTrace: true });
    const bare = runSeed(smoke, 9);
    expect(kept.result.traceHash).toBe(bare.result.traceHash);
    const lines = kept.traceLines!;
    expect(lines.length).toBeGreaterThanOrEqual(kept.result.stats.events);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.t).toBeGreaterThanOrEqual(lines[i - 1]!.t);
  });
});
