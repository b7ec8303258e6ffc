// Measures first boot of the PKI (CA + server certificate, files fsynced) in fresh temp dirs.
// Run: npx tsx real/pki/measure-first-boot.ts [runs]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensurePki } from './files';

const runs = Number(process.argv[2] ?? 10);
const firstMs: number[] = [];
const laterMs: number[] = [];
for (let i = 0; i < runs; i++) {
  const dir = await mkdtemp(path.join(tmpdir(), 'keepsake-pki-measure-'));
  try {
    let t = performance.now();
    await ensurePki(dir);
    firstMs.push(performance.now() - t);
    t = performance.now();
    await ensurePki(dir);
    laterMs.push(performance.now() - t);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): string => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN).toFixed(0);
  return `min ${q(0)} ms, median ${q(0.5)} ms, max ${(s[s.length - 1] ?? NaN).toFixed(0)} ms`;
};
console.log(`first boot (CA + server cert, ${runs} runs): ${stats(firstMs)}`);
console.log(`later boot (load + verify): ${stats(laterMs)}`);
