// `keepsake scenarios`, `keepsake sim`, `keepsake replay`: the simulator's command surface.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { allScenarios, findScenario, scenarios as defaultScenarios } from '../../scenarios/index';
import { replayCommand, runPlan } from '../../sim/runner';
import type { Plan, RunResult, Scenario } from '../../sim/scenario';
import { writeRegressionCase } from '../../sim/regressions';
import { shrink, shrinkRunsMaxDefault } from '../../sim/shrink';
import { defaultWorkers, runSweep, type SweepJob } from '../../sim/sweep';

export function parseIntArg(name: string, min: number, max: number) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number, got '${v}'`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

function scenarioArg(v: string): Scenario {
  const s = findScenario(v);
  if (!s) throw new InvalidArgumentError(`unknown scenario '${v}'; \`keepsake scenarios\` lists them`);
  return s;
}

export function registerSimCommands(program: Command): void {
  registerShrink(program);
  program
    .command('scenarios')
    .description('list the named simulation scenarios, one line each')
    .option('--json', 'one JSON object per scenario')
    .action((o: { json?: boolean }) => {
      for (const s of allScenarios()) {
        if (o.json) console.log(JSON.stringify({ name: s.name, description: s.description }));
        else console.log(`${s.name.padEnd(24)} ${s.description}`);
      }
    });

  program
    .command('sim')
    .description('run simulation seeds of one scenario (or all) and report failures with their replay commands')
    .option('--scenario <name>', 'scenario to run (see `keepsake scenarios`)', scenarioArg)
    .option('--all', 'run every regular scenario (planted-bug scenarios excluded)')
    .option('--seeds <n>', 'number of seeds per scenario', parseIntArg('--seeds', 1, 10_000_000), 10)
    .option('--seed <s>', 'run exactly this one seed', parseIntArg('--seed', 0, 2 ** 31 - 1))
    .option('--first-seed <s>', 'first seed of the range', parseIntArg('--first-seed', 0, 2 ** 31 - 1), 1)
    .addOption(new Option('--workers <n>', 'worker threads').argParser(parseIntArg('--workers', 1, 64)).default(defaultWorkers()))
    .option('--json', 'print one JSON line per run (scenario, seed, ok, traceHash, violations, stats)')
    .action(async (o: { scenario?: Scenario; all?: boolean; seeds: number; seed?: number; firstSeed: number; workers: number; json?: boolean }) => {
      const chosen = o.all ? defaultScenarios : o.scenario ? [o.scenario] : null;
      if (!chosen) {
        console.error('keepsake sim: give --scenario NAME or --all');
        process.exitCode = 2;
        return;
      }
      const seeds = o.seed !== undefined ? [o.seed] : Array.from({ length: o.seeds }, (_, i) => o.firstSeed + i);
      const jobs: SweepJob[] = chosen.flatMap((s) => seeds.map((seed) => ({ scenario: s.name, seed })));
      const ok = await sweep(jobs, o.workers, o.json ?? false);
      if (!ok) process.exitCode = 1;
    });

  program
    .command('replay')
    .description('replay one seed bit for bit: print its trace hash, optionally write the trace and an HTML timeline')
    .requiredOption('--scenario <name>', 'scenario name', scenarioArg)
    .option('--seed <s>', 'seed to replay', parseIntArg('--seed', 0, 2 ** 31 - 1))
    .option('--plan <file>', 'replay a saved plan (a regression case) instead of drawing one from the seed')
    .option('--json', 'print the same JSON line as the sweep')
    .option('--trace <file>', 'write the trace as JSON lines')
    .option('--html <file>', 'write a self-contained HTML timeline of the run')
    .action(async (o: { scenario: Scenario; seed?: number; plan?: string; json?: boolean; trace?: string; html?: string }) => {
      const plan = await loadPlan(o.scenario, o.seed, o.plan);
      const keepTrace = Boolean(o.trace || o.html);
      const art = runPlan(o.scenario, plan, { keepTrace });
      if (o.trace && art.traceLines) writeFileSync(o.trace, art.traceLines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      if (o.html) {
        const { renderTimeline } = await import('../../sim/timeline');
        writeFileSync(o.html, renderTimeline(art));
      }
      if (o.json) console.log(JSON.stringify(art.result));
      else printRun(art.result);
      if (!art.result.ok) process.exitCode = 1;
    });
}

function registerShrink(program: Command): void {
  program
    .command('shrink')
    .description('shrink a failing run to a minimal one that fails the same check, and save it as a regression case')
    .requiredOption('--scenario <name>', 'scenario name', scenarioArg)
    .requiredOption('--seed <s>', 'a failing seed', parseIntArg('--seed', 0, 2 ** 31 - 1))
    .option('--runs <n>', 'most candidate runs to try', parseIntArg('--runs', 1, 1_000_000), shrinkRunsMaxDefault)
    .option('--out <file>', 'where to write the regression case (default scenarios/regressions/<scenario>-seed<seed>.json)')
    .option('--no-save', 'do not write a regression case')
    .action((o: { scenario: Scenario; seed: number; runs: number; out?: string; save: boolean }) => {
      const plan = o.scenario.plan(o.seed);
      let report;
      try {
        report = shrink(o.scenario, plan, { runsMax: o.runs, onProgress: (m) => process.stderr.write(`shrink: ${m}\n`) });
      } catch (e) {
        console.error(`keepsake shrink: ${(e as Error).message}`);
        process.exitCode = 1;
        return;
      }
      console.log(`shrunk ${o.scenario.name} seed ${o.seed} (fails ${report.checker}) in ${report.runs} runs:`);
      for (const r of report.removed) console.log(`  ${r}`);
      const v = report.minimal.result.violations.find((x) => x.checker === report.checker);
      if (v) console.log(`  minimal run still fails: [${v.kind}] ${v.checker}: ${v.message.split('\n')[0]}`);
      if (o.save) {
        const file = writeRegressionCase(
          {
            scenario: o.scenario.name,
            seed: o.seed,
            expect: o.scenario.expectFailure ? { ok: false, checker: report.checker } : { ok: true },
            note: o.scenario.expectFailure
              ? `planted bug: must keep failing ${report.checker}`
              : `found failing ${report.checker}; must pass once fixed`,
            traceHash: report.minimal.result.traceHash,
            plan: report.minimal.plan,
          },
          o.out,
        );
        const rel = path.relative(process.cwd(), file);
        console.log(`  wrote ${rel}`);
        console.log(`  replay: npx keepsake replay --scenario ${o.scenario.name} --plan ${rel}`);
      }
    });
}

async function loadPlan(scenario: Scenario, seed: number | undefined, planFile: string | undefined): Promise<Plan> {
  if (planFile) {
    const { readRegressionCase } = await import('../../sim/regressions');
    return readRegressionCase(planFile).plan;
  }
  if (seed === undefined) throw new InvalidArgumentError('give --seed S or --plan FILE');
  return scenario.plan(seed);
}

function printRun(r: RunResult): void {
  console.log(`${r.scenario} seed ${r.seed}: ${r.ok ? 'ok' : 'FAILED'}  trace ${r.traceHash}`);
  console.log(`  events ${r.stats.events}, simulated ${fmtMs(r.stats.simulatedMs)}, wall ${fmtMs(r.stats.wallMs)}, ops ${r.stats.ops} (ok ${r.stats.opsOk}, unknown ${r.stats.opsUnknown}), faults ${r.stats.faults}`);
  for (const v of r.violations) console.log(`  [${v.kind}] ${v.checker}: ${v.message}`);
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${Math.round(ms)}ms`;
}

/** Run a sweep with a progress bar and a closing table; returns whether every run passed. */
export async function sweep(jobs: readonly SweepJob[], workers: number, json: boolean): Promise<boolean> {
  const showBar = !json && process.stderr.isTTY === true;
  const bar = showBar ? new cliProgress.SingleBar({ format: 'sim [{bar}] {value}/{total} runs | {failures} failed | {eta_formatted} left', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
  let failures = 0;
  let done = 0;
  bar?.start(jobs.length, 0, { failures });
  const t0 = performance.now();
  const results = await runSweep(jobs, {
    workers,
    onResult: (r) => {
      done++;
      if (!r.ok) failures++;
      bar?.update(done, { failures });
      if (!json && !showBar && (done % 100 === 0 || done === jobs.length)) process.stderr.write(`sim: ${done}/${jobs.length} runs, ${failures} failed\n`);
    },
  });
  bar?.stop();
  const wallMs = performance.now() - t0;
  if (json) {
    for (const r of results) console.log(JSON.stringify(r));
  } else {
    for (const r of results.filter((x) => !x.ok)) {
      console.log(`FAILED ${r.scenario} seed ${r.seed} (trace ${r.traceHash})`);
      for (const v of r.violations) console.log(`  [${v.kind}] ${v.checker}: ${v.message.split('\n')[0]}`);
      console.log(`  replay: ${replayCommand(r.scenario, r.seed)}`);
    }
    printTable(results, wallMs);
  }
  if (json && failures > 0) for (const r of results.filter((x) => !x.ok)) console.error(`replay: ${replayCommand(r.scenario, r.seed)}`);
  return failures === 0;
}

function printTable(results: readonly RunResult[], wallMs: number): void {
  const byScenario = new Map<string, RunResult[]>();
  for (const r of results) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  const rows: string[][] = [['scenario', 'runs', 'failed', 'safety', 'liveness', 'events', 'simulated', 'run wall', 'runs/s']];
  for (const [name, rs] of byScenario) {
    const failed = rs.filter((r) => !r.ok);
    const kinds = (k: string) => failed.filter((r) => r.violations.some((v) => v.kind === k)).length;
    const events = rs.reduce((a, r) => a + r.stats.events, 0);
    const sim = rs.reduce((a, r) => a + r.stats.simulatedMs, 0);
    const wall = rs.reduce((a, r) => a + r.stats.wallMs, 0);
    rows.push([name, String(rs.length), String(failed.length), String(kinds('safety')), String(kinds('liveness')), String(events), fmtMs(sim), fmtMs(wall), (rs.length / Math.max(wall, 1) * 1000).toFixed(1)]);
  }
  const failedTotal = results.filter((r) => !r.ok).length;
  rows.push(['total', String(results.length), String(failedTotal), '', '', String(results.reduce((a, r) => a + r.stats.events, 0)), fmtMs(results.reduce((a, r) => a + r.stats.simulatedMs, 0)), fmtMs(wallMs), (results.length / Math.max(wallMs, 1) * 1000).toFixed(1)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  const checkers = new Map<string, number>();
  for (const r of results) for (const v of r.violations) checkers.set(`${v.kind}:${v.checker}`, (checkers.get(`${v.kind}:${v.checker}`) ?? 0) + 1);
  if (checkers.size > 0) console.log(`failures by check: ${[...checkers].map(([k, n]) => `${k} x${n}`).join(', ')}`);
}
