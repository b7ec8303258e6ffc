// The deterministic world: virtual time, one event queue, seeded randomness, a simulated
// network and one simulated disk per node, and the node lifecycle (crash, restart, pause,
// resume, clock skew/drift/jumps). It drives `Machine`s from net/types.ts exactly as the
// real driver does: inputs in, effects out. No wall clock, no Math.random, no timers.

import type { DiskOp, DiskResult } from '../net/disk';
import { assert, unreachable, type Effect, type Input, type Machine, type MachineFactory, type NodeId } from '../net/types';
import type { FrameCodec } from '../net/frame';
import { SimDisk, randomCrash, type CrashChooser } from './disk';
import { SimNetwork, type NetworkConfig } from './network';
import { EventQueue } from './queue';
import { RngStreams, type SeededRng } from './rng';
import { Trace } from './trace';

export interface NodeSpec<M> {
  readonly id: NodeId;
  readonly factory: MachineFactory<M>;
}

/** Latency of each disk operation kind, ms, before the node's slowness factor. */
export interface DiskLatencyConfig {
  writeMs: number;
  fsyncMs: number;
  otherMs: number;
  /** Mean exponential jitter added to every operation. */
  jitterMeanMs: number;
}

export const defaultDiskLatency: DiskLatencyConfig = { writeMs: 0.05, fsyncMs: 2, otherMs: 0.05, jitterMeanMs: 0.2 };

export interface WorldOptions<M> {
  readonly seed: number | string;
  readonly nodes: readonly NodeSpec<M>[];
  readonly network?: Partial<NetworkConfig>;
  readonly diskLatency?: Partial<DiskLatencyConfig>;
  /** Keep every trace line in memory (replay --trace / --html); the hash is always kept. */
  readonly keepTrace?: boolean;
  /** Deterministic one-line rendering of a message for the trace. */
  readonly describeMsg?: (msg: M) => string;
  /** Refuse to run more than this many events (a runaway guard). */
  readonly eventsMax?: number;
  /**
   * When given, every message crosses the wire format: encoded at send, decoded at delivery, so
   * what arrives is exactly what a socket would carry (a message the codec refuses is dropped
   * and traced as 'wire').
   */
  readonly codec?: FrameCodec<M & { readonly type: string }>;
}

type WorldEvent<M> =
  /**
   * Incarnations at send time: links behave like connections, so a message never reaches a
   * later incarnation of its destination, nor arrives after its sender restarted (a restart
   * resets the connection).
   */
  | { readonly kind: 'deliver'; readonly from: NodeId; readonly to: NodeId; readonly msg: M; readonly msgId: number; readonly fromInc: number; readonly toInc: number }
  | { readonly kind: 'timer'; readonly node: NodeId; readonly incarnation: number; readonly name: string; readonly gen: number }
  | { readonly kind: 'diskDone'; readonly node: NodeId; readonly incarnation: number; readonly req: number; readonly op: DiskOp }
  | { readonly kind: 'call'; readonly label: string; readonly fn: () => void };

interface NodeSlot<M> {
  readonly id: NodeId;
  readonly factory: MachineFactory<M>;
  machine: Machine<M> | null;
  incarnation: number;
  paused: boolean;
  /** Events that arrived while paused, replayed in order at resume. */
  backlog: WorldEvent<M>[];
  clockOffsetMs: number;
  clockDriftPpm: number;
  timerGen: Map<string, number>;
  readonly disk: SimDisk;
  /** Disk operations complete one at a time, in order: the time the device is next free. */
  diskFreeAtMs: number;
  /** Multiplies every disk latency (slow disk fault). */
  diskSlowFactor: number;
}

export interface WorldStats {
  events: number;
  messagesSent: number;
  messagesDelivered: number;
  messagesDropped: number;
  messagesDuplicated: number;
  crashes: number;
  restarts: number;
}

export type WorldObserver<M> = (e: ObservedEvent<M>) => void;

/** What observers (checkers, history, timeline) may see; read-only. */
export type ObservedEvent<M> =
  | { readonly kind: 'input'; readonly at: number; readonly node: NodeId; readonly input: Input<M> }
  | { readonly kind: 'send'; readonly at: number; readonly from: NodeId; readonly to: NodeId; readonly msg: M; readonly msgId: number }
  | { readonly kind: 'drop'; readonly at: number; readonly from: NodeId; readonly to: NodeId; readonly msgId: number; readonly reason: string }
  | { readonly kind: 'lifecycle'; readonly at: number; readonly node: NodeId; readonly what: 'crash' | 'restart' | 'pause' | 'resume' }
  | { readonly kind: 'fault'; readonly at: number; readonly what: string };

export class World<M> {
  /** Virtual time, ms since the start of the run. */
  now = 0;
  readonly rng: RngStreams;
  readonly net: SimNetwork;
  readonly trace: Trace;
  readonly stats: WorldStats = {
    events: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    crashes: 0,
    restarts: 0,
  };
  private readonly queue = new EventQueue<WorldEvent<M>>();
  /** Times are kept to the microsecond so sums of delays do not accumulate float noise. */
  private schedule(atMs: number, ev: WorldEvent<M>): void {
    this.queue.push(Math.round(atMs * 1000) / 1000, ev);
  }
  private readonly slots = new Map<NodeId, NodeSlot<M>>();
  private readonly held = new Map<string, { from: NodeId; to: NodeId; msg: M; msgId: number; fromInc: number; toInc: number }[]>();
  private readonly observers: WorldObserver<M>[] = [];
  private readonly describeMsg: (msg: M) => string;
  private readonly diskLatency: DiskLatencyConfig;
  private readonly diskRng: SeededRng;
  private readonly eventsMax: number;
  private readonly codec: FrameCodec<M & { readonly type: string }> | null;
  private msgSeq = 0;
  private timerSeq = 0;
  private started = false;

  constructor(opts: WorldOptions<M>) {
    this.rng = new RngStreams(opts.seed);
    this.net = new SimNetwork(this.rng.get('network'), opts.network);
    this.trace = new Trace(opts.keepTrace ?? false);
    this.describeMsg = opts.describeMsg ?? defaultDescribe;
    this.diskLatency = { ...defaultDiskLatency, ...opts.diskLatency };
    this.diskRng = this.rng.get('disk');
    this.eventsMax = opts.eventsMax ?? 50_000_000;
    this.codec = opts.codec ?? null;
    for (const spec of opts.nodes) {
      assert(!this.slots.has(spec.id), `duplicate node id ${spec.id}`);
      this.slots.set(spec.id, {
        id: spec.id,
        factory: spec.factory,
        machine: null,
        incarnation: -1,
        paused: false,
        backlog: [],
        clockOffsetMs: 0,
        clockDriftPpm: 0,
        timerGen: new Map(),
        disk: new SimDisk(),
        diskFreeAtMs: 0,
        diskSlowFactor: 1,
      });
    }
  }

  // ---- Running ---------------------------------------------------------------------

  /** Boot every node (in the order given) at time 0. */
  start(): void {
    assert(!this.started, 'world already started');
    this.started = true;
    // Every node comes up at time 0 before any of them runs: a message one sends while booting
    // reaches the others' first incarnation.
    for (const slot of this.slots.values()) this.prepare(slot);
    for (const slot of this.slots.values()) this.input(slot, { type: 'start' });
  }

  /** Run events up to and including `untilMs`; returns the number of events run. */
  runUntil(untilMs: number): number {
    if (!this.started) this.start();
    let n = 0;
    while (this.queue.peekTime() <= untilMs) {
      this.stepOne();
      n++;
    }
    this.now = Math.max(this.now, untilMs);
    return n;
  }

  /** Run until `cond()` holds (checked after every event) or `untilMs`; returns whether it held. */
  runUntilCondition(cond: () => boolean, untilMs: number): boolean {
    if (!this.started) this.start();
    if (cond()) return true;
    while (this.queue.peekTime() <= untilMs) {
      this.stepOne();
      if (cond()) return true;
    }
    this.now = Math.max(this.now, untilMs);
    return false;
  }

  /** Schedule a scenario action (fault, workload step, check) at virtual time `atMs`. */
  at(atMs: number, label: string, fn: () => void): void {
    assert(atMs >= this.now, `cannot schedule in the past: ${atMs} < ${this.now}`);
    this.queue.push(atMs, { kind: 'call', label, fn });
  }

  observe(fn: WorldObserver<M>): void {
    this.observers.push(fn);
  }

  pendingEvents(): number {
    return this.queue.size;
  }

  private stepOne(): void {
    const item = this.queue.pop()!;
    this.now = item.at;
    this.stats.events += 1;
    assert(this.stats.events <= this.eventsMax, `run exceeded eventsMax=${this.eventsMax}`);
    this.dispatch(item.ev);
  }

  private dispatch(ev: WorldEvent<M>): void {
    switch (ev.kind) {
      case 'call':
        this.trace.add(this.now, 'call', '-', ev.label);
        ev.fn();
        return;
      case 'deliver': {
        const slot = this.slot(ev.to);
        if (slot.paused) return void slot.backlog.push(ev);
        if (!slot.machine) return this.dropped(ev.from, ev.to, ev.msgId, 'node down');
        if (slot.incarnation !== ev.toInc || this.slot(ev.from).incarnation !== ev.fromInc) return this.dropped(ev.from, ev.to, ev.msgId, 'connection reset');
        if (!this.net.canDeliver(ev.from, ev.to)) return this.dropped(ev.from, ev.to, ev.msgId, 'partition');
        this.stats.messagesDelivered += 1;
        this.trace.add(this.now, 'recv', ev.to, `#${ev.msgId} from ${ev.from}`);
        return this.input(slot, { type: 'message', from: ev.from, msg: ev.msg });
      }
      case 'timer': {
        const slot = this.slot(ev.node);
        if (slot.incarnation !== ev.incarnation || slot.timerGen.get(ev.name) !== ev.gen) return; // stale
        if (slot.paused) return void slot.backlog.push(ev);
        slot.timerGen.delete(ev.name);
        this.trace.add(this.now, 'timer', ev.node, ev.name);
        return this.input(slot, { type: 'timeout', name: ev.name });
      }
      case 'diskDone': {
        const slot = this.slot(ev.node);
        if (slot.incarnation !== ev.incarnation || !slot.machine) return; // the node crashed first: never happened
        if (slot.paused) return void slot.backlog.push(ev);
        const result = slot.disk.execute(ev.op);
        this.trace.add(this.now, 'disk', ev.node, `${describeDiskOp(ev.op)} -> ${result.ok ? 'ok' : result.code}`);
        return this.input(slot, { type: 'disk', req: ev.req, result });
      }
      default:
        unreachable(ev, 'world event');
    }
  }

  // ---- Node plumbing ---------------------------------------------------------------

  private slot(id: NodeId): NodeSlot<M> {
    const s = this.slots.get(id);
    assert(s, `unknown node ${id}`);
    return s;
  }

  /** The node's local clock reading at the current virtual time. */
  localTime(id: NodeId): number {
    const s = this.slot(id);
    return Math.floor(this.now + s.clockOffsetMs + (this.now * s.clockDriftPpm) / 1e6);
  }

  private boot(slot: NodeSlot<M>): void {
    this.prepare(slot);
    this.input(slot, { type: 'start' });
  }

  private prepare(slot: NodeSlot<M>): void {
    slot.incarnation += 1;
    slot.timerGen = new Map();
    slot.backlog = [];
    slot.paused = false;
    slot.machine = slot.factory({
      id: slot.id,
      rng: this.rng.get(`node:${slot.id}#${slot.incarnation}` as `node:${string}`),
      incarnation: slot.incarnation,
    });
    this.trace.add(this.now, 'boot', slot.id, `incarnation ${slot.incarnation}`);
  }

  private input(slot: NodeSlot<M>, input: Input<M>): void {
    const machine = slot.machine;
    assert(machine, `input to a down node ${slot.id}`);
    for (const o of this.observers) o({ kind: 'input', at: this.now, node: slot.id, input });
    const effects = machine.step(input, this.localTime(slot.id));
    for (const e of effects) this.effect(slot, e);
  }

  private effect(slot: NodeSlot<M>, e: Effect<M>): void {
    switch (e.type) {
      case 'send':
        return this.send(slot.id, e.to, e.msg);
      case 'timer': {
        // A world-wide generation: a cancelled-then-rearmed timer must not match the old event.
        const gen = ++this.timerSeq;
        slot.timerGen.set(e.name, gen);
        // A drifting clock runs its timers fast or slow.
        const delay = Math.max(0, e.afterMs) / (1 + slot.clockDriftPpm / 1e6);
        this.schedule(this.now + delay, { kind: 'timer', node: slot.id, incarnation: slot.incarnation, name: e.name, gen });
        return;
      }
      case 'cancelTimer':
        slot.timerGen.delete(e.name);
        return;
      case 'disk': {
        const start = Math.max(this.now, slot.diskFreeAtMs);
        const done = start + this.diskOpLatency(e.op) * slot.diskSlowFactor;
        slot.diskFreeAtMs = done;
        this.schedule(done, { kind: 'diskDone', node: slot.id, incarnation: slot.incarnation, req: e.req, op: e.op });
        return;
      }
      case 'note':
        this.trace.add(this.now, 'note', slot.id, e.text);
        return;
      default:
        unreachable(e, 'effect');
    }
  }

  private diskOpLatency(op: DiskOp): number {
    const c = this.diskLatency;
    const base = op.op === 'fsync' || op.op === 'fsyncDir' ? c.fsyncMs : op.op === 'write' || op.op === 'append' ? c.writeMs : c.otherMs;
    const jitter = c.jitterMeanMs > 0 ? this.diskRng.exponential(c.jitterMeanMs) : 0;
    return Math.round((base + jitter) * 1000) / 1000;
  }

  private send(from: NodeId, to: NodeId, sent: M): void {
    this.slot(to); // unknown destinations are a bug
    const msgId = ++this.msgSeq;
    const msg = this.codec ? this.throughWire(from, to, sent, msgId) : sent;
    if (msg === null) return;
    this.stats.messagesSent += 1;
    for (const o of this.observers) o({ kind: 'send', at: this.now, from, to, msg, msgId });
    const verdict = this.net.onSend(from, to);
    switch (verdict.kind) {
      case 'drop':
        this.trace.add(this.now, 'send', from, `#${msgId} to ${to} ${this.describeMsg(msg)}`);
        return this.dropped(from, to, msgId, verdict.reason);
      case 'hold': {
        this.trace.add(this.now, 'hold', from, `#${msgId} to ${to} ${this.describeMsg(msg)}`);
        const key = `${from}>${to}`;
        const q = this.held.get(key) ?? [];
        q.push({ from, to, msg, msgId, fromInc: this.slot(from).incarnation, toInc: this.slot(to).incarnation });
        this.held.set(key, q);
        return;
      }
      case 'deliver': {
        const delays = verdict.delaysMs.length === 1 ? String(verdict.delaysMs[0]) : verdict.delaysMs.join('+');
        this.trace.add(this.now, 'send', from, `#${msgId} to ${to} +${delays} ${this.describeMsg(msg)}`);
        if (verdict.delaysMs.length > 1) this.stats.messagesDuplicated += verdict.delaysMs.length - 1;
        const fromInc = this.slot(from).incarnation;
        const toInc = this.slot(to).incarnation;
        for (const d of verdict.delaysMs) this.schedule(this.now + d, { kind: 'deliver', from, to, msg, msgId, fromInc, toInc });
        return;
      }
      default:
        unreachable(verdict, 'send verdict');
    }
  }

  /** Encode and decode as a socket would; null when the codec refuses the message. */
  private throughWire(from: NodeId, to: NodeId, msg: M, msgId: number): M | null {
    const codec = this.codec!;
    const enc = codec.encode(msg as M & { readonly type: string });
    const dec = enc.ok ? codec.decoder().push(enc.bytes)[0] : undefined;
    if (!enc.ok || !dec || !dec.ok) {
      const why = !enc.ok ? enc.error.message : dec && !dec.ok ? dec.error.message : 'incomplete frame';
      this.stats.messagesSent += 1;
      this.trace.add(this.now, 'wire', from, `#${msgId} to ${to} refused: ${why}`);
      this.dropped(from, to, msgId, `wire: ${why}`);
      return null;
    }
    return dec.msg as M;
  }

  private dropped(from: NodeId, to: NodeId, msgId: number, reason: string): void {
    this.stats.messagesDropped += 1;
    this.trace.add(this.now, 'drop', to, `#${msgId} from ${from} (${reason})`);
    for (const o of this.observers) o({ kind: 'drop', at: this.now, from, to, msgId, reason });
  }

  private fault(what: string): void {
    this.trace.add(this.now, 'fault', '-', what);
    for (const o of this.observers) o({ kind: 'fault', at: this.now, what });
  }

  // ---- Faults and lifecycle (called by scenarios, usually via `at`) -------------------

  nodeIds(): NodeId[] {
    return [...this.slots.keys()];
  }

  isUp(id: NodeId): boolean {
    return this.slot(id).machine !== null;
  }

  isPaused(id: NodeId): boolean {
    return this.slot(id).paused;
  }

  /** The live machine of a node (null when crashed), for invariant checkers. */
  machine(id: NodeId): Machine<M> | null {
    return this.slot(id).machine;
  }

  disk(id: NodeId): SimDisk {
    return this.slot(id).disk;
  }

  incarnation(id: NodeId): number {
    return this.slot(id).incarnation;
  }

  /** Crash: volatile state, timers and in-flight disk operations are gone; unsynced disk state settles per `chooser`. */
  crash(id: NodeId, chooser?: CrashChooser): void {
    const slot = this.slot(id);
    if (!slot.machine) return;
    slot.machine = null;
    slot.paused = false;
    slot.backlog = [];
    slot.timerGen = new Map();
    slot.diskFreeAtMs = this.now;
    slot.disk.crash(chooser ?? randomCrash(this.rng.get('crash')));
    this.stats.crashes += 1;
    this.trace.add(this.now, 'crash', id, `disk files ${slot.disk.fileNames().length}`);
    for (const o of this.observers) o({ kind: 'lifecycle', at: this.now, node: id, what: 'crash' });
  }

  restart(id: NodeId): void {
    const slot = this.slot(id);
    if (slot.machine) return;
    this.stats.restarts += 1;
    for (const o of this.observers) o({ kind: 'lifecycle', at: this.now, node: id, what: 'restart' });
    this.boot(slot);
  }

  /** A stop-the-world stall: the node sees nothing until resumed, then everything at once. */
  pause(id: NodeId): void {
    const slot = this.slot(id);
    if (!slot.machine || slot.paused) return;
    slot.paused = true;
    this.trace.add(this.now, 'pause', id, '');
    for (const o of this.observers) o({ kind: 'lifecycle', at: this.now, node: id, what: 'pause' });
  }

  resume(id: NodeId): void {
    const slot = this.slot(id);
    if (!slot.paused) return;
    slot.paused = false;
    this.trace.add(this.now, 'resume', id, `backlog ${slot.backlog.length}`);
    for (const o of this.observers) o({ kind: 'lifecycle', at: this.now, node: id, what: 'resume' });
    const backlog = slot.backlog;
    slot.backlog = [];
    for (const ev of backlog) this.queue.push(this.now, ev);
  }

  /** Set a node's clock offset from true time (skew), in ms. */
  setClockOffset(id: NodeId, offsetMs: number): void {
    this.slot(id).clockOffsetMs = offsetMs;
    this.fault(`clock ${id} offset ${offsetMs}ms`);
  }

  /** Jump a node's clock by `deltaMs` (negative: backwards). */
  jumpClock(id: NodeId, deltaMs: number): void {
    this.slot(id).clockOffsetMs += deltaMs;
    this.fault(`clock ${id} jump ${deltaMs}ms`);
  }

  /** Clock rate error in parts per million (positive: runs fast). */
  setClockDrift(id: NodeId, ppm: number): void {
    this.slot(id).clockDriftPpm = ppm;
    this.fault(`clock ${id} drift ${ppm}ppm`);
  }

  setDiskSlowFactor(id: NodeId, factor: number): void {
    assert(factor > 0, 'disk slow factor must be positive');
    this.slot(id).diskSlowFactor = factor;
    this.fault(`disk ${id} slow x${factor}`);
  }

  setDiskCapacity(id: NodeId, bytes: number): void {
    this.slot(id).disk.capacityBytes = bytes;
    this.fault(`disk ${id} capacity ${bytes}`);
  }

  /** Flip a random stored bit on the node's disk (bit rot). */
  rotDisk(id: NodeId): void {
    const hit = this.slot(id).disk.rot(this.rng.get('faults'));
    this.fault(`disk ${id} rot ${hit ? `${hit.file}@${hit.pos}` : 'nothing'}`);
  }

  partition(groups: readonly (readonly NodeId[])[]): void {
    this.net.partition(groups);
    this.fault(`partition ${groups.map((g) => g.join(',')).join(' | ')}`);
  }

  blockOneWay(from: NodeId, to: NodeId): void {
    this.net.blockOneWay(from, to);
    this.fault(`block ${from}>${to}`);
  }

  bridge(bridge: NodeId, left: readonly NodeId[], right: readonly NodeId[]): void {
    this.net.bridge(bridge, left, right);
    this.fault(`bridge ${bridge} between ${left.join(',')} and ${right.join(',')}`);
  }

  isolate(id: NodeId): void {
    this.net.isolate(id, this.nodeIds());
    this.fault(`isolate ${id}`);
  }

  heal(): void {
    this.net.heal();
    this.fault('heal');
  }

  hold(from: NodeId, to: NodeId): void {
    this.net.hold(from, to);
    this.fault(`hold ${from}>${to}`);
  }

  /** Release a held link: its queued messages go out now, in order, each with a fresh latency. */
  release(from: NodeId, to: NodeId): void {
    this.net.unhold(from, to);
    this.fault(`release ${from}>${to}`);
    const key = `${from}>${to}`;
    const q = this.held.get(key) ?? [];
    this.held.delete(key);
    for (const h of q) this.schedule(this.now + this.net.latency(), { kind: 'deliver', ...h });
  }

  heldCount(from: NodeId, to: NodeId): number {
    return this.held.get(`${from}>${to}`)?.length ?? 0;
  }

  /** Record a line in the trace from a scenario or client (e.g. a history event). */
  note(node: string, text: string): void {
    this.trace.add(this.now, 'note', node, text);
  }

}

export function describeDiskOp(op: DiskOp): string {
  switch (op.op) {
    case 'write':
      return `write ${op.file}@${op.offset}+${op.data.length}`;
    case 'append':
      return `append ${op.file}+${op.data.length}`;
    case 'fsync':
    case 'size':
    case 'delete':
      return `${op.op} ${op.file}`;
    case 'read':
      return `read ${op.file}@${op.offset ?? 0}+${op.length ?? '*'}`;
    case 'truncate':
      return `truncate ${op.file} ${op.length}`;
    case 'rename':
      return `rename ${op.from} ${op.to}`;
    case 'fsyncDir':
    case 'list':
      return op.op;
    default:
      return unreachable(op, 'disk op');
  }
}

/** Deterministic rendering of a plain message (Buffers as hex; object key order is construction order, which is deterministic). */
export function defaultDescribe(msg: unknown): string {
  return JSON.stringify(msg, function (this: Record<string, unknown>, k: string, v: unknown) {
    const raw = this[k]; // before Buffer#toJSON
    if (raw instanceof Uint8Array) return `0x${Buffer.from(raw).toString('hex').slice(0, 64)}`;
    if (typeof v === 'bigint') return `${v}n`;
    return v;
  });
}

export type { DiskResult };
