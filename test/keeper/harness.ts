// A small deterministic driver for keepers in tests: each node has a SimDisk; disk effects
// run at once in emission order and their results queue as inputs; messages between keepers
// queue too; messages to anyone else (the leader stub) are collected. Events run FIFO.

import { SimDisk } from '../../sim/disk';
import { nodeId, type Effect, type Input, type NodeId } from '../../net/types';
import { Keeper, type KeeperConfig, type SnapshotMaterializer } from '../../core/keeper/keeper';
import type { KeeperEntry, KeeperMsg } from '../../core/keeper/messages';

/** A toy materializer: the list of applied payloads (as strings), so tests compare exactly. */
export class ToyLog implements SnapshotMaterializer {
  applied: string[] = [];
  reset(): void {
    this.applied = [];
  }
  apply(payload: Uint8Array): void {
    this.applied.push(Buffer.from(payload).toString('utf8'));
  }
  snapshot(): Uint8Array {
    return Buffer.from(JSON.stringify(this.applied), 'utf8');
  }
  restore(bytes: Uint8Array): void {
    this.applied = JSON.parse(Buffer.from(bytes).toString('utf8')) as string[];
  }
}

export const payloadOf = (offset: number): string => `set k${offset % 7} v${offset}`;

export function entriesOf(from: number, count: number, term: number): KeeperEntry[] {
  return Array.from({ length: count }, (_, i) => ({ offset: from + i, term, payload: Buffer.from(payloadOf(from + i)) }));
}

export const leader = nodeId('core1');

/** The leader's append of `count` entries from offset `from` (entriesOf), after `prevTerm`. */
export function appendOf(from: number, count: number, term = 1, prevTerm = from === 1 ? 0 : term): KeeperMsg {
  return { type: 'k.append', term, leader, prevOffset: from - 1, prevTerm, entries: entriesOf(from, count, term) };
}

export interface Node {
  keeper: Keeper;
  sm: ToyLog;
  disk: SimDisk;
  up: boolean;
}

type Event = { to: NodeId; input: Input<KeeperMsg> };

export class Harness {
  readonly nodes = new Map<NodeId, Node>();
  readonly configs = new Map<NodeId, Omit<KeeperConfig, 'stateMachine'>>();
  queue: Event[] = [];
  /** Messages sent to non-keeper nodes, in order. */
  readonly outbox: { from: NodeId; to: NodeId; msg: KeeperMsg }[] = [];
  readonly notes: string[] = [];
  readonly timers: { node: NodeId; name: string }[] = [];
  diskOps = 0;
  /** When set, the run stops (a crash) once this many disk operations have executed. */
  diskOpsBudget = Infinity;
  /** Disk ops held back instead of executed (to keep an fsync in flight), by predicate. */
  hold: ((node: NodeId, op: Effect<KeeperMsg> & { type: 'disk' }) => boolean) | null = null;
  held: { node: NodeId; eff: Effect<KeeperMsg> & { type: 'disk' } }[] = [];
  /** When true, fsyncs run late (one every third event, or when nothing else is left), as an
   *  asynchronous disk may run them: writes issued after an fsync can execute before it. */
  deferFsync = false;
  private deferred: { node: NodeId; eff: Effect<KeeperMsg> & { type: 'disk' } }[] = [];
  private steps = 0;

  add(cfg: Omit<KeeperConfig, 'stateMachine'>, disk = new SimDisk(), sm: ToyLog = new ToyLog()): Node {
    const node: Node = { keeper: new Keeper({ ...cfg, stateMachine: sm }), sm, disk, up: true };
    this.nodes.set(cfg.id, node);
    this.configs.set(cfg.id, cfg);
    this.queue.push({ to: cfg.id, input: { type: 'start' } });
    return node;
  }

  /** Replaces a node's keeper by a fresh one on the same disk (a process restart). */
  restart(id: NodeId): Node {
    const cfg = this.configs.get(id)!;
    const disk = this.nodes.get(id)!.disk;
    this.queue = this.queue.filter((e) => e.to !== id);
    this.held = this.held.filter((h) => h.node !== id);
    this.deferred = this.deferred.filter((h) => h.node !== id);
    return this.add(cfg, disk);
  }

  stop(id: NodeId): void {
    this.nodes.get(id)!.up = false;
    this.queue = this.queue.filter((e) => e.to !== id);
  }

  send(to: NodeId, msg: KeeperMsg, from: NodeId = leader): void {
    this.queue.push({ to, input: { type: 'message', from, msg } });
  }

  get crashed(): boolean {
    return this.diskOps >= this.diskOpsBudget;
  }

  /** Runs one event; false when there is nothing to run or the crash budget is spent. */
  stepOne(): boolean {
    if (this.crashed) return false;
    this.steps += 1;
    if (this.deferred.length > 0 && (this.queue.length === 0 || this.steps % 3 === 0)) {
      const d = this.deferred.shift()!;
      this.execDisk(d.node, this.nodes.get(d.node)!, d.eff);
      return true;
    }
    const ev = this.queue.shift();
    if (!ev) return false;
    const node = this.nodes.get(ev.to);
    if (!node || !node.up) return true;
    const effects = node.keeper.step(ev.input, 0);
    node.keeper.invariants();
    for (const eff of effects) this.effect(ev.to, node, eff);
    return true;
  }

  run(maxEvents = 100_000): void {
    for (let i = 0; i < maxEvents; i++) if (!this.stepOne()) return;
    throw new Error('harness: run did not quiesce');
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) this.execDisk(h.node, this.nodes.get(h.node)!, h.eff);
  }

  fireTimer(node: NodeId, name: string): void {
    this.queue.push({ to: node, input: { type: 'timeout', name } });
  }

  acks(): number {
    let max = 0;
    for (const o of this.outbox) if (o.msg.type === 'k.appendOk') max = Math.max(max, o.msg.durableOffset);
    return max;
  }

  private effect(from: NodeId, node: Node, eff: Effect<KeeperMsg>): void {
    switch (eff.type) {
      case 'disk':
        if (this.hold?.(from, eff)) this.held.push({ node: from, eff });
        else if (this.deferFsync && eff.op.op === 'fsync') this.deferred.push({ node: from, eff });
        else this.execDisk(from, node, eff);
        return;
      case 'send':
        if (this.nodes.has(eff.to)) this.queue.push({ to: eff.to, input: { type: 'message', from, msg: eff.msg } });
        else this.outbox.push({ from, to: eff.to, msg: eff.msg });
        return;
      case 'timer':
        this.timers.push({ node: from, name: eff.name });
        return;
      case 'cancelTimer':
        return;
      case 'note':
        this.notes.push(eff.text);
        return;
    }
  }

  private execDisk(id: NodeId, node: Node, eff: Effect<KeeperMsg> & { type: 'disk' }): void {
    if (this.crashed) return;
    this.diskOps += 1;
    const result = node.disk.execute(eff.op);
    this.queue.push({ to: id, input: { type: 'disk', req: eff.req, result } });
  }
}
