// A concurrent KV workload against a real server, recorded as a history the simulator's
// checkers read: several ioredis connections SET unique values and INCR counters; every
// reply is recorded with `performance.now()` times; an error or a lost connection is
// `unknown` (it may or may not have taken effect).

import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { checkDurability, type AckLevel, type DurabilityReport } from '../../sim/checkers/durability';
import { HistoryRecorder, type KvValue, type OpId, type Operation } from '../../sim/history';
import { killChild, redisClient, removeDir, sleep, startChild, type ChildServer } from './helpers';

export interface WorkloadOptions {
  readonly port: number;
  readonly caPath: string | null;
  readonly clients: number;
  /** Level of each client's writes ('memory' clients send CLIENT ACK memory first). */
  readonly levelOf: (client: number) => AckLevel;
  readonly setKeys: number;
  readonly counterKeys: number;
  /** Prefix of every key (rounds on one directory use different keys; their checks stay separate). */
  readonly keyPrefix?: string;
}

export class Workload {
  readonly history = new HistoryRecorder();
  readonly levels = new Map<OpId, AckLevel>();
  readonly keys = new Set<string>();
  private readonly clients: Redis[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];
  acked = 0;
  unknown = 0;

  constructor(private readonly o: WorkloadOptions) {}

  async start(): Promise<void> {
    for (let c = 0; c < this.o.clients; c++) {
      const r = redisClient(this.o.port, this.o.caPath);
      r.on('error', () => {}); // the kill closes every connection; the ops record it
      this.clients.push(r);
    }
    // Connect and AUTH every client first, so the load starts at full concurrency.
    await Promise.all(this.clients.map((r, c) => (this.o.levelOf(c) !== 'quorum' ? r.call('CLIENT', 'ACK', this.o.levelOf(c)) : r.ping())));
    this.loops = this.clients.map((r, c) => this.loop(r, c));
  }

  private async loop(r: Redis, c: number): Promise<void> {
    const client = `c${c}`;
    for (let i = 0; !this.stopped; i++) {
      const useIncr = i % 3 === 2;
      const p = this.o.keyPrefix ?? '';
      const key = useIncr ? `${p}ctr:${(c + i) % this.o.counterKeys}` : `${p}k:${(c * 7 + i) % this.o.setKeys}`;
      this.keys.add(key);
      const value = `${client}-${i}`;
      const id = this.history.invoke(client, useIncr ? { type: 'incr', key, by: 1 } : { type: 'set', key, value }, performance.now());
      this.levels.set(id, this.o.levelOf(c));
      try {
        if (useIncr) {
          const n = await r.incr(key);
          this.history.complete(id, { type: 'int', value: n }, performance.now());
        } else {
          const ok = await r.set(key, value);
          if (ok !== 'OK') throw new Error(`SET answered ${ok}`);
          this.history.complete(id, { type: 'ok' }, performance.now());
        }
        this.acked += 1;
      } catch {
        this.history.complete(id, { type: 'unknown' }, performance.now());
        this.unknown += 1;
        return; // the connection is gone (killed or shut down)
      }
    }
  }

  /** Stops issuing; waits for every loop (call after the server died or closed). */
  async stop(): Promise<Operation[]> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const r of this.clients) r.disconnect();
    return this.history.finish(performance.now());
  }
}

/** Reads every key the workload touched back from a (restarted) server. */
export async function readBack(port: number, caPath: string | null, keys: Iterable<string>): Promise<Map<string, KvValue>> {
  const r = redisClient(port, caPath);
  try {
    const list = [...keys];
    const values = list.length === 0 ? [] : await r.mget(...list);
    return new Map(list.map((k, i) => [k, values[i] ?? null]));
  } finally {
    r.disconnect();
  }
}

export function checkRecovered(w: Workload, history: Operation[], recovered: Map<string, KvValue>, recoveryMs: number): DurabilityReport {
  return checkDurability({ history, ackLevels: w.levels, defaultLevel: 'quorum', survivingLevels: new Set(['quorum']), recovered, recoveryMs });
}

/** Child servers and directories of one test file, stopped and removed by `cleanup()` in afterAll. */
export class ChildServers {
  private readonly dirs: string[] = [];
  private readonly children: ChildServer[] = [];

  dir(dir: string): string {
    this.dirs.push(dir);
    return dir;
  }

  async start(dir: string, args: string[] = []): Promise<ChildServer> {
    const c = await startChild(dir, ['--insecure', ...args]);
    this.children.push(c);
    return c;
  }

  async cleanup(): Promise<void> {
    for (const c of this.children) await killChild(c);
    for (const d of this.dirs) removeDir(d);
  }
}

/** One round: load, SIGKILL after `killAfterMs`, restart, read back, check. Returns the restarted server too. */
export async function killRound(
  servers: ChildServers,
  dir: string,
  killAfterMs: number,
  levelOf: (c: number) => AckLevel,
  beforeRestart?: () => void,
  keyPrefix = '',
  serverArgs: string[] = [],
) {
  const s = await servers.start(dir, serverArgs);
  const w = new Workload({ port: s.port, caPath: null, clients: 8, levelOf, setKeys: 40, counterKeys: 4, keyPrefix });
  await w.start();
  await sleep(killAfterMs);
  const killedAtMs = performance.now();
  const exit = await killChild(s, 'SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
  const history = await w.stop();
  beforeRestart?.();
  const again = await servers.start(dir, serverArgs);
  const recovered = await readBack(again.port, null, w.keys);
  const report = checkRecovered(w, history, recovered, killedAtMs);
  return { again, w, history, recovered, report, killedAtMs };
}
