// The server's own work per request, without the kernel's: a real `keepsake server` (Core,
// Keeper, real disk, connections, RESP) fed by socket-shaped objects in the same process. Each
// of 50 clients sends its next pipeline of P requests when every reply of the last one came back
// (as redis-benchmark does), SET and GET on 100k random keys with 16-byte values (as in
// bench/redis-compare.ts). What is left out is exactly what a loopback socket costs (read and
// write system calls, TCP): the figures say how much of the CPU per request in the Redis
// comparison is Keepsake's own code. The CPU is the whole process's (fsync threads and GC
// helpers included), and the socket-shaped clients' own small share is counted in it.
//
// Run alone: `node --max-semi-space-size=64 --import tsx bench/server-inprocess.ts`
// (KEEPSAKE_BENCH_INPROC_N: requests per pipeline-16 run, a quarter of it at pipeline 1;
// KEEPSAKE_BENCH_INPROC_ONLY=memory.set.p16 runs one configuration, for profiling).

import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { AckLevel } from '../core/node/protocol';
import { encodeCommand } from '../net/resp';
import { startServer, type RunningServer } from '../real/server/server';
import type { Figure } from './figures';

const clients = 50;
const keyspace = 100_000;
const chunksPerClient = 64;
const value = 'v'.repeat(16);
const password = 'bench-inprocess';
const defaultRequests = 400_000;

/** Just enough of net.Socket for a server connection; replies are counted, not kept. */
export class FakeSocket extends EventEmitter {
  destroyed = false;
  writableLength = 0;
  readonly remoteAddress = 'in-process';
  readonly remotePort = 0;
  private paused = false;

  constructor(private readonly onReply: (bytes: Buffer) => void) {
    super();
  }

  setNoDelay(): this {
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  isPaused(): boolean {
    return this.paused;
  }
  write(b: Buffer): boolean {
    this.onReply(b);
    return true;
  }
  end(): this {
    this.destroy();
    return this;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    setImmediate(() => this.emit('close'));
    return this;
  }
}

/** Replies in a buffer of whole replies (simple strings, errors, integers, bulk strings). */
export function countReplies(b: Buffer): number {
  let n = 0;
  let i = 0;
  while (i < b.length) {
    const nl = b.indexOf(0x0a, i);
    if (nl < 0) throw new Error('partial reply in a write');
    if (b[i] === 0x24 /* $ */) {
      let len = 0;
      for (let j = i + 1; j < nl - 1; j++) len = b[j] === 0x2d /* - */ ? -1 : len < 0 ? len : len * 10 + b[j]! - 0x30;
      i = len < 0 ? nl + 1 : nl + 1 + len + 2;
    } else {
      i = nl + 1;
    }
    n += 1;
  }
  return n;
}

type Op = 'set' | 'get';

function chunks(op: Op, pipeline: number, seed: number): Buffer[] {
  let x = seed * 2654435761 + 1;
  const rnd = () => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    return (x >>> 0) % keyspace;
  };
  const out: Buffer[] = [];
  for (let c = 0; c < chunksPerClient; c++) {
    const requests: Buffer[] = [];
    for (let i = 0; i < pipeline; i++) {
      const key = `key:${String(rnd()).padStart(12, '0')}`;
      requests.push(encodeCommand(op === 'set' ? ['SET', key, value] : ['GET', key]));
    }
    out.push(Buffer.concat(requests));
  }
  return out;
}

interface Run {
  readonly requests: number;
  readonly usPerRequest: number;
  readonly opsPerSec: number;
}

/** One closed-loop run of about `requests` requests over 50 clients; CPU is the whole process's. */
async function runLoad(server: RunningServer, op: Op, pipeline: number, requests: number): Promise<Run> {
  const perClient = Math.max(1, Math.floor(requests / clients / pipeline));
  const total = perClient * pipeline * clients;
  // Connect and authenticate first: that is per connection, not per request.
  let pendingAuth = clients;
  let authed!: () => void;
  const allAuthed = new Promise<void>((r) => (authed = r));
  let outstanding = clients;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const clientsOf = Array.from({ length: clients }, (_, c) => {
    const load = chunks(op, pipeline, c + 1);
    const state = { sent: 0, owed: 1, started: false };
    const sock: FakeSocket = new FakeSocket((b) => {
      state.owed -= countReplies(b);
      if (state.owed > 0) return;
      if (!state.started) {
        if (--pendingAuth === 0) authed();
        return;
      }
      if (state.sent === perClient) {
        if (--outstanding === 0) done();
        return;
      }
      setImmediate(next);
    });
    const next = () => {
      state.started = true;
      state.owed = pipeline;
      sock.emit('data', load[state.sent++ % load.length]!);
    };
    server.adopt(sock as unknown as net.Socket);
    sock.emit('data', encodeCommand(['AUTH', password]));
    return { sock, next };
  });
  await allAuthed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const c of clientsOf) c.next();
  await finished;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  for (const c of clientsOf) c.sock.destroy();
  return { requests: total, usPerRequest: (cpu.user + cpu.system) / total, opsPerSec: (total / wallMs) * 1000 };
}

/** Fsyncs the server's Keeper has done, from its own metrics. */
function fsyncCount(h: Awaited<ReturnType<RunningServer['metrics']['fsyncSeconds']['get']>>): number {
  return h.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
}

export async function benchServerInProcess(): Promise<Figure[]> {
  const requests = Number(process.env['KEEPSAKE_BENCH_INPROC_N'] ?? defaultRequests);
  // e.g. KEEPSAKE_BENCH_INPROC_ONLY=quorum.set.p1 (profiling one configuration).
  const only = process.env['KEEPSAKE_BENCH_INPROC_ONLY'] ?? null;
  const figures: Figure[] = [];
  for (const ack of ['memory', 'quorum'] as const satisfies readonly AckLevel[]) {
    if (only !== null && !only.startsWith(`${ack}.`)) continue;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keepsake-inproc-'));
    const server = await startServer({
      host: '127.0.0.1',
      port: 0,
      dir,
      metricsPort: null,
      insecure: true,
      requireClientCert: false,
      maxmemoryBytes: 0,
      policy: 'noeviction',
      defaultAck: ack,
      adminPassword: password,
      snapshotEveryRecords: 250_000,
      log: pino({ level: 'silent' }),
    });
    try {
      // Warm-up: the keys exist and the code is optimized before anything is measured.
      await runLoad(server, 'set', 16, Math.min(requests, 200_000));
      for (const pipeline of [1, 16]) {
        for (const op of ack === 'memory' ? (['set', 'get'] as const) : (['set'] as const)) {
          if (only !== null && only !== `${ack}.${op}.p${pipeline}`) continue;
          const n = pipeline === 1 ? requests / 4 : requests;
          const h0 = await server.metrics.fsyncSeconds.get();
          const r = await runLoad(server, op, pipeline, n);
          const h1 = await server.metrics.fsyncSeconds.get();
          const fsyncs = fsyncCount(h1) - fsyncCount(h0);
          const us = r.usPerRequest;
          const name = `server_inprocess.${ack}.${op}.p${pipeline}`;
          process.stderr.write(`  ${name}: ${us.toFixed(2)} us/request, ${Math.round(r.opsPerSec)} ops/s\n`);
          figures.push({ name: `${name}.cpu_us_per_request`, value: Math.round(us * 100) / 100, unit: 'us/request' });
          figures.push({ name: `${name}.ops_per_s`, value: Math.round(r.opsPerSec), unit: 'ops/s' });
          // Group commit at work: how many writes each fsync made durable.
          if (op === 'set' && fsyncs > 0) figures.push({ name: `${name}.requests_per_fsync`, value: Math.round((r.requests / fsyncs) * 10) / 10, unit: 'requests/fsync' });
        }
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await benchServerInProcess()) console.log(`${f.name}\t${f.value}\t${f.unit}`);
}
