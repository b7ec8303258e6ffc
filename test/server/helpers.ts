// Shared helpers of the server acceptance tests: in-process servers (startServer), child
// process servers (bin/keepsake.js), ioredis clients over TLS, raw RESP sockets and a
// /metrics scraper. Everything binds 127.0.0.1 and port 0 (or a port the OS just gave us).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import pino from 'pino';
import { startServer, type RunningServer, type ServerOptions } from '../../real/server/server';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const keepsakeBin = path.join(repoRoot, 'bin', 'keepsake.js');
export const adminPassword = 'secret-test-pw';
/** How long a child server may take to print "listening" (tsx compiles on first start). */
export const childStartMsMax = 30_000;

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `keepsake-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function startInProcess(dir: string, over: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer({
    host: '127.0.0.1',
    port: 0,
    dir,
    metricsPort: 0,
    insecure: false,
    requireClientCert: false,
    maxmemoryBytes: 0,
    policy: 'noeviction',
    defaultAck: 'quorum',
    adminPassword,
    snapshotEveryRecords: 100_000,
    log: pino({ level: 'silent' }),
    ...over,
  });
}

/** An ioredis client over TLS trusting the server's CA (or plaintext when `caPath` is null). */
export function redisClient(port: number, caPath: string | null, opts: RedisOptions = {}): Redis {
  return new Redis({
    host: '127.0.0.1',
    port,
    ...(caPath === null ? {} : { tls: { ca: readFileSync(caPath) } }),
    username: 'admin',
    password: adminPassword,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: false,
    ...opts,
  });
}

/** A raw socket to the server (TLS when `caPath` is given) that collects every byte it receives. */
export interface RawClient {
  readonly socket: net.Socket;
  received(): string;
  /** Resolves when the server closed the connection (or it errored). */
  readonly closed: Promise<void>;
  /** Waits until the received bytes match `re` (or the timeout passes; then rejects). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

export function rawConnect(port: number, caPath: string | null): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = caPath === null ? net.connect({ host: '127.0.0.1', port }) : tls.connect({ host: '127.0.0.1', port, ca: readFileSync(caPath) });
    const chunks: Buffer[] = [];
    let isClosed = false;
    const closed = new Promise<void>((r) => socket.once('close', () => ((isClosed = true), r())));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.once(caPath === null ? 'connect' : 'secureConnect', () => {
      const received = () => Buffer.concat(chunks).toString('latin1');
      resolve({
        socket,
        received,
        closed,
        async waitFor(re, timeoutMs = 5000) {
          const until = Date.now() + timeoutMs;
          while (!re.test(received())) {
            if (Date.now() > until || isClosed) {
              if (re.test(received())) break;
              throw new Error(`timed out waiting for ${re} (closed=${isClosed}); got ${JSON.stringify(received().slice(0, 300))}`);
            }
            await sleep(5);
          }
          return received();
        },
      });
    });
    socket.once('error', reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Prometheus text → samples keyed by `name{labels}` (labels as printed). */
export async function scrape(metricsPort: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseProm(await res.text());
}

export function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of every sample whose name (before labels) is `name`. */
export function metricSum(samples: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [k, v] of samples) if (k === name || k.startsWith(`${name}{`)) sum += v;
  return sum;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A server running as a child process (`node bin/keepsake.js server ...`). */
export interface ChildServer {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly metricsPort: number;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startChild(dir: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<ChildServer> {
  const port = await freePort();
  const metricsPort = await freePort();
  const proc = spawn(
    process.execPath,
    [keepsakeBin, 'server', '--dir', dir, '--port', String(port), '--metrics-port', String(metricsPort), '--log-level', 'warn', ...extraArgs],
    { cwd: repoRoot, env: { ...process.env, KEEPSAKE_ADMIN_PASSWORD: adminPassword, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const until = Date.now() + childStartMsMax;
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  for (;;) {
    if (exitedEarly) throw new Error(`child server exited before listening:\n${out}`);
    if (Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error(`child server did not listen within ${childStartMsMax} ms:\n${out}`);
    }
    if (await canConnect(port)) break;
    await sleep(25);
  }
  return { proc, port, metricsPort, output: () => out, exited };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function killChild(c: ChildServer, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill(signal);
  return c.exited;
}

/** Runs `node bin/keepsake.js ...args` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [keepsakeBin, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`keepsake ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
