// Keepsake scenarios: the real state machines (Core, Keeper, Store) under the simulator.
// A scenario is data (`KvScenarioConfig`): topology (solo = a Core with an embedded Keeper in
// one process, or one Core with separate Keepers), workload (mix, keys, rate, acknowledgement
// level), faults (fixed and swarm-drawn), durations and which checks apply.
//
// Checks of every run:
// - linearizability of the client history (Porcupine-style, per key), including the final
//   read-back of every key after the liveness phase;
// - durability: every write acknowledged at a level the scenario promises survives is
//   present after recovery, or superseded (sim/checkers/durability.ts);
// - invariants of the machines after every run (Keeper checksums and offsets, Core/Keeper
//   agreement: the recovered store equals the replay of the Keepers' log);
// - liveness: after every fault heals, the read-back completes within `livenessMs`.

import { Colocated } from '../core/node/colocated';
import { CoreSnapshots } from '../core/node/core-snapshots';
import { Core, coreConfigDefaults, type CoreConfig } from '../core/node/core';
import { isKeeperMsg, keeperNode } from '../core/node/keeper-node';
import { StoreMaterializer } from '../core/keeper/store-materializer';
import { nodeFrameTags, type AckLevel, type NodeMsg, type WatchToken } from '../core/node/protocol';
import { Keeper } from '../core/keeper/keeper';
import { FrameCodec } from '../net/frame';
import { bulkBytes, type Reply } from '../net/reply';
import { nodeId, type Effect, type Input, type Machine, type MachineEnv, type NodeId } from '../net/types';
import { CheckerRegistry, checkDurability, checkLinearizability, durabilityCheckResult, linearizabilityCheckResult, type CheckResult } from '../sim/checkers/index';
import { applyFault, describeFault, drawSwarmFaults, healAll, type SwarmConfig, type TimedFault } from '../sim/faults';
import { describeInput, describeOutput, HistoryRecorder, type KvInput, type KvOutput, type KvValue, type Operation, type TxnSubOp } from '../sim/history';
import { SeededRng } from '../sim/rng';
import { poissonWorkload, runOutput, type OpView, type Plan, type PlannedOp, type Scenario, type Violation } from '../sim/scenario';
import { World, type DiskLatencyConfig } from '../sim/world';

export interface KvScenarioConfig {
  readonly name: string;
  readonly description: string;
  /** 'solo': one process = Core + embedded Keeper. 'split': one Core node and `keepers` Keeper nodes. */
  readonly topology: { readonly kind: 'solo' } | { readonly kind: 'split'; readonly keepers: number };
  readonly clients: number;
  readonly keys: number;
  readonly opsPerSecPerClient: number;
  /** Relative weights of operation kinds. */
  readonly mix: { readonly get: number; readonly set: number; readonly incr: number; readonly del: number; readonly mget: number; readonly mset: number; readonly txn?: number; readonly push?: number; readonly bpop?: number; readonly wcas?: number };
  readonly ack: AckLevel;
  /** Levels whose acknowledged writes this scenario's faults must not lose. */
  readonly survivingLevels: readonly AckLevel[];
  readonly durationMs: number;
  readonly livenessMs: number;
  readonly requestTimeoutMs: number;
  readonly network: { latencyMinMs: number; latencyJitterMeanMs: number; dropRate: number; duplicateRate: number; reorderRate: number };
  readonly disk?: Partial<DiskLatencyConfig>;
  /** Swarm fault families; node lists are filled from the topology. */
  readonly swarm: (Omit<SwarmConfig, 'nodes' | 'netNodes' | 'diskNodes'> & { readonly targets: 'cores' | 'keepers' | 'all' }) | null;
  /** Faults at fixed times, by role: 'core' / 'keeper1' / ... are resolved against the topology. */
  readonly fixedFaults?: readonly TimedFault[];
  readonly keeper: { readonly snapshotEveryRecords: number; readonly segmentBytesMax: number };
  /** After the read-back, every Keeper must reach the Core's log tail within the liveness bound. */
  readonly checkKeepersConverge?: boolean;
  /** This Keeper must have caught up by offset: entries from peers or the Core, never a snapshot install. */
  readonly checkCatchUpByOffset?: string;
  /** Planted Core bugs (bug-* scenarios only): they must be caught. */
  readonly coreBugs?: CoreConfig['bugs'];
}

/** List operations on the queue key `q` (blocking pops): checked for exactly-once delivery, not linearizability. */
export type ListOp = { readonly type: 'push'; readonly value: string } | { readonly type: 'bpop'; readonly timeoutMs: number };
/**
 * Optimistic check-and-set the way Redis clients do it: WATCH key, GET key, then
 * MULTI SET key value EXEC. Recorded as the GET, then a cas(key, <value read>, value) spanning the
 * EXEC (an aborted EXEC applied nothing: `fail`).
 */
export type WatchCasOp = { readonly type: 'wcas'; readonly key: string; readonly value: string };
export type WorkOp = KvInput | ListOp | WatchCasOp;
const isListOp = (op: WorkOp): op is ListOp => op.type === 'push' || op.type === 'bpop';
export const queueKey = 'q';

/** One list operation's record (the exactly-once checker's input). */
export interface ListRecord {
  readonly client: string;
  readonly op: ListOp;
  readonly invokeMs: number;
  /** 'ok' with the popped value (bpop) / 'empty' (bpop timed out) / 'fail' (refused) / 'unknown'. */
  outcome: 'pending' | 'ok' | 'empty' | 'fail' | 'unknown';
  /** When the reply arrived (null: none). */
  completeMs: number | null;
  popped?: string;
}

/** An in-flight request whose outcome is not part of the history (the WATCH of a check-and-set). */
const unrecorded = -1_000_000_000;

const codec = new FrameCodec<NodeMsg>({ tags: nodeFrameTags, frameBytesMax: 16 * 1024 * 1024 });
const probeClient = 'probe';

interface Topology {
  readonly coreHost: NodeId;
  readonly coreId: NodeId;
  readonly keepers: readonly NodeId[];
  /** Nodes with disks (what disk faults hit). */
  readonly diskNodes: readonly NodeId[];
  readonly serverNodes: readonly NodeId[];
}

function topology(cfg: KvScenarioConfig): Topology {
  if (cfg.topology.kind === 'solo') {
    const host = nodeId('solo1');
    return { coreHost: host, coreId: nodeId('solo1-core'), keepers: [nodeId('solo1-keeper')], diskNodes: [host], serverNodes: [host] };
  }
  const keepers = Array.from({ length: cfg.topology.keepers }, (_, i) => nodeId(`keeper${i + 1}`));
  const core = nodeId('core1');
  return { coreHost: core, coreId: core, keepers, diskNodes: keepers, serverNodes: [core, ...keepers] };
}

/** A sequential client speaking c.req/c.reply, recording its operations in the history. */
class KvClient implements Machine<NodeMsg> {
  private next = 0;
  private inFlight: { req: number; id: number; input: KvInput | ListOp } | null = null;
  private reqSeq = 0;
  /** The steps of a WATCH-based check-and-set in progress. */
  private cas: { stage: 'watch' | 'get' | 'exec'; key: string; value: string; token: WatchToken | null } | null = null;

  constructor(
    private readonly env: MachineEnv,
    private readonly server: NodeId,
    private readonly ops: readonly PlannedOp<WorkOp>[],
    private readonly ack: AckLevel,
    private readonly timeoutMs: number,
    /** The workload stops here (the safety phase's end): later operations are not issued. */
    private readonly stopAtMs: number,
    private readonly record: { invoke(client: string, input: KvInput | ListOp): number; complete(id: number, input: KvInput | ListOp, reply: Reply | null): void },
  ) {}

  step(input: Input<NodeMsg>, nowMs: number): Effect<NodeMsg>[] {
    switch (input.type) {
      case 'start':
        return this.scheduleNext(nowMs);
      case 'timeout':
        if (input.name === 'issue') return this.issue();
        if (input.name === 'deadline' && this.inFlight) {
          if (this.inFlight.id !== unrecorded) this.record.complete(this.inFlight.id, this.inFlight.input, null);
          this.inFlight = null;
          this.cas = null;
          return this.scheduleNext(nowMs);
        }
        return [];
      case 'message': {
        const m = input.msg;
        if (m.type !== 'c.reply' || !this.inFlight || m.req !== this.inFlight.req) return [];
        if (this.inFlight.id !== unrecorded) this.record.complete(this.inFlight.id, this.inFlight.input, m.reply);
        this.inFlight = null;
        if (this.cas) {
          // The workload stops with the safety phase: a check-and-set not yet at its EXEC is dropped.
          const more = nowMs < this.stopAtMs ? this.casStep(m.reply, m.offset) : this.casOver();
          if (more.length > 0) return [{ type: 'cancelTimer', name: 'deadline' }, ...more];
        }
        return [{ type: 'cancelTimer', name: 'deadline' }, ...this.scheduleNext(nowMs)];
      }
      case 'disk':
        return [];
    }
  }

  private scheduleNext(nowMs: number): Effect<NodeMsg>[] {
    const op = this.ops[this.next];
    if (!op || nowMs >= this.stopAtMs) return [];
    return [{ type: 'timer', name: 'issue', afterMs: Math.max(0, op.atMs - nowMs) }];
  }

  /** The next request of a check-and-set after `reply` (none: it is over). */
  private casStep(reply: Reply, offset: number): Effect<NodeMsg>[] {
    const c = this.cas!;
    if (c.stage === 'watch') {
      if (reply.t === 'error') return this.casOver();
      c.token = { db: 0, key: Buffer.from(c.key), offset };
      c.stage = 'get';
      return this.send({ type: 'get', key: c.key }, (req) => ({ type: 'c.req', req, argv: [Buffer.from('GET'), Buffer.from(c.key)], db: 0, user: null, ack: this.ack }));
    }
    if (c.stage === 'get') {
      if (reply.t !== 'bulk' && reply.t !== 'latin1' && reply.t !== 'null') return this.casOver();
      c.stage = 'exec';
      const expected = bulkText(reply);
      return this.send({ type: 'cas', key: c.key, expected, value: c.value }, (req) => ({
        type: 'c.exec',
        req,
        commands: [[Buffer.from('SET'), Buffer.from(c.key), Buffer.from(c.value)]],
        db: 0,
        user: null,
        ack: this.ack,
        watches: [c.token!],
      }));
    }
    return this.casOver();
  }

  private casOver(): Effect<NodeMsg>[] {
    this.cas = null;
    return [];
  }

  /** Send one request, recorded at invoke (`op` null: not recorded), with its reply deadline. */
  private send(op: KvInput | ListOp | null, make: (req: number) => NodeMsg, extraWaitMs = 0): Effect<NodeMsg>[] {
    const req = ++this.reqSeq;
    const id = op === null ? unrecorded : this.record.invoke(this.env.id, op);
    this.inFlight = { req, id, input: op ?? { type: 'get', key: '' } };
    return [
      { type: 'send', to: this.server, msg: make(req) },
      { type: 'timer', name: 'deadline', afterMs: this.timeoutMs + extraWaitMs },
    ];
  }

  private issue(): Effect<NodeMsg>[] {
    const planned = this.ops[this.next++];
    if (!planned || this.inFlight) return [];
    const op = planned.op;
    if (op.type === 'wcas') {
      this.cas = { stage: 'watch', key: op.key, value: op.value, token: null };
      return this.send(null, (req) => ({ type: 'c.req', req, argv: [Buffer.from('WATCH'), Buffer.from(op.key)], db: 0, user: null, ack: 'memory' }));
    }
    // A blocking pop may legitimately wait its own timeout before the reply comes.
    return this.send(
      op,
      (req): NodeMsg =>
        isListOp(op)
          ? { type: 'c.req', req, argv: (op.type === 'push' ? ['RPUSH', queueKey, op.value] : ['BLPOP', queueKey, String(op.timeoutMs / 1000)]).map((a) => Buffer.from(a)), db: 0, user: null, ack: this.ack }
          : op.type === 'txn'
            ? { type: 'c.exec', req, commands: op.ops.map((sub) => toArgv(sub).map((a) => Buffer.from(a))), db: 0, user: null, ack: this.ack, watches: [] }
            : { type: 'c.req', req, argv: toArgv(op).map((a) => Buffer.from(a)), db: 0, user: null, ack: this.ack },
      op.type === 'bpop' ? op.timeoutMs : 0,
    );
  }
}

export function toArgv(op: KvInput): string[] {
  switch (op.type) {
    case 'get':
      return ['GET', op.key];
    case 'set':
      return ['SET', op.key, op.value];
    case 'del':
      return ['DEL', ...op.keys];
    case 'incr':
      return ['INCRBY', op.key, String(op.by)];
    case 'mget':
      return ['MGET', ...op.keys];
    case 'mset':
      return ['MSET', ...op.pairs.flat()];
    case 'cas':
    case 'txn':
      throw new Error(`${op.type} is not one command (txn goes as c.exec; cas is not generated)`);
  }
}

function listOutcome(op: ListOp, r: Reply | null): ListRecord['outcome'] {
  if (r === null) return 'unknown';
  if (r.t === 'error') return r.s.startsWith('UNCERTAIN') || r.s.startsWith('UNBLOCKED') ? 'unknown' : 'fail';
  if (op.type === 'push') return r.t === 'int' ? 'ok' : 'fail';
  if (r.t === 'nullArray' || r.t === 'null') return 'empty';
  return r.t === 'array' && r.items.length === 2 ? 'ok' : 'fail';
}

/**
 * Exactly-once delivery of list elements (blocking pops): no element is popped twice or both
 * popped and still queued; nothing popped was never pushed; every acknowledged push is popped
 * or still queued, except as many as pops whose outcome is unknown could have taken.
 */
export function checkListsExactlyOnce(records: readonly ListRecord[], remaining: readonly string[]): Violation[] {
  const out: Violation[] = [];
  const v = (message: string): Violation => ({ checker: 'lists.exactlyOnce', kind: 'safety', message });
  const popped = records.filter((r) => r.op.type === 'bpop' && r.outcome === 'ok').map((r) => r.popped!);
  const pushedAll = new Set(records.filter((r) => r.op.type === 'push' && r.outcome !== 'fail').map((r) => (r.op as { value: string }).value));
  const seen = new Map<string, number>();
  for (const x of [...popped, ...remaining]) seen.set(x, (seen.get(x) ?? 0) + 1);
  for (const [x, n] of seen) if (n > 1) out.push(v(`element ${JSON.stringify(x)} was delivered ${n} times (popped or left in the queue)`));
  for (const x of seen.keys()) if (!pushedAll.has(x)) out.push(v(`element ${JSON.stringify(x)} was delivered but never pushed`));
  // A pop still pending when the run ended is as unknown as one that timed out.
  const unknownPops = records.filter((r) => r.op.type === 'bpop' && (r.outcome === 'unknown' || r.outcome === 'pending')).length;
  const lost = records.filter((r) => r.op.type === 'push' && r.outcome === 'ok' && !seen.has((r.op as { value: string }).value));
  if (lost.length > unknownPops) {
    out.push(v(`${lost.length} acknowledged push(es) neither popped nor queued (e.g. ${JSON.stringify((lost[0]!.op as { value: string }).value)} by ${lost[0]!.client} at ${lost[0]!.invokeMs}ms), more than the ${unknownPops} pop(s) of unknown outcome could explain`));
  }
  return out;
}

/** A bulk reply's bytes as UTF-8 text (either form of bulk); null for any other reply. */
const bulkText = (r: Reply): KvValue => bulkBytes(r)?.toString() ?? null;

/** Map a reply to the history's outcome. Refusals before execution are `fail`; UNCERTAIN is `unknown`. */
export function toOutput(op: KvInput, r: Reply): KvOutput {
  if (r.t === 'error') {
    if (r.s.startsWith('UNCERTAIN')) return { type: 'unknown' };
    if (op.type === 'incr' && r.s.startsWith('ERR value is not an integer')) return { type: 'error', error: 'notInteger' };
    return { type: 'fail', reason: r.s };
  }
  switch (op.type) {
    case 'get':
      return { type: 'value', value: bulkText(r) };
    case 'set':
    case 'mset':
      return r.t === 'simple' ? { type: 'ok' } : { type: 'fail', reason: `unexpected reply ${r.t}` };
    case 'del':
      return r.t === 'int' ? { type: 'count', count: Number(r.n) } : { type: 'fail', reason: `unexpected reply ${r.t}` };
    case 'incr':
      return r.t === 'int' ? { type: 'int', value: Number(r.n) } : { type: 'fail', reason: `unexpected reply ${r.t}` };
    case 'mget':
      return r.t === 'array' ? { type: 'values', values: r.items.map(bulkText) } : { type: 'fail', reason: `unexpected reply ${r.t}` };
    case 'cas':
      // Sent as WATCH + MULTI/SET/EXEC: an array is a swap; a null array is an abort (nothing applied).
      return r.t === 'array' ? { type: 'cas', ok: true } : { type: 'fail', reason: r.t === 'nullArray' ? 'EXEC aborted (WATCH)' : `unexpected reply ${r.t}` };
    case 'txn':
      if (r.t === 'nullArray') return { type: 'fail', reason: 'EXEC aborted (WATCH)' };
      if (r.t !== 'array' || r.items.length !== op.ops.length) return { type: 'fail', reason: `unexpected reply ${r.t}` };
      return { type: 'txn', outputs: op.ops.map((sub, i) => toOutput(sub, r.items[i]!)) };
  }
}

/**
 * Keys come in pairs (k0,k1), (k2,k3), ...: single-key operations use any key, multi-key ones
 * (mget, mset) stay within one pair, so the linearizability checker's per-component search
 * stays small (a multi-key operation links the keys it touches into one component).
 */
function drawOp(rng: SeededRng, cfg: KvScenarioConfig, client: string, n: number): WorkOp {
  const keyOf = () => `k${rng.int(cfg.keys)}`;
  const pairOf = (): [string, string] => {
    const p = rng.int(Math.max(1, Math.floor(cfg.keys / 2)));
    return [`k${2 * p}`, `k${2 * p + 1}`];
  };
  const m = cfg.mix;
  const total = m.get + m.set + m.incr + m.del + m.mget + m.mset + (m.txn ?? 0) + (m.push ?? 0) + (m.bpop ?? 0) + (m.wcas ?? 0);
  let x = rng.next() * total;
  if ((x -= m.wcas ?? 0) < 0) return { type: 'wcas', key: keyOf(), value: `${client}-${n}.cas` };
  if ((x -= m.push ?? 0) < 0) return { type: 'push', value: `${client}-${n}` };
  if ((x -= m.bpop ?? 0) < 0) return { type: 'bpop', timeoutMs: 50 * (1 + rng.int(6)) };
  if ((x -= m.get) < 0) return { type: 'get', key: keyOf() };
  if ((x -= m.set) < 0) return { type: 'set', key: keyOf(), value: `${client}-${n}` };
  if ((x -= m.incr) < 0) return { type: 'incr', key: `n${rng.int(counterKeys(cfg))}`, by: 1 + rng.int(5) };
  if ((x -= m.del) < 0) return { type: 'del', keys: [keyOf()] };
  if ((x -= m.mget) < 0) return { type: 'mget', keys: pairOf() };
  if ((x -= m.mset) < 0) return { type: 'mset', pairs: pairOf().map((k, i) => [k, `${client}-${n}.${i}`] as const) };
  // A transaction over one key pair: 2-4 operations, applied atomically as one log entry.
  const pair = pairOf();
  const ops: TxnSubOp[] = [];
  for (let i = 0, count = 2 + rng.int(3); i < count; i++) {
    const key = pair[rng.int(2)]!;
    const kind = rng.int(4);
    ops.push(kind === 0 ? { type: 'get', key } : kind === 1 ? { type: 'set', key, value: `${client}-${n}.t${i}` } : kind === 2 ? { type: 'del', keys: [key] } : { type: 'incr', key, by: 1 + rng.int(3) });
  }
  return { type: 'txn', ops };
}

const counterKeys = (cfg: KvScenarioConfig) => Math.max(1, Math.floor(cfg.keys / 2));

/** One read-back round: an MGET per key pair and a GET per counter (every key the workload touches). */
function readBackRound(cfg: KvScenarioConfig): KvInput[] {
  const pairs = Math.ceil(cfg.keys / 2);
  const out: KvInput[] = [];
  for (let p = 0; p < pairs; p++) out.push(2 * p + 1 < cfg.keys ? { type: 'mget', keys: [`k${2 * p}`, `k${2 * p + 1}`] } : { type: 'get', key: `k${2 * p}` });
  for (let i = 0; i < counterKeys(cfg); i++) out.push({ type: 'get', key: `n${i}` });
  return out;
}

export function kvScenario(cfg: KvScenarioConfig): Scenario<WorkOp> {
  const top = topology(cfg);
  const clientIds = Array.from({ length: cfg.clients }, (_, i) => `c${i + 1}`);

  function plan(seed: number): Plan<WorkOp> {
    const workload = new SeededRng(`keepsake:${seed}:workload`);
    const ops = poissonWorkload(workload, clientIds, cfg.opsPerSecPerClient, cfg.durationMs, (client, n) => drawOp(workload, cfg, client, n));
    let faults: TimedFault[] = [...(cfg.fixedFaults ?? [])];
    if (cfg.swarm) {
      const targets = cfg.swarm.targets === 'cores' ? [top.coreHost] : cfg.swarm.targets === 'keepers' ? top.keepers.filter((k) => top.serverNodes.includes(k)) : top.serverNodes;
      const nodes = targets.length > 0 ? targets : [top.coreHost];
      faults.push(...drawSwarmFaults(new SeededRng(`keepsake:${seed}:faults`), { ...cfg.swarm, nodes: nodes.map(String), netNodes: [...top.serverNodes.map(String), ...clientIds], diskNodes: top.diskNodes.map(String) }, cfg.durationMs));
      faults = faults.sort((a, b) => a.atMs - b.atMs);
    }
    return { scenario: cfg.name, seed, durationMs: cfg.durationMs, livenessMs: cfg.livenessMs, faults, ops };
  }

  function execute(p: Plan<WorkOp>, opts: { keepTrace?: boolean }) {
    let world: World<NodeMsg> | null = null;
    const recorder = new HistoryRecorder();
    const opClients: string[] = [];
    const listOps: ListRecord[] = [];
    const record = {
      invoke(client: string, input: KvInput | ListOp): number {
        if (isListOp(input)) {
          listOps.push({ client, op: input, invokeMs: world!.now, outcome: 'pending', completeMs: null });
          world!.note(client, `invoke list#${listOps.length - 1} ${input.type === 'push' ? `push ${input.value}` : `bpop ${input.timeoutMs}ms`}`);
          return -listOps.length; // list records: negative handles
        }
        const id = recorder.invoke(client, input, world!.now);
        opClients[id] = client;
        world!.note(client, `invoke #${id} ${describeInput(input)}`);
        return id;
      },
      complete(id: number, input: KvInput | ListOp, reply: Reply | null): void {
        if (isListOp(input)) {
          const rec = listOps[-id - 1]!;
          rec.outcome = listOutcome(input, reply);
          if (reply !== null) rec.completeMs = world!.now;
          if (rec.outcome === 'ok' && input.type === 'bpop' && reply?.t === 'array') rec.popped = Buffer.from((reply.items[1] as { b: Uint8Array }).b).toString();
          world!.note(rec.client, `complete list#${-id - 1} ${rec.outcome}${rec.popped !== undefined ? ` ${rec.popped}` : ''}`);
          return;
        }
        const out = reply === null ? ({ type: 'unknown' } as const) : toOutput(input, reply);
        recorder.complete(id, out, world!.now);
        world!.note(opClients[id]!, `complete #${id} ${out.type}${'value' in out ? ` ${JSON.stringify(out.value)}` : ''}`);
      },
    };
    const byClient = new Map<string, PlannedOp<WorkOp>[]>();
    for (const op of p.ops) byClient.set(op.client, [...(byClient.get(op.client) ?? []), op]);
    // The read-back: after healing, the probe reads every key, round after round, until one
    // whole round succeeds (the liveness condition); that round is the recovered state.
    const round = readBackRound(cfg);
    const roundGapMs = 300;
    const probeOps: PlannedOp<WorkOp>[] = [];
    for (let r = 0; r * roundGapMs < p.livenessMs; r++) for (const op of round) probeOps.push({ atMs: p.durationMs + 50 + r * roundGapMs, client: probeClient, op });
    byClient.set(probeClient, probeOps);

    const coreCfg: CoreConfig = { ...coreConfigDefaults, keepers: top.keepers, ...(cfg.coreBugs ? { bugs: cfg.coreBugs } : {}) };
    const keeperOf = (id: NodeId, env: MachineEnv, source?: CoreSnapshots) => {
      const materializer = source === undefined ? new StoreMaterializer({ maxmemoryBytes: 0, policy: 'noeviction', rng: env.rng }) : undefined;
      const keeper = new Keeper({
        id,
        peers: top.keepers.filter((k) => k !== id),
        snapshotEveryRecords: cfg.keeper.snapshotEveryRecords,
        snapshotEveryBytes: 64 * 1024 * 1024,
        segmentBytesMax: cfg.keeper.segmentBytesMax,
        stateMachine: materializer ?? source!,
      });
      return { keeper, materializer };
    };
    const machines = new Map<NodeId, { core?: Core; keeper?: Keeper; materializer?: StoreMaterializer }>();
    const serverSpecs =
      cfg.topology.kind === 'solo'
        ? [
            {
              id: top.coreHost,
              factory: (env: MachineEnv) => {
                const core = new Core({ ...env, id: top.coreId }, coreCfg);
                // As in the real solo server: the Keeper snapshots the Core's store.
                const snapshots = new CoreSnapshots();
                snapshots.attach(core);
                const { keeper } = keeperOf(top.keepers[0]!, env, snapshots);
                machines.set(top.coreHost, { core, keeper });
                return new Colocated<NodeMsg>(
                  top.coreHost,
                  [
                    { id: top.coreId, machine: core },
                    { id: top.keepers[0]!, machine: keeperNode(keeper) },
                  ],
                  (_from, msg) => (isKeeperMsg(msg) ? 1 : 0),
                );
              },
            },
          ]
        : [
            {
              id: top.coreHost,
              factory: (env: MachineEnv) => {
                const core = new Core(env, coreCfg);
                machines.set(top.coreHost, { core });
                return core;
              },
            },
            ...top.keepers.map((k) => ({
              id: k,
              factory: (env: MachineEnv) => {
                const { keeper, materializer } = keeperOf(k, env);
                machines.set(k, { keeper, materializer });
                return keeperNode(keeper);
              },
            })),
          ];
    const clients = [...clientIds, probeClient];
    world = new World<NodeMsg>({
      seed: p.seed,
      keepTrace: opts.keepTrace ?? false,
      network: cfg.network,
      diskLatency: cfg.disk ?? {},
      codec,
      describeMsg: describeNodeMsg,
      nodes: [
        ...serverSpecs,
        ...clients.map((c) => ({
          id: nodeId(c),
          factory: (env: MachineEnv) =>
            new KvClient(env, top.coreHost, byClient.get(c) ?? [], c === probeClient ? 'quorum' : cfg.ack, cfg.requestTimeoutMs, c === probeClient ? Infinity : p.durationMs, record),
        })),
      ],
    });
    const w = world;
    const crashTimes: number[] = [];
    for (const f of p.faults) {
      w.at(f.atMs, describeFault(f.fault), () => {
        if (f.fault.kind === 'crash') crashTimes.push(w.now);
        applyFault(w, f.fault);
      });
    }
    w.at(p.durationMs, 'heal all (liveness phase)', () => healAll(w, top.serverNodes.map(String)));
    w.start();
    w.runUntil(p.durationMs);
    /** The first read-back round whose every operation succeeded. */
    const completeRound = (ops: readonly Operation[]): Operation[] | null => {
      const probes = ops.filter((o) => o.client === probeClient);
      for (let r = 0; (r + 1) * round.length <= probes.length; r++) {
        const slice = probes.slice(r * round.length, (r + 1) * round.length);
        if (slice.every((o) => o.output.type === 'value' || o.output.type === 'values')) return slice;
      }
      return null;
    };
    const progressed = w.runUntilCondition(() => completeRound(recorder.snapshot()) !== null, p.durationMs + p.livenessMs);
    let convergeFailure: CheckResult | null = null;
    if (cfg.checkKeepersConverge && progressed) {
      const converged = () => {
        const core = machines.get(top.coreHost)?.core;
        if (!core) return false;
        const tail = core.view().tail;
        return top.keepers.every((k) => (machines.get(cfg.topology.kind === 'solo' ? top.coreHost : k)?.keeper?.durableOffset ?? -1) >= tail);
      };
      if (!w.runUntilCondition(converged, p.durationMs + 2 * p.livenessMs)) {
        const offsets = top.keepers.map((k) => `${k}=${machines.get(k)?.keeper?.durableOffset ?? 'down'}`).join(' ');
        convergeFailure = { checker: 'liveness.keepersConverge', ok: false, kind: 'liveness', explanation: `Keepers did not all reach the Core's tail ${machines.get(top.coreHost)?.core?.view().tail} after healing: ${offsets}`, opIds: [] };
      }
    }
    const history = recorder.finish(w.now);

    const results: CheckResult[] = [];
    if (convergeFailure) results.push(convergeFailure);
    results.push(linearizabilityCheckResult(checkLinearizability(history, { budgetMs: 20_000, now: () => performance.now() })));
    const readBack = completeRound(history);
    const levels = new Set(cfg.survivingLevels.filter((l): l is 'memory' | 'one' | 'quorum' => l !== 'all'));
    if (readBack && levels.size > 0) {
      const recovered = new Map<string, KvValue>();
      for (const o of readBack) {
        if (o.input.type === 'get' && o.output.type === 'value') recovered.set(o.input.key, o.output.value);
        if (o.input.type === 'mget' && o.output.type === 'values') o.input.keys.forEach((k, i) => recovered.set(k, (o.output as { values: readonly KvValue[] }).values[i] ?? null));
      }
      results.push(
        durabilityCheckResult(
          checkDurability({
            history: history.filter((o) => o.client !== probeClient),
            defaultLevel: cfg.ack === 'all' ? 'quorum' : cfg.ack,
            survivingLevels: levels,
            recovered,
            recoveryMs: readBack[0]!.invokeMs,
          }),
        ),
      );
    }
    if (cfg.checkCatchUpByOffset) {
      const k = machines.get(nodeId(cfg.checkCatchUpByOffset))?.keeper;
      if (k && k.stats().snapshotsInstalled > 0) {
        results.push({ checker: 'keeper.catchUpByOffset', ok: false, kind: 'safety', explanation: `${cfg.checkCatchUpByOffset} installed ${k.stats().snapshotsInstalled} snapshot(s) instead of catching up by offset`, opIds: [] });
      }
    }
    const violations: Violation[] = results
      .filter((r) => r.ok === false)
      .map((r) => ({ checker: r.checker, kind: r.kind, message: r.explanation, opIds: r.opIds }));
    for (const r of kvInvariants.runAll({ machines })) if (r.ok === false) violations.push({ checker: r.checker, kind: r.kind, message: r.explanation, opIds: r.opIds });
    const core = machines.get(top.coreHost)?.core;
    if (listOps.length > 0 && progressed && core && core.view().phase === 'serving') {
      const r = core.view().store.execute([Buffer.from('LRANGE'), Buffer.from(queueKey), Buffer.from('0'), Buffer.from('-1')], w.localTime(top.coreHost), { db: 0, user: null }).reply;
      const remaining = r.t === 'array' ? r.items.map((i) => bulkText(i) ?? '') : [];
      violations.push(...checkListsExactlyOnce(listOps, remaining));
    }
    if (!progressed) violations.push({ checker: 'liveness.readBack', kind: 'liveness', message: `the read-back of every key did not succeed within ${p.livenessMs}ms after healing` });
    return runOutput(p, w, [...history.map(opView), ...listOps.map(listOpView)], violations, { nodes: top.serverNodes.map(String), clients });
  }

  return { name: cfg.name, description: cfg.description, expectFailure: cfg.coreBugs !== undefined, plan, execute };
}

/** What the end-of-run invariant checkers see. */
interface KvWorldView {
  readonly machines: ReadonlyMap<NodeId, { core?: Core; keeper?: Keeper; materializer?: StoreMaterializer }>;
}

const sortedMachines = (w: KvWorldView) => [...w.machines].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const ok = (checker: string, kind: 'safety' | 'liveness' = 'safety'): CheckResult => ({ checker, ok: true, kind, explanation: '', opIds: [] });
const bad = (checker: string, explanation: string, kind: 'safety' | 'liveness' = 'safety'): CheckResult => ({ checker, ok: false, kind, explanation, opIds: [] });

/**
 * Invariants of the machines after every run, registered by name (the hook other subsystems
 * use: Raft will add election safety and log matching among Cores here).
 */
export const kvInvariants = new CheckerRegistry<KvWorldView>();
kvInvariants.register({
  name: 'keeper.invariants',
  kind: 'safety',
  check(w) {
    for (const [id, m] of sortedMachines(w)) {
      try {
        m.keeper?.invariants();
      } catch (e) {
        return bad('keeper.invariants', `${id}: ${(e as Error).message}`);
      }
    }
    return ok('keeper.invariants');
  },
});
kvInvariants.register({
  name: 'keepers.logMatching',
  kind: 'safety',
  check(w) {
    const keepers = sortedMachines(w).filter(([, m]) => m.keeper).map(([id, m]) => [id, m.keeper!] as const);
    for (let i = 0; i < keepers.length; i++) {
      for (let j = i + 1; j < keepers.length; j++) {
        const [a, ka] = keepers[i]!;
        const [b, kb] = keepers[j]!;
        const to = Math.min(ka.durableOffset, kb.durableOffset);
        for (let o = Math.max(ka.snapshotOffset, kb.snapshotOffset) + 1; o <= to; o++) {
          const ta = ka.termOf(o);
          const tb = kb.termOf(o);
          if (ta !== null && tb !== null && ta !== tb) return bad('keepers.logMatching', `${a} and ${b} disagree at durable offset ${o}: term ${ta} vs ${tb}`);
        }
      }
    }
    return ok('keepers.logMatching');
  },
});
kvInvariants.register({
  name: 'replicas.converge',
  kind: 'safety',
  check(w) {
    const core = sortedMachines(w).find(([, m]) => m.core)?.[1].core;
    if (!core || core.view().phase !== 'serving') return null;
    const v = core.view();
    const digest = v.store.digest();
    for (const [id, m] of sortedMachines(w)) {
      if (!m.keeper || !m.materializer || m.keeper.durableOffset !== v.tail || m.keeper.phase !== 'serving') continue;
      const kd = m.materializer.store.digest();
      if (kd !== digest) return bad('replicas.converge', `${id} holds the log up to the Core's tail ${v.tail}, but the store it materializes differs from the Core's`);
    }
    return ok('replicas.converge');
  },
});
kvInvariants.register({
  name: 'core.waitersReleased',
  kind: 'safety',
  check(w) {
    for (const [id, m] of sortedMachines(w)) {
      const v = m.core?.view();
      if (v && v.phase === 'serving' && v.waiters > 0 && v.durableQuorum >= v.tail) return bad('core.waitersReleased', `${id}: ${v.waiters} replies held although everything is durable`);
    }
    return ok('core.waitersReleased');
  },
});

/** List operations on the timeline (ids after the history's, which violations refer to). */
const listOpIdBase = 1_000_000;
function listOpView(r: ListRecord, i: number): OpView {
  const label = r.op.type === 'push' ? `RPUSH ${queueKey} ${r.op.value}` : `BLPOP ${queueKey} ${r.op.timeoutMs}ms${r.popped !== undefined ? ` -> ${r.popped}` : r.outcome === 'empty' ? ' -> timeout' : ''}`;
  const outcome = r.outcome === 'fail' ? 'fail' : r.outcome === 'unknown' || r.outcome === 'pending' ? 'unknown' : 'ok';
  return { id: listOpIdBase + i, client: r.client, label, invokeMs: r.invokeMs, completeMs: r.completeMs, outcome };
}

function opView(o: Operation): OpView {
  const out = o.output;
  const outcome = out.type === 'unknown' ? 'unknown' : out.type === 'fail' ? 'fail' : 'ok';
  const shown = out.type === 'value' || out.type === 'int' || out.type === 'values' || out.type === 'txn' ? ` -> ${describeOutput(out).slice(0, 80)}` : out.type === 'fail' ? ` (${out.reason.slice(0, 40)})` : '';
  return { id: o.id, client: o.client, label: `${describeInput(o.input)}${shown}`, invokeMs: o.invokeMs, completeMs: Number.isFinite(o.completeMs) ? o.completeMs : null, outcome };
}

function describeNodeMsg(m: NodeMsg): string {
  switch (m.type) {
    case 'c.req':
      return `c.req #${m.req} ${m.argv.map((a) => Buffer.from(a).toString()).join(' ').slice(0, 120)} ack=${m.ack}`;
    case 'c.batch':
      return `c.batch ${m.reqs.map((r) => `#${r.req}`).join(' ')}`;
    case 'c.reply':
      return `c.reply #${m.req} ${m.reply.t === 'error' || m.reply.t === 'simple' ? m.reply.s : m.reply.t === 'bulk' || m.reply.t === 'latin1' ? JSON.stringify(bulkText(m.reply)) : m.reply.t === 'int' ? String(m.reply.n) : m.reply.t} @${m.offset}`;
    case 'k.append':
      return `k.append t${m.term} after ${m.prevOffset}/${m.prevTerm} +${m.entries.length}${m.entries.length > 0 ? ` [${m.entries[0]!.offset}..${m.entries[m.entries.length - 1]!.offset}]` : ''}`;
    case 'k.appendOk':
      return `k.appendOk t${m.term} durable ${m.durableOffset}`;
    case 'k.appendReject':
      return `k.appendReject t${m.term} ${m.reason} durable ${m.durableOffset}`;
    case 'k.query':
      return 'k.query';
    case 'k.state':
      return `k.state t${m.term} durable ${m.durableOffset}/${m.durableTerm} snap ${m.snapshotOffset} corrupt ${m.corruptRanges.length}`;
    case 'k.fetch':
      return `k.fetch from ${m.fromOffset}`;
    case 'k.snapshot':
      return `k.snapshot @${m.offset} t${m.term} ${m.data.length}B`;
    case 'k.entries':
      return `k.entries +${m.entries.length} durable ${m.durableOffset}`;
    case 'k.compact':
      return 'k.compact';
    case 'c.exec':
      return `c.exec #${m.req} ${m.commands.map((c) => c.map((a) => Buffer.from(a).toString()).join(' ')).join('; ').slice(0, 160)} watch ${m.watches.length} ack=${m.ack}`;
    case 'c.gone':
      return 'c.gone';
    case 'c.unblock':
      return `c.unblock #${m.req} ${m.target}${m.error ? ' error' : ''}`;
  }
}
