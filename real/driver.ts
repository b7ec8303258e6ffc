// The real-world driver of a state machine: the same `Machine` the simulator runs, stepped
// on the Node.js event loop. Real time feeds its clock, real timers fire its named timeouts,
// its disk operations run against a real directory (one at a time, in issue order, as in the
// simulator) and its messages go to whatever transport the host wires up (client
// connections, peer links). Nothing here decides anything: it only carries effects out and
// results back in.

import { randomBytes } from 'node:crypto';
import type { Disk, DiskOp } from '../net/disk';
import { unreachable, type Effect, type Input, type Machine, type MachineFactory, type NodeId } from '../net/types';
import { SeededRng } from '../sim/rng';

export interface DriverOptions<M> {
  readonly id: NodeId;
  readonly factory: MachineFactory<M>;
  readonly disk: Disk | null;
  /** Where messages to other nodes or connections go. */
  readonly send: (to: NodeId, msg: M) => void;
  /** Trace notes from the machine (a logger). */
  readonly note?: (text: string) => void;
  /** The local clock; Date.now by default. */
  readonly clock?: () => number;
  /** Called after each batch of effects has been carried out (e.g. to flush sockets). */
  readonly afterStep?: () => void;
}

export interface DriverStats {
  steps: number;
  diskOps: number;
  diskOpsFailed: number;
  /** Sum and count of fsync latencies (ms), for metrics. */
  fsyncMsTotal: number;
  fsyncs: number;
  /** Bytes written or appended to disk (WAL records, snapshots, headers). */
  bytesWritten: number;
}

export class Driver<M> {
  readonly machine: Machine<M>;
  readonly stats: DriverStats = { steps: 0, diskOps: 0, diskOpsFailed: 0, fsyncMsTotal: 0, fsyncs: 0, bytesWritten: 0 };
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private diskChain: Promise<void> = Promise.resolve();
  private diskInFlight = 0;
  private stopped = false;
  private readonly clock: () => number;
  /** Observers of disk operation completions (metrics): op, latency ms, ok. */
  onDiskOp: ((op: DiskOp, ms: number, ok: boolean) => void) | null = null;

  constructor(private readonly opts: DriverOptions<M>) {
    this.clock = opts.clock ?? Date.now;
    // Randomness for the machine (eviction sampling, jitter): seeded from the OS, so runs differ.
    const rng = new SeededRng(randomBytes(16).toString('hex'));
    this.machine = opts.factory({ id: opts.id, rng, incarnation: 0 });
  }

  start(): void {
    this.input({ type: 'start' });
  }

  /** A message from a peer node or a client connection. */
  deliver(from: NodeId, msg: M): void {
    this.input({ type: 'message', from, msg });
  }

  /** Stop firing timers and accept no more inputs; resolves when queued disk work is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.diskChain;
  }

  /** Disk operations queued or running (shutdown waits for them). */
  diskBacklog(): number {
    return this.diskInFlight;
  }

  private input(input: Input<M>): void {
    if (this.stopped) return;
    this.stats.steps += 1;
    const effects = this.machine.step(input, this.clock());
    for (const e of effects) this.effect(e);
    this.opts.afterStep?.();
  }

  private effect(e: Effect<M>): void {
    switch (e.type) {
      case 'send':
        this.opts.send(e.to, e.msg);
        return;
      case 'timer': {
        const old = this.timers.get(e.name);
        if (old) clearTimeout(old);
        const t = setTimeout(() => {
          this.timers.delete(e.name);
          this.input({ type: 'timeout', name: e.name });
        }, Math.max(0, e.afterMs));
        this.timers.set(e.name, t);
        return;
      }
      case 'cancelTimer': {
        const t = this.timers.get(e.name);
        if (t) clearTimeout(t);
        this.timers.delete(e.name);
        return;
      }
      case 'disk':
        this.diskOp(e.req, e.op);
        return;
      case 'note':
        this.opts.note?.(e.text);
        return;
      default:
        unreachable(e, 'effect');
    }
  }

  private diskOp(req: number, op: DiskOp): void {
    const disk = this.opts.disk;
    if (!disk) {
      this.opts.note?.(`disk op ${op.op} on a node without a disk`);
      return;
    }
    this.diskInFlight += 1;
    this.diskChain = this.diskChain.then(async () => {
      const t0 = performance.now();
      const result = await disk.exec(op);
      const ms = performance.now() - t0;
      this.diskInFlight -= 1;
      this.stats.diskOps += 1;
      if (!result.ok) this.stats.diskOpsFailed += 1;
      else if (op.op === 'write' || op.op === 'append') this.stats.bytesWritten += op.data.length;
      if (op.op === 'fsync' || op.op === 'fsyncDir') {
        this.stats.fsyncs += 1;
        this.stats.fsyncMsTotal += ms;
      }
      this.onDiskOp?.(op, ms, result.ok);
      this.input({ type: 'disk', req, result });
    });
  }
}
