// `smoke`: the simulation kernel end to end on the toy durable register. Three clients read
// and write one register server over a lossy, duplicating, reordering network while the
// swarm crashes, pauses, partitions, skews and slows it; then everything heals and a probe
// client must read the register back within the liveness bound.

import { nodeId, type Effect, type Input, type Machine, type MachineEnv, type NodeId } from '../net/types';
import { applyFault, describeFault, drawSwarmFaults, healAll, type SwarmConfig } from '../sim/faults';
import { checkLinearizability, linearizabilityCheckResult } from '../sim/checkers/index';
import type { KvInput, KvOutput, Operation } from '../sim/history';
import { SeededRng } from '../sim/rng';
import { poissonWorkload, runOutput, type OpView, type Plan, type PlannedOp, type Scenario, type Violation } from '../sim/scenario';
import { World, type DiskLatencyConfig } from '../sim/world';
import { FrameCodec } from '../net/frame';
import { RegisterServer, regFrameTags, type RegisterBugs, type RegMsg } from './toys/register';

const regCodec = new FrameCodec<RegMsg>({ tags: regFrameTags, frameBytesMax: 4096 });

export type RegOp = { readonly kind: 'read' } | { readonly kind: 'write'; readonly value: string };

export interface RegHistoryOp {
  readonly id: number;
  readonly client: string;
  readonly op: RegOp;
  readonly invokeMs: number;
  completeMs: number | null;
  outcome: 'pending' | 'ok' | 'fail' | 'unknown';
  readValue?: string | null;
}

export interface RegisterScenarioConfig {
  readonly name: string;
  readonly description: string;
  readonly clients: number;
  readonly opsPerSecPerClient: number;
  readonly writeFraction: number;
  readonly durationMs: number;
  readonly livenessMs: number;
  readonly requestTimeoutMs: number;
  readonly network: {
    latencyMinMs: number;
    latencyJitterMeanMs: number;
    dropRate: number;
    duplicateRate: number;
    reorderRate: number;
  };
  readonly swarm: Omit<SwarmConfig, 'nodes' | 'netNodes' | 'diskNodes'> | null;
  readonly disk?: Partial<DiskLatencyConfig>;
  readonly bugs?: RegisterBugs;
}

const server = nodeId('reg1');
const probe = 'probe';

/** A sequential client: one operation at a time, in plan order, with a timeout. */
class RegisterClient implements Machine<RegMsg> {
  private next = 0;
  private inFlight: { req: number; id: number } | null = null;
  private reqSeq = 0;

  constructor(
    private readonly env: MachineEnv,
    private readonly ops: readonly PlannedOp<RegOp>[],
    private readonly timeoutMs: number,
    private readonly history: { invoke(client: string, op: RegOp): number; complete(id: number, outcome: 'ok' | 'fail' | 'unknown', readValue?: string | null): void },
  ) {}

  step(input: Input<RegMsg>, nowMs: number): Effect<RegMsg>[] {
    switch (input.type) {
      case 'start':
        return this.scheduleNext(nowMs);
      case 'timeout':
        if (input.name === 'issue') return this.issue(nowMs);
        if (input.name === 'deadline' && this.inFlight) {
          this.history.complete(this.inFlight.id, 'unknown');
          this.inFlight = null;
          return this.scheduleNext(nowMs);
        }
        return [];
      case 'message': {
        const m = input.msg;
        if (!this.inFlight || !('req' in m) || m.req !== this.inFlight.req) return []; // late or duplicate reply
        const id = this.inFlight.id;
        this.inFlight = null;
        if (m.type === 'reg.writeOk') this.history.complete(id, 'ok');
        else if (m.type === 'reg.readOk') this.history.complete(id, 'ok', m.value);
        else if (m.type === 'reg.fail') this.history.complete(id, m.reason.startsWith('indefinite') ? 'unknown' : 'fail');
        return [{ type: 'cancelTimer', name: 'deadline' }, ...this.scheduleNext(nowMs)];
      }
      case 'disk':
        return [];
    }
  }

  private scheduleNext(nowMs: number): Effect<RegMsg>[] {
    const op = this.ops[this.next];
    if (!op) return [];
    return [{ type: 'timer', name: 'issue', afterMs: Math.max(0, op.atMs - nowMs) }];
  }

  private issue(_nowMs: number): Effect<RegMsg>[] {
    const planned = this.ops[this.next++];
    if (!planned || this.inFlight) return [];
    const req = ++this.reqSeq;
    const id = this.history.invoke(this.env.id, planned.op);
    this.inFlight = { req, id };
    const msg: RegMsg = planned.op.kind === 'read' ? { type: 'reg.read', req } : { type: 'reg.write', req, value: planned.op.value };
    return [
      { type: 'send', to: server, msg },
      { type: 'timer', name: 'deadline', afterMs: this.timeoutMs },
    ];
  }
}

/** The probe reads the register back once faults have healed: the durability check's input. Not part of the plan: shrinking never removes it. */
function probeReads(p: Plan<RegOp>): PlannedOp<RegOp>[] {
  return Array.from({ length: Math.floor(p.livenessMs / 100) }, (_, i) => ({ atMs: p.durationMs + 10 + i * 100, client: probe, op: { kind: 'read' } as const }));
}

export function registerScenario(cfg: RegisterScenarioConfig): Scenario<RegOp> {
  const clientIds = Array.from({ length: cfg.clients }, (_, i) => `c${i + 1}`);

  function plan(seed: number): Plan<RegOp> {
    const workload = new SeededRng(`keepsake:${seed}:workload`);
    const ops = poissonWorkload(workload, clientIds, cfg.opsPerSecPerClient, cfg.durationMs, (client, n): RegOp => (workload.chance(cfg.writeFraction) ? { kind: 'write', value: `${client}-${n}` } : { kind: 'read' }));
    const faults = cfg.swarm ? drawSwarmFaults(new SeededRng(`keepsake:${seed}:faults`), { ...cfg.swarm, nodes: [server], netNodes: [server, ...clientIds], diskNodes: [server] }, cfg.durationMs) : [];
    return { scenario: cfg.name, seed, durationMs: cfg.durationMs, livenessMs: cfg.livenessMs, faults, ops };
  }

  function execute(p: Plan<RegOp>, opts: { keepTrace?: boolean }) {
    const history: RegHistoryOp[] = [];
    let world: World<RegMsg> | null = null;
    const recorder = {
      invoke(client: string, op: RegOp): number {
        const id = history.length;
        history.push({ id, client, op, invokeMs: world!.now, completeMs: null, outcome: 'pending' });
        world!.note(client, `invoke #${id} ${op.kind}${op.kind === 'write' ? ` ${op.value}` : ''}`);
        return id;
      },
      complete(id: number, outcome: 'ok' | 'fail' | 'unknown', readValue?: string | null): void {
        const h = history[id]!;
        h.completeMs = outcome === 'unknown' ? null : world!.now;
        h.outcome = outcome;
        if (readValue !== undefined) h.readValue = readValue;
        world!.note(h.client, `complete #${id} ${outcome}${readValue !== undefined ? ` ${JSON.stringify(readValue)}` : ''}`);
      },
    };
    const byClient = new Map<string, PlannedOp<RegOp>[]>();
    for (const op of [...p.ops, ...probeReads(p)]) byClient.set(op.client, [...(byClient.get(op.client) ?? []), op]);
    const clients = [...clientIds, probe];
    world = new World<RegMsg>({
      seed: p.seed,
      keepTrace: opts.keepTrace ?? false,
      network: cfg.network,
      diskLatency: cfg.disk ?? {},
      codec: regCodec,
      nodes: [
        { id: server, factory: (env) => new RegisterServer(env, cfg.bugs) },
        ...clients.map((c) => ({
          id: nodeId(c),
          factory: (env: MachineEnv) => new RegisterClient(env, byClient.get(c) ?? [], cfg.requestTimeoutMs, recorder),
        })),
      ],
    });
    const w = world;
    for (const f of p.faults) w.at(f.atMs, describeFault(f.fault), () => applyFault(w, f.fault));
    w.at(p.durationMs, 'heal all (liveness phase)', () => healAll(w, [server]));
    w.start();
    w.runUntil(p.durationMs);
    const probeOk = () => history.some((h) => h.client === probe && h.outcome === 'ok');
    const progressed = w.runUntilCondition(probeOk, p.durationMs + p.livenessMs);
    for (const h of history) if (h.outcome === 'pending') h.outcome = 'unknown';

    const lin = linearizabilityCheckResult(checkLinearizability(asKvHistory(history), { budgetMs: 10_000, now: () => performance.now() }));
    const violations: Violation[] = [...checkNoPhantomReads(history), ...checkDurability(history, probe)];
    if (lin.ok === false) violations.push({ checker: lin.checker, kind: lin.kind, message: lin.explanation, opIds: lin.opIds });
    if (!progressed) violations.push({ checker: 'liveness.probeRead', kind: 'liveness', message: `no probe read succeeded within ${p.livenessMs}ms after healing` });
    return runOutput(p, w, history.map(opView), violations, { nodes: [server as string], clients });
  }

  return { name: cfg.name, description: cfg.description, expectFailure: cfg.bugs !== undefined, plan, execute };
}

/** The register as a one-key KV history, for the linearizability checker. */
function asKvHistory(history: readonly RegHistoryOp[]): Operation[] {
  return history.map((h) => {
    const input: KvInput = h.op.kind === 'read' ? { type: 'get', key: 'r' } : { type: 'set', key: 'r', value: h.op.value };
    const output: KvOutput =
      h.outcome === 'fail' ? { type: 'fail', reason: 'refused' } : h.outcome !== 'ok' ? { type: 'unknown' } : h.op.kind === 'read' ? { type: 'value', value: h.readValue ?? null } : { type: 'ok' };
    return { id: h.id, client: h.client, input, invokeMs: h.invokeMs, completeMs: output.type === 'unknown' ? Infinity : (h.completeMs ?? Infinity), output };
  });
}

function opView(h: RegHistoryOp): OpView {
  const label = h.op.kind === 'write' ? `write ${JSON.stringify(h.op.value)}` : `read${h.readValue !== undefined ? ` -> ${JSON.stringify(h.readValue)}` : ''}`;
  return { id: h.id, client: h.client, label, invokeMs: h.invokeMs, completeMs: h.completeMs, outcome: h.outcome === 'pending' ? 'unknown' : h.outcome };
}

/** Every successful read returns null or a value some write invoked before the read completed. */
function checkNoPhantomReads(history: readonly RegHistoryOp[]): Violation[] {
  const out: Violation[] = [];
  for (const r of history) {
    if (r.op.kind !== 'read' || r.outcome !== 'ok' || r.readValue === null || r.readValue === undefined) continue;
    const w = history.find((h) => h.op.kind === 'write' && h.op.value === r.readValue);
    if (!w || w.invokeMs > (r.completeMs ?? Infinity)) {
      out.push({ checker: 'register.noPhantomRead', kind: 'safety', message: `read #${r.id} by ${r.client} returned ${JSON.stringify(r.readValue)}, which no write had been invoked to produce`, opIds: [r.id] });
    }
  }
  return out;
}

/**
 * Durability: the probe's first successful read after recovery must return a write that no
 * acknowledged write supersedes (an acknowledged write invoked after it completed), and must not
 * be null once any write was acknowledged.
 */
function checkDurability(history: readonly RegHistoryOp[], probeClient: string): Violation[] {
  const read = history.find((h) => h.client === probeClient && h.outcome === 'ok');
  if (!read) return [];
  const acked = history.filter((h) => h.op.kind === 'write' && h.outcome === 'ok' && h.completeMs !== null && h.completeMs <= read.invokeMs);
  if (acked.length === 0) return [];
  const lastAcked = acked.reduce((a, b) => ((a.completeMs ?? 0) >= (b.completeMs ?? 0) ? a : b));
  const w = history.find((h) => h.op.kind === 'write' && h.op.value === read.readValue);
  const superseding = w ? acked.find((a) => a.invokeMs > (w.completeMs ?? Infinity)) : lastAcked;
  if (!w || superseding) {
    const lost = superseding ?? lastAcked;
    return [
      {
        checker: 'durability',
        kind: 'safety',
        message: `after recovery the register holds ${JSON.stringify(read.readValue ?? null)}, but write #${lost.id} (${lost.op.kind === 'write' ? lost.op.value : ''}) by ${lost.client} was acknowledged at ${lost.completeMs}ms and is lost`,
        opIds: [read.id, lost.id],
      },
    ];
  }
  return [];
}

export const smokeConfig: RegisterScenarioConfig = {
  name: 'smoke',
  description: 'Toy durable register under swarm faults (crash, pause, partition, clocks, slow disk); proves the kernel end to end',
  clients: 3,
  opsPerSecPerClient: 20,
  writeFraction: 0.5,
  durationMs: 3_000,
  livenessMs: 2_000,
  requestTimeoutMs: 150,
  network: { latencyMinMs: 1, latencyJitterMeanMs: 2, dropRate: 0.02, duplicateRate: 0.02, reorderRate: 0.05 },
  swarm: { ratePerSec: 1.5, allow: { crash: true, pause: true, partition: true, clock: true, diskSlow: true }, outageMaxMs: 400, clockMaxMs: 500 },
};

export const smoke = registerScenario(smokeConfig);
