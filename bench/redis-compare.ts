// Keepsake side by side with Debian's redis-server (issue 6), driven by redis-benchmark:
// 50 clients, SET and GET, pipeline 1 and 16, plaintext and TLS, at the `memory`
// acknowledgement level against redis with no persistence; and SET at the fsync-per-write
// level (`--ack quorum`, solo node: the embedded Keeper fsyncs) against redis with
// `appendonly yes appendfsync always`. Every ratio is Keepsake/Redis from the same run: medians of
// interleaved rounds of both servers.
// Server CPU per request: utime+stime of the server process from /proc/<pid>/stat, before
// and after each redis-benchmark run, divided by the requests of that run.
//
//   npm run bench redis                         (runs scripts/ensure-redis.sh first)
//   KEEPSAKE_BENCH_N=20000 npm run bench redis  (smaller runs)
// Knobs: KEEPSAKE_BENCH_N (requests at pipeline 1; pipeline 16 runs 5x that; fsync runs use
// KEEPSAKE_BENCH_FSYNC_N, default N/2), KEEPSAKE_BENCH_ROUNDS (interleaved rounds per comparison,
// medians reported; default 3), KEEPSAKE_BENCH_ROOT (a checkout whose bin/keepsake.js
// to run; default this one), KEEPSAKE_BENCH_CPU_PROF=<dir> (run Keepsake under
// `node --cpu-prof`; profiles land in <dir> when it stops).
// Keepsake must run commands pipelined after AUTH only once AUTH has finished (redis-benchmark
// sends AUTH and its first requests in one write); without that every run stops on NOAUTH.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from './figures';
import { nodeFlags } from '../real/node-flags';

const clients = 50;
const keyspace = 100_000;
const valueBytes = 16;
const pipelines = [1, 16] as const;
const defaultRequestsP1 = 100_000;
const p16RequestsFactor = 5;
/** Rounds per comparison (KEEPSAKE_BENCH_ROUNDS); the reported figures are medians. */
const compareRounds = envInt('KEEPSAKE_BENCH_ROUNDS', 3);
const startupTimeoutMs = 60_000;
const stopTimeoutMs = 15_000;
const benchmarkTimeoutMs = 240_000;
const pollIntervalMs = 100;
const password = 'keepsake-bench-password';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

type Server = 'keepsake' | 'redis' | 'node-floor';
type Transport = 'plain' | 'tls';
type Op = 'set' | 'get';
type Pipeline = (typeof pipelines)[number];

/** One running server process and how to reach it. */
interface Running {
  readonly server: Server;
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly plainPort: number | null;
  readonly tlsPort: number | null;
  readonly caCertPath: string | null;
  readonly stopSignal: NodeJS.Signals;
  readonly log: string[];
}

/** Where a benchmark run connects. */
interface Target {
  readonly running: Running;
  readonly transport: Transport;
}

interface RunResult {
  readonly opsPerSec: number;
  readonly cpuUsPerRequest: number;
}

/** Processes and directories still to clean up, whatever happens. */
interface Resources {
  readonly running: Running[];
  readonly dirs: string[];
}

export async function benchRedisCompare(): Promise<Figure[]> {
  const requestsP1 = envInt('KEEPSAKE_BENCH_N', defaultRequestsP1);
  const fsyncRequestsP1 = envInt('KEEPSAKE_BENCH_FSYNC_N', Math.max(1, Math.floor(requestsP1 / 2)));
  const res: Resources = { running: [], dirs: [] };
  const onExit = () => killAllNow(res);
  process.once('exit', onExit);
  const figures: Figure[] = [{ name: 'compare.loadavg_1min_at_start', value: round(loadavg()[0]!, 2), unit: 'load' }];
  try {
    figures.push(...(await memoryLevel(res, requestsP1)));
    await stopAll(res);
    figures.push(...(await fsyncLevel(res, fsyncRequestsP1)));
  } finally {
    await stopAll(res);
    for (const d of res.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    process.removeListener('exit', onExit);
  }
  figures.push({ name: 'compare.loadavg_1min_at_end', value: round(loadavg()[0]!, 2), unit: 'load' });
  printTable(figures);
  return figures;
}

/** `--ack memory` Keepsake against redis with no persistence: plaintext and TLS, SET and GET. */
async function memoryLevel(res: Resources, requestsP1: number): Promise<Figure[]> {
  const ksTls = await startKeepsake(res, { ack: 'memory', tls: true });
  const ksPlain = await startKeepsake(res, { ack: 'memory', tls: false });
  const redis = await startRedis(res, { fsync: false, tlsFrom: ksTls.caCertPath === null ? null : dirOf(ksTls.caCertPath) });
  const floor = await startNodeFloor(res);
  const out: Figure[] = [];
  // The floor: a Node.js server that only frames requests and answers a miss (GET, plaintext).
  for (const p of pipelines) {
    const n = p === 1 ? requestsP1 : requestsP1 * p16RequestsFactor;
    out.push(...(await compareOne(`compare.node_floor.get.p${p}`, { running: floor, transport: 'plain' }, { running: redis, transport: 'plain' }, 'get', p, n, 'node_floor')));
  }
  for (const transport of ['plain', 'tls'] as const) {
    const keepsake = transport === 'plain' ? ksPlain : ksTls;
    out.push(...(await connectionCost(`compare.${transport}`, { running: keepsake, transport }, { running: redis, transport })));
    for (const p of pipelines) {
      for (const op of ['set', 'get'] as const) {
        const n = p === 1 ? requestsP1 : requestsP1 * p16RequestsFactor;
        out.push(...(await compareOne(`compare.${transport}.${op}.p${p}`, { running: keepsake, transport }, { running: redis, transport }, op, p, n)));
      }
    }
  }
  out.push(...(await memoryPerKey(ksPlain, redis)));
  return out;
}

/**
 * Memory per key once both hold the same ~100k keys (16-byte values) from the SET runs:
 * Keepsake's used_memory (its estimate, which tracks V8's real cost: test/store/memory-estimate)
 * and Redis's used_memory_dataset (its allocator's bytes for the data), each over DBSIZE.
 */
async function memoryPerKey(ks: Running, rd: Running): Promise<Figure[]> {
  const ask = async (r: Running, ...cmd: string[]): Promise<string> =>
    runCapture('redis-cli', ['-h', '127.0.0.1', '-p', String(r.plainPort), '-a', password, '--no-auth-warning', ...cmd], benchmarkTimeoutMs);
  const field = (info: string, name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  const ksKeys = Number((await ask(ks, 'DBSIZE')).trim());
  const rdKeys = Number((await ask(rd, 'DBSIZE')).trim());
  const ksBytes = field(await ask(ks, 'INFO', 'memory'), 'used_memory');
  const rdBytes = field(await ask(rd, 'INFO', 'memory'), 'used_memory_dataset');
  if (!(ksKeys > 0 && rdKeys > 0 && ksBytes > 0 && rdBytes > 0)) throw new Error(`memory per key: could not read DBSIZE/INFO (${ksKeys}, ${rdKeys}, ${ksBytes}, ${rdBytes})`);
  const k = ksBytes / ksKeys;
  const r = rdBytes / rdKeys;
  process.stderr.write(`  compare.memory: keepsake ${Math.round(k)} B/key (${ksKeys} keys) | redis ${Math.round(r)} B/key (${rdKeys} keys)\n`);
  return [
    { name: 'compare.memory.keepsake_bytes_per_key', value: Math.round(k), unit: 'bytes/key' },
    { name: 'compare.memory.redis_bytes_per_key', value: Math.round(r), unit: 'bytes/key' },
    { name: 'compare.memory.ratio', value: round(k / r, 2), unit: 'keepsake/redis' },
  ];
}

/** Fsync per write: Keepsake `--ack quorum` (solo: its Keeper's fsync) against appendfsync always. */
async function fsyncLevel(res: Resources, requestsP1: number): Promise<Figure[]> {
  const keepsake = await startKeepsake(res, { ack: 'quorum', tls: false });
  const redis = await startRedis(res, { fsync: true, tlsFrom: null });
  const out: Figure[] = [];
  for (const p of pipelines) {
    const n = p === 1 ? requestsP1 : requestsP1 * p16RequestsFactor;
    out.push(...(await compareOne(`compare.fsync.set.p${p}`, { running: keepsake, transport: 'plain' }, { running: redis, transport: 'plain' }, 'set', p, n)));
  }
  return out;
}

/** One configuration: Keepsake then Redis, back to back, and the four figures. */
/**
 * One comparison: `compareRounds` rounds, each running both servers back to back (alternating
 * which goes first), and the median of each server's figures. This machine's speed wanders by
 * 20-30% from minute to minute; medians of interleaved runs keep one slow minute from deciding
 * a ratio.
 */
async function compareOne(prefix: string, ks: Target, rd: Target, op: Op, p: Pipeline, requests: number, label = 'keepsake'): Promise<Figure[]> {
  const ksRuns: RunResult[] = [];
  const rdRuns: RunResult[] = [];
  for (let round = 0; round < compareRounds; round++) {
    if (round % 2 === 0) {
      ksRuns.push(await benchmarkRun(ks, op, p, requests));
      rdRuns.push(await benchmarkRun(rd, op, p, requests));
    } else {
      rdRuns.push(await benchmarkRun(rd, op, p, requests));
      ksRuns.push(await benchmarkRun(ks, op, p, requests));
    }
  }
  const k = medianRun(ksRuns);
  const r = medianRun(rdRuns);
  if (!Number.isFinite(k.opsPerSec) || !Number.isFinite(r.opsPerSec)) throw new Error(`${prefix}: a run was too short to time (raise KEEPSAKE_BENCH_N)`);
  process.stderr.write(
    `  ${prefix}: ${label} ${Math.round(k.opsPerSec)} ops/s ${round(k.cpuUsPerRequest, 2)} us/req | redis ${Math.round(r.opsPerSec)} ops/s ${round(r.cpuUsPerRequest, 2)} us/req\n`,
  );
  return [
    { name: `${prefix}.${label}_ops_per_s`, value: Math.round(k.opsPerSec), unit: 'ops/s' },
    { name: `${prefix}.redis_ops_per_s`, value: Math.round(r.opsPerSec), unit: 'ops/s' },
    { name: `${prefix}.${label}_cpu_us_per_request`, value: round(k.cpuUsPerRequest, 3), unit: 'us/request' },
    { name: `${prefix}.redis_cpu_us_per_request`, value: round(r.cpuUsPerRequest, 3), unit: 'us/request' },
    { name: `${prefix}.ratio_ops`, value: round(k.opsPerSec / r.opsPerSec, 3), unit: `${label}/redis` },
    // Below one clock tick of Redis CPU (tiny KEEPSAKE_BENCH_N) the ratio means nothing: left out.
    ...(r.cpuUsPerRequest > 0 ? [{ name: `${prefix}.ratio_cpu_per_request`, value: round(k.cpuUsPerRequest / r.cpuUsPerRequest, 3), unit: `${label}/redis` }] : []),
  ];
}

/** Median ops/s and median CPU per request of several runs (each median taken on its own). */
function medianRun(runs: readonly RunResult[]): RunResult {
  const med = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  return { opsPerSec: med(runs.map((x) => x.opsPerSec)), cpuUsPerRequest: med(runs.map((x) => x.cpuUsPerRequest)) };
}

/**
 * Server CPU per connection: connect, TLS handshake, AUTH, one GET, close; 50 clients with one
 * request each. Part of every run's CPU per request (50 connections / N requests), shown apart.
 */
async function connectionCost(prefix: string, ks: Target, rd: Target): Promise<Figure[]> {
  const k = await benchmarkRun(ks, 'get', 1, clients);
  const r = await benchmarkRun(rd, 'get', 1, clients);
  // One request per connection: CPU per request is CPU per connection.
  const kMs = k.cpuUsPerRequest / 1000;
  const rMs = r.cpuUsPerRequest / 1000;
  process.stderr.write(`  ${prefix} connection+AUTH: keepsake ${round(kMs, 2)} ms CPU | redis ${round(rMs, 2)} ms CPU\n`);
  return [
    { name: `${prefix}.connection_auth.keepsake_cpu_ms_per_connection`, value: round(kMs, 3), unit: 'ms/connection' },
    { name: `${prefix}.connection_auth.redis_cpu_ms_per_connection`, value: round(rMs, 3), unit: 'ms/connection' },
  ];
}

// ---- redis-benchmark ------------------------------------------------------------------

async function benchmarkRun(target: Target, op: Op, p: Pipeline, requests: number): Promise<RunResult> {
  const { running, transport } = target;
  const port = transport === 'plain' ? running.plainPort : running.tlsPort;
  if (port === null || (transport === 'tls' && running.caCertPath === null)) throw new Error(`${running.server} has no ${transport} port`);
  const args = ['-h', '127.0.0.1', '-p', String(port), '-a', password, '-c', String(clients), '-n', String(requests)];
  args.push('-t', op, '-P', String(p), '-r', String(keyspace), '-d', String(valueBytes), '--csv');
  if (transport === 'tls') args.push('--tls', '--cacert', running.caCertPath!);
  const cpuBeforeTicks = cpuTicks(running.pid);
  const out = await runCapture('redis-benchmark', args, benchmarkTimeoutMs).catch((e: unknown) => {
    const hint = String(e).includes('NOAUTH') ? '\n(redis-benchmark pipelines AUTH with its first commands: the server must finish AUTH before running them)' : '';
    throw new Error(`${String(e)}${hint}`);
  });
  const cpuAfterTicks = cpuTicks(running.pid);
  const opsPerSec = parseCsvRps(out, op);
  if (opsPerSec === null) throw new Error(`redis-benchmark against ${running.server} (${transport}, ${op}, P${p}) gave no result:\n${out}`);
  return { opsPerSec, cpuUsPerRequest: (((cpuAfterTicks - cpuBeforeTicks) / clockTicksPerSec()) * 1e6) / requests };
}

/**
 * The rps of `op` from redis-benchmark's --csv output; null when absent (it exits on a server
 * error); Infinity when the run was too short to time (only the connection-cost runs are).
 */
export function parseCsvRps(csv: string, op: Op): number | null {
  const lines = csv.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('"'));
  const header = lines[0]?.split(',').map(unquote);
  const rpsIndex = header?.indexOf('rps') ?? -1;
  if (rpsIndex < 0) return null;
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map(unquote);
    if (cells[0]?.toLowerCase() !== op) continue;
    // "inf": the run ended within the timer's resolution (the one-request connection runs).
    if (cells[rpsIndex] === 'inf') return Infinity;
    const rps = Number(cells[rpsIndex]);
    return Number.isFinite(rps) && rps > 0 ? rps : null;
  }
  return null;
}

const unquote = (s: string): string => s.replace(/^"|"$/g, '');

/** utime+stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return Number(fields[11]) + Number(fields[12]);
}

let clockTicksCache: number | null = null;
function clockTicksPerSec(): number {
  clockTicksCache ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return clockTicksCache;
}

// ---- servers --------------------------------------------------------------------------

async function startKeepsake(res: Resources, opts: { ack: 'memory' | 'quorum'; tls: boolean }): Promise<Running> {
  const dir = tempDir(res, `keepsake-${opts.ack}-${opts.tls ? 'tls' : 'plain'}-`);
  const port = await freePort();
  const root = process.env['KEEPSAKE_BENCH_ROOT'] ?? repoRoot;
  const profDir = process.env['KEEPSAKE_BENCH_CPU_PROF'];
  // The flags bin/keepsake.js's shebang gives node (`keepsake server` as a user runs it).
  const nodeArgs = [...nodeFlags, ...(profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`])];
  const args = [...nodeArgs, join(root, 'bin', 'keepsake.js'), 'server', '--port', String(port), '--dir', dir, '--ack', opts.ack, '--no-metrics', '--log-level', 'warn'];
  if (!opts.tls) args.push('--insecure');
  const env = { ...process.env, KEEPSAKE_ADMIN_PASSWORD: password };
  const ports = opts.tls ? { plain: null, tls: port } : { plain: port, tls: null };
  const running = launch(res, 'keepsake', process.execPath, args, { cwd: root, env }, ports, opts.tls ? join(dir, 'ca.crt') : null, 'SIGINT');
  await waitListening(running, port);
  if (running.caCertPath !== null && !existsSync(running.caCertPath)) throw new Error(`keepsake did not write ${running.caCertPath}`);
  process.stderr.write(`  keepsake --ack ${opts.ack} ${opts.tls ? 'TLS' : 'plaintext'} on ${port} (pid ${running.pid})\n`);
  return running;
}

/** redis-server in a temp dir; with TLS on a second port using Keepsake's node CA and server certificate. */
/** bench/node-floor-server.mjs: what any Node.js RESP server pays per request (see the file). */
async function startNodeFloor(res: Resources): Promise<Running> {
  const port = await freePort();
  const running = launch(res, 'node-floor', process.execPath, [join(repoRoot, 'bench', 'node-floor-server.mjs'), String(port)], { cwd: repoRoot, env: process.env }, { plain: port, tls: null }, null, 'SIGTERM');
  await waitListening(running, port);
  return running;
}

async function startRedis(res: Resources, opts: { fsync: boolean; tlsFrom: string | null }): Promise<Running> {
  const dir = tempDir(res, `redis-${opts.fsync ? 'fsync' : 'memory'}-`);
  const port = await freePort();
  const tlsPort = opts.tlsFrom === null ? null : await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--requirepass', password, '--daemonize', 'no', '--logfile', ''];
  args.push(...(opts.fsync ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  if (opts.tlsFrom !== null && tlsPort !== null) {
    const f = (name: string) => join(opts.tlsFrom!, name);
    args.push('--tls-port', String(tlsPort), '--tls-cert-file', f('server.crt'), '--tls-key-file', f('server.key'));
    args.push('--tls-ca-cert-file', f('ca.crt'), '--tls-auth-clients', 'no');
  }
  const caCertPath = opts.tlsFrom === null ? null : join(opts.tlsFrom, 'ca.crt');
  const running = launch(res, 'redis', 'redis-server', args, { cwd: dir, env: process.env }, { plain: port, tls: tlsPort }, caCertPath, 'SIGTERM');
  await waitListening(running, port);
  if (tlsPort !== null) await waitListening(running, tlsPort);
  process.stderr.write(`  redis-server ${opts.fsync ? 'appendfsync always' : 'no persistence'} on ${port}${tlsPort === null ? '' : ` and TLS ${tlsPort}`} (pid ${running.pid})\n`);
  return running;
}

function launch(
  res: Resources,
  server: Server,
  cmd: string,
  args: string[],
  spawnOpts: { cwd: string; env: NodeJS.ProcessEnv },
  ports: { plain: number | null; tls: number | null },
  caCertPath: string | null,
  stopSignal: NodeJS.Signals,
): Running {
  const proc = spawn(cmd, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`could not start ${cmd}`);
  const log: string[] = [];
  const keep = (b: Buffer) => {
    log.push(b.toString('utf8'));
    if (log.length > logChunksMax) log.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const running: Running = { server, proc, pid: proc.pid, plainPort: ports.plain, tlsPort: ports.tls, caCertPath, stopSignal, log };
  res.running.push(running);
  return running;
}

const logChunksMax = 200;

async function waitListening(running: Running, port: number): Promise<void> {
  const deadlineMs = Date.now() + startupTimeoutMs;
  while (Date.now() < deadlineMs) {
    if (running.proc.exitCode !== null || running.proc.signalCode !== null) {
      throw new Error(`${running.server} exited during startup:\n${running.log.join('')}`);
    }
    if (await canConnect(port)) return;
    await sleep(pollIntervalMs);
  }
  throw new Error(`${running.server} did not listen on ${port} within ${startupTimeoutMs} ms:\n${running.log.join('')}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function stopAll(res: Resources): Promise<void> {
  for (const r of res.running.splice(0)) await stop(r);
}

async function stop(r: Running): Promise<void> {
  if (r.proc.exitCode !== null || r.proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => r.proc.once('exit', () => resolve()));
  r.proc.kill(r.stopSignal);
  const timer = setTimeout(() => r.proc.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

function killAllNow(res: Resources): void {
  for (const r of res.running) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
  for (const d of res.dirs) rmSync(d, { recursive: true, force: true });
}

// ---- helpers --------------------------------------------------------------------------

function runCapture(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}:\n${out}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function tempDir(res: Resources, prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `keepsake-bench-${prefix}`));
  res.dirs.push(d);
  return d;
}

const dirOf = (path: string): string => path.slice(0, path.lastIndexOf('/'));

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function printTable(figures: Figure[]): void {
  const ratios = figures.filter((f) => f.name.endsWith('.ratio_ops') || f.name.endsWith('.ratio_cpu_per_request'));
  process.stderr.write('\n  Keepsake/Redis (same run):\n');
  for (const f of ratios) process.stderr.write(`  ${f.name.padEnd(48)} ${f.value.toFixed(3)}\n`);
}
