// `npm run bench`: every benchmark, one table, and bench/results.json with every figure named
// and with its unit (`npm run bench -- GROUP ...`: those groups only, into bench/results.GROUP.json).
// Figures compared with a reference are ratios from the same run.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchChecker } from './checker';
import type { Figure } from './figures';
import { benchKeeper } from './keeper';
import { benchKernel } from './kernel';
import { benchRedisCompare } from './redis-compare';
import { benchResp } from './resp';
import { benchServerInProcess } from './server-inprocess';
import { benchStore } from './store';
import { benchSweep } from './sweep';

interface Bench {
  readonly group: string;
  readonly run: () => Figure[] | Promise<Figure[]>;
}

const benches: Bench[] = [
  { group: 'kernel', run: () => benchKernel() },
  { group: 'sweep', run: () => benchSweep() },
  { group: 'resp', run: () => benchResp() },
  { group: 'store', run: () => benchStore() },
  { group: 'keeper', run: () => benchKeeper() },
  { group: 'checker', run: () => benchChecker() },
  { group: 'server', run: () => benchServerInProcess() },
  { group: 'redis', run: () => (ensureRedis(), benchRedisCompare()) },
];

/** Installs Debian's redis-server and redis-tools when missing (scripts/ensure-redis.sh). */
function ensureRedis(): void {
  const script = new URL('../scripts/ensure-redis.sh', import.meta.url).pathname;
  execFileSync('bash', [script], { stdio: ['ignore', 2, 2] });
}

const only = process.argv.slice(2);
const results: (Figure & { group: string })[] = [];
for (const b of benches) {
  if (only.length > 0 && !only.includes(b.group)) continue;
  process.stderr.write(`bench: ${b.group}...\n`);
  for (const f of await b.run()) results.push({ group: b.group, ...f });
}

const rows = results.map((r) => [r.group, r.name, String(r.value), r.unit]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...[['group', 'figure', 'value', 'unit'], ...rows].map((r) => r[i]!.length)));
for (const r of [['group', 'figure', 'value', 'unit'], ...rows]) console.log(r.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  '));

const out = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  figures: results,
};
// A run of some groups only does not replace the full run's file.
const file = only.length === 0 ? 'results.json' : `results.${only.join('+')}.json`;
writeFileSync(new URL(`./${file}`, import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.log(`\nwrote bench/${file} (${results.length} figures)`);
