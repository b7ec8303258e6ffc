// Keeper benchmarks on a deterministic virtual-time disk model:
// - append throughput with group commit at 1, 10 and 100 concurrent writers (each writer has
//   one write outstanding; the leader forwards each as a one-entry k.append; an fsync costs a
//   fixed `fsyncMs`, writes cost per operation and per byte, fsyncs and writes overlap);
// - recovery time against data size and snapshot interval (virtual disk time of the recovery,
//   and the wall time of the keeper's own work).
// `npm run bench keeper`, or: npx tsx -e "import('./bench/keeper.ts').then(m => console.log(m.benchKeeper()))"

import { performance } from 'node:perf_hooks';
import { nodeId, type Effect, type NodeId } from '../net/types';
import type { DiskOp } from '../net/disk';
import { SimDisk } from '../sim/disk';
import { Keeper, type SnapshotMaterializer } from '../core/keeper/keeper';
import type { KeeperMsg } from '../core/keeper/messages';
import type { Figure } from './figures';

const fsyncMs = 2;
const writeOpMs = 0.02;
const bytesPerMs = 500_000; // 500 MB/s
const payloadBytes = 100;
const keyspace = 1000;

/** A small KV materializer: the last value per key. */
class Kv implements SnapshotMaterializer {
  private m = new Map<string, string>();
  reset(): void {
    this.m = new Map();
  }
  apply(p: Uint8Array): void {
    const s = Buffer.from(p).toString('latin1');
    this.m.set(s.slice(0, 8), s.slice(8));
  }
  snapshot(): Uint8Array {
    return Buffer.from(JSON.stringify([...this.m]), 'latin1');
  }
  restore(b: Uint8Array): void {
    this.m = new Map(JSON.parse(Buffer.from(b).toString('latin1')) as [string, string][]);
  }
}

function payload(offset: number): Uint8Array {
  const key = `k${String(offset % keyspace).padStart(7, '0')}`;
  return Buffer.from(key + 'v'.repeat(payloadBytes - key.length), 'latin1');
}

function opCostMs(op: DiskOp, resultBytes: number): number {
  switch (op.op) {
    case 'fsync':
    case 'fsyncDir':
      return fsyncMs;
    case 'write':
    case 'append':
      return writeOpMs + op.data.length / bytesPerMs;
    case 'read':
      return writeOpMs + resultBytes / bytesPerMs;
    default:
      return writeOpMs;
  }
}

type Ev = { atMs: number; seq: number; msg?: { from: NodeId; m: KeeperMsg }; disk?: { req: number; result: ReturnType<SimDisk['execute']> } };

/** Virtual-time driver for one keeper: an fsync channel and a data channel, each FIFO. */
class Rig {
  nowMs = 0;
  private seq = 0;
  private events: Ev[] = [];
  private freeAtMs = { sync: 0, data: 0 };
  readonly toLeader: KeeperMsg[] = [];
  constructor(
    readonly keeper: Keeper,
    readonly disk: SimDisk,
  ) {}

  push(ev: Omit<Ev, 'seq'>): void {
    this.events.push({ ...ev, seq: this.seq++ });
  }

  start(): void {
    this.effects(this.keeper.step({ type: 'start' }, this.nowMs));
  }

  send(m: KeeperMsg): void {
    this.effects(this.keeper.step({ type: 'message', from: nodeId('core1'), msg: m }, this.nowMs));
  }

  /** Runs the next event; false when none remain. */
  next(): boolean {
    if (this.events.length === 0) return false;
    let best = 0;
    for (let i = 1; i < this.events.length; i++) {
      const a = this.events[i]!;
      const b = this.events[best]!;
      if (a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq)) best = i;
    }
    const ev = this.events.splice(best, 1)[0]!;
    this.nowMs = ev.atMs;
    if (ev.disk) this.effects(this.keeper.step({ type: 'disk', req: ev.disk.req, result: ev.disk.result }, this.nowMs));
    return true;
  }

  private effects(effs: Effect<KeeperMsg>[]): void {
    for (const e of effs) {
      if (e.type === 'send') this.toLeader.push(e.msg);
      if (e.type !== 'disk') continue;
      const result = this.disk.execute(e.op);
      const lane = e.op.op === 'fsync' ? 'sync' : 'data';
      const begin = Math.max(this.nowMs, this.freeAtMs[lane]);
      const done = begin + opCostMs(e.op, result.ok && result.data ? result.data.length : 0);
      this.freeAtMs[lane] = done;
      this.push({ atMs: done, disk: { req: e.req, result } });
    }
  }
}

function keeperOn(disk: SimDisk, snapshotEveryRecords: number): Keeper {
  return new Keeper({
    id: nodeId('keeper1'),
    peers: [],
    snapshotEveryRecords,
    snapshotEveryBytes: 1 << 30,
    segmentBytesMax: 4 * 1024 * 1024,
    stateMachine: new Kv(),
  });
}

function boot(rig: Rig): void {
  rig.start();
  while (rig.next());
}

/** Records made durable per virtual second with `writers` writers, each one write outstanding. */
export function appendThroughput(writers: number, durationMs = 1000): { perSec: number; fsyncs: number } {
  const disk = new SimDisk();
  const k = keeperOn(disk, 50_000);
  const r = new Rig(k, disk);
  boot(r);
  let next = 1;
  const sendOne = () => {
    r.send({ type: 'k.append', term: 1, leader: nodeId('core1'), prevOffset: next - 1, prevTerm: next === 1 ? 0 : 1, entries: [{ offset: next, term: 1, payload: payload(next) }] });
    next += 1;
  };
  sendOne(); // the first append fences term 1
  while (k.durableOffset < 1 && r.next());
  const t0 = r.nowMs;
  const d0 = k.durableOffset;
  for (let i = 0; i < writers; i++) sendOne();
  let acked = k.durableOffset;
  while (r.nowMs - t0 < durationMs && r.next()) {
    if (k.durableOffset > acked) {
      const done = k.durableOffset - acked;
      acked = k.durableOffset;
      for (let i = 0; i < done; i++) sendOne(); // each finished writer writes again at once
    }
  }
  return { perSec: Math.round(((k.durableOffset - d0) * 1000) / (r.nowMs - t0)), fsyncs: k.stats().fsyncs };
}

/** Fills a disk with `records` records (snapshots every `every`), then times a recovery. */
export function recoveryTime(records: number, every: number): { virtualMs: number; wallMs: number; replayed: number } {
  const disk = new SimDisk();
  const fill = new Rig(keeperOn(disk, every), disk);
  boot(fill);
  const batch = 500;
  for (let o = 1; o <= records; o += batch) {
    const n = Math.min(batch, records - o + 1);
    const entries = Array.from({ length: n }, (_, i) => ({ offset: o + i, term: 1, payload: payload(o + i) }));
    fill.send({ type: 'k.append', term: 1, leader: nodeId('core1'), prevOffset: o - 1, prevTerm: o === 1 ? 0 : 1, entries });
    while (fill.next());
  }
  const k = keeperOn(disk, every);
  const rig = new Rig(k, disk);
  const w0 = performance.now();
  boot(rig);
  const wallMs = performance.now() - w0;
  return { virtualMs: Math.round(rig.nowMs * 10) / 10, wallMs: Math.round(wallMs * 10) / 10, replayed: k.durableOffset - k.snapshotOffset };
}

export function benchKeeper(): Figure[] {
  const out: Figure[] = [];
  for (const w of [1, 10, 100]) {
    const t = appendThroughput(w);
    out.push({ name: `append, ${w} writers, fsync ${fsyncMs} ms`, value: t.perSec, unit: 'records/s' });
  }
  for (const records of [20_000, 100_000]) {
    for (const every of [3_000, 30_000, 0]) {
      const r = recoveryTime(records, every === 0 ? Number.MAX_SAFE_INTEGER : every);
      const label = every === 0 ? 'no snapshot' : `snapshot every ${every}`;
      out.push({ name: `recovery, ${records} records, ${label}: disk`, value: r.virtualMs, unit: 'virtual ms' });
      out.push({ name: `recovery, ${records} records, ${label}: cpu`, value: r.wallMs, unit: 'ms' });
      out.push({ name: `recovery, ${records} records, ${label}: replayed`, value: r.replayed, unit: 'records' });
    }
  }
  return out;
}
