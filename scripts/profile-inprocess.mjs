#!/usr/bin/env node
// Where the server's own CPU goes, line by line: bundles bench/server-inprocess.ts with esbuild
// (so profile positions are real source lines), runs one configuration under --cpu-prof, and
// prints the busiest functions by self time and, for the functions named, their busiest lines.
//
//   node scripts/profile-inprocess.mjs memory.get.p16 [requests] [function ...]
//   e.g. node scripts/profile-inprocess.mjs memory.set.p16 1500000 lookupNoTouch putString
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [config, requests = '1000000', ...wanted] = process.argv.slice(2);
if (!config || !/^(memory|quorum)\.(set|get)\.p(1|16)$/.test(config)) {
  console.error('usage: node scripts/profile-inprocess.mjs memory|quorum.set|get.p1|p16 [requests] [function ...]');
  process.exit(2);
}
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const work = mkdtempSync(path.join(os.tmpdir(), 'keepsake-profile-'));
// Inside the repository, so the bundle's bare imports resolve from node_modules.
const bundle = path.join(root, 'bench', `.profile-${process.pid}.mjs`);
try {
  execFileSync(path.join(root, 'node_modules/.bin/esbuild'), ['bench/server-inprocess.ts', '--bundle', '--platform=node', '--format=esm', `--outfile=${bundle}`, '--packages=external', '--log-level=warning'], { cwd: root, stdio: 'inherit' });
  // Run the bench's entry point unconditionally (its own check compares against argv[1]).
  const src = readFileSync(bundle, 'utf8').replace(/^if \(import\.meta\.url === .*$/m, 'if (true) {');
  writeFileSync(bundle, src);
  execFileSync(process.execPath, ['--max-semi-space-size=64', '--cpu-prof', `--cpu-prof-dir=${work}`, bundle], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, KEEPSAKE_BENCH_INPROC_ONLY: config, KEEPSAKE_BENCH_INPROC_N: requests },
  });
  const profile = JSON.parse(readFileSync(path.join(work, readdirSync(work).find((f) => f.endsWith('.cpuprofile'))), 'utf8'));
  const lines = src.split('\n');
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
  const msPerTick = total / profile.samples.length / 1000;
  const self = new Map();
  const ticks = new Map(profile.samples.map((id) => [id, 0]));
  for (const id of profile.samples) ticks.set(id, ticks.get(id) + 1);
  let busy = 0;
  for (const n of profile.nodes) {
    const t = ticks.get(n.id) ?? 0;
    if (n.callFrame.functionName === '(idle)') continue;
    busy += t;
    const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.includes('.profile-') ? '' : path.basename(n.callFrame.url)}`.trim();
    self.set(name, (self.get(name) ?? 0) + t);
  }
  console.log(`${config}: ${Math.round(busy * msPerTick)} ms busy; self time:`);
  for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 25))) console.log(`${((t / busy) * 100).toFixed(1).padStart(6)}%  ${name}`);
  for (const fn of wanted) {
    const at = new Map();
    for (const n of profile.nodes) {
      if (n.callFrame.functionName !== fn || !n.callFrame.url.includes('.profile-')) continue;
      for (const p of n.positionTicks ?? []) at.set(p.line, (at.get(p.line) ?? 0) + p.ticks);
    }
    const sum = [...at.values()].reduce((a, b) => a + b, 0);
    console.log(`\n${fn}: ${Math.round(sum * msPerTick)} ms`);
    for (const [line, t] of [...at].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`${String(t).padStart(6)}  ${lines[line - 1].trim().slice(0, 110)}`);
  }
} finally {
  rmSync(bundle, { force: true });
  rmSync(work, { recursive: true, force: true });
}
