// Faults as data. A run's fault schedule is a list of these (fixed by the scenario and/or
// drawn from the seed's 'faults' stream before the run starts), so a failing run can be
// shrunk by removing entries and saved as a regression case.

import { nodeId, unreachable, type NodeId } from '../net/types';
import type { SeededRng } from './rng';
import type { World } from './world';

export type Fault =
  | { readonly kind: 'crash'; readonly node: string }
  | { readonly kind: 'restart'; readonly node: string }
  | { readonly kind: 'pause'; readonly node: string }
  | { readonly kind: 'resume'; readonly node: string }
  | { readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] }
  | { readonly kind: 'isolate'; readonly node: string }
  | { readonly kind: 'oneWay'; readonly from: string; readonly to: string }
  | { readonly kind: 'bridge'; readonly bridge: string; readonly left: readonly string[]; readonly right: readonly string[] }
  | { readonly kind: 'heal' }
  | { readonly kind: 'hold'; readonly from: string; readonly to: string }
  | { readonly kind: 'release'; readonly from: string; readonly to: string }
  | { readonly kind: 'clockOffset'; readonly node: string; readonly offsetMs: number }
  | { readonly kind: 'clockJump'; readonly node: string; readonly deltaMs: number }
  | { readonly kind: 'clockDrift'; readonly node: string; readonly ppm: number }
  | { readonly kind: 'diskRot'; readonly node: string }
  | { readonly kind: 'diskFull'; readonly node: string; readonly extraBytes: number }
  | { readonly kind: 'diskSpace'; readonly node: string }
  | { readonly kind: 'diskSlow'; readonly node: string; readonly factor: number };

export interface TimedFault {
  readonly atMs: number;
  readonly fault: Fault;
}

/** Faults that leave something broken until an opposite fault undoes it. */
export function isHealing(f: Fault): boolean {
  return f.kind === 'restart' || f.kind === 'resume' || f.kind === 'heal' || f.kind === 'release' || f.kind === 'diskSpace';
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'isolate':
    case 'diskRot':
    case 'diskSpace':
      return `${f.kind} ${f.node}`;
    case 'partition':
      return `partition ${f.groups.map((g) => g.join(',')).join(' | ')}`;
    case 'oneWay':
    case 'hold':
    case 'release':
      return `${f.kind} ${f.from}>${f.to}`;
    case 'bridge':
      return `bridge ${f.bridge} between ${f.left.join(',')} and ${f.right.join(',')}`;
    case 'heal':
      return 'heal';
    case 'clockOffset':
      return `clockOffset ${f.node} ${f.offsetMs}ms`;
    case 'clockJump':
      return `clockJump ${f.node} ${f.deltaMs}ms`;
    case 'clockDrift':
      return `clockDrift ${f.node} ${f.ppm}ppm`;
    case 'diskFull':
      return `diskFull ${f.node} (+${f.extraBytes}B)`;
    case 'diskSlow':
      return `diskSlow ${f.node} x${f.factor}`;
    default:
      return unreachable(f, 'fault');
  }
}

export function applyFault<M>(world: World<M>, f: Fault): void {
  const n = (s: string): NodeId => nodeId(s);
  switch (f.kind) {
    case 'crash':
      return world.crash(n(f.node));
    case 'restart':
      return world.restart(n(f.node));
    case 'pause':
      return world.pause(n(f.node));
    case 'resume':
      return world.resume(n(f.node));
    case 'partition':
      return world.partition(f.groups.map((g) => g.map(n)));
    case 'isolate':
      return world.isolate(n(f.node));
    case 'oneWay':
      return world.blockOneWay(n(f.from), n(f.to));
    case 'bridge':
      return world.bridge(n(f.bridge), f.left.map(n), f.right.map(n));
    case 'heal':
      return world.heal();
    case 'hold':
      return world.hold(n(f.from), n(f.to));
    case 'release':
      return world.release(n(f.from), n(f.to));
    case 'clockOffset':
      return world.setClockOffset(n(f.node), f.offsetMs);
    case 'clockJump':
      return world.jumpClock(n(f.node), f.deltaMs);
    case 'clockDrift':
      return world.setClockDrift(n(f.node), f.ppm);
    case 'diskRot':
      return world.rotDisk(n(f.node));
    case 'diskFull':
      return world.setDiskCapacity(n(f.node), world.disk(n(f.node)).usedBytes() + f.extraBytes);
    case 'diskSpace':
      return world.setDiskCapacity(n(f.node), Infinity);
    case 'diskSlow':
      return world.setDiskSlowFactor(n(f.node), f.factor);
    default:
      return unreachable(f, 'fault');
  }
}

/** Undo everything still broken at the end of the safety phase (the liveness phase starts clean). */
export function healAll<M>(world: World<M>, nodes: readonly string[]): void {
  world.heal();
  for (const s of nodes) {
    const id = nodeId(s);
    if (world.isPaused(id)) world.resume(id);
    if (!world.isUp(id)) world.restart(id);
    for (const t of nodes) if (world.heldCount(id, nodeId(t)) > 0 || world.net.isHeld(id, nodeId(t))) world.release(id, nodeId(t));
    world.setDiskSlowFactor(id, 1);
    world.setDiskCapacity(id, Infinity);
  }
}

/** Swarm testing (TigerBeetle's VOPR, Groce et al.): each run draws which faults are on and how often. */
export interface SwarmConfig {
  /** Candidate nodes for node faults (crash, pause, clocks, disks). */
  readonly nodes: readonly string[];
  /** Nodes partitions cut between (servers and clients); at least two for partitions to happen. */
  readonly netNodes: readonly string[];
  /** Nodes whose disks matter (disk faults only hit these). */
  readonly diskNodes: readonly string[];
  /** Mean faults per simulated second when a fault kind is enabled. */
  readonly ratePerSec: number;
  /** Which fault families the scenario allows. */
  readonly allow: {
    readonly crash?: boolean;
    readonly pause?: boolean;
    readonly partition?: boolean;
    readonly clock?: boolean;
    readonly diskRot?: boolean;
    readonly diskFull?: boolean;
    readonly diskSlow?: boolean;
  };
  /** Longest a crash / pause / partition / disk-full lasts before its repair, ms. */
  readonly outageMaxMs: number;
  /** Largest clock offset or jump, ms. */
  readonly clockMaxMs: number;
}

type Family = keyof SwarmConfig['allow'];

/** Draw a fault schedule over [0, durationMs) from the 'faults' stream. */
export function drawSwarmFaults(rng: SeededRng, cfg: SwarmConfig, durationMs: number): TimedFault[] {
  const families = (Object.keys(cfg.allow) as Family[]).filter((k) => cfg.allow[k]).sort();
  // Swarm: each run enables a random non-empty subset of the allowed families.
  const enabled = families.filter(() => rng.chance(0.6));
  if (enabled.length === 0 && families.length > 0) enabled.push(rng.pick(families));
  const out: TimedFault[] = [];
  if (enabled.length === 0 || cfg.ratePerSec <= 0) return out;
  let t = rng.exponential(1000 / cfg.ratePerSec);
  while (t < durationMs) {
    const family = rng.pick(enabled);
    const at = Math.round(t);
    const repairAt = Math.round(Math.min(durationMs - 1, t + 1 + rng.int(cfg.outageMaxMs)));
    const node = rng.pick(cfg.nodes);
    switch (family) {
      case 'crash':
        out.push({ atMs: at, fault: { kind: 'crash', node } }, { atMs: repairAt, fault: { kind: 'restart', node } });
        break;
      case 'pause':
        out.push({ atMs: at, fault: { kind: 'pause', node } }, { atMs: repairAt, fault: { kind: 'resume', node } });
        break;
      case 'partition': {
        if (cfg.netNodes.length < 2) break;
        const shuffled = cfg.netNodes.map((x) => ({ x, k: rng.next() })).sort((a, b) => a.k - b.k).map((e) => e.x);
        const cut = 1 + rng.int(shuffled.length - 1); // both sides non-empty
        const style = rng.int(3);
        if (style === 0) out.push({ atMs: at, fault: { kind: 'partition', groups: [shuffled.slice(0, cut), shuffled.slice(cut)] } });
        else if (style === 1) out.push({ atMs: at, fault: { kind: 'oneWay', from: shuffled[0]!, to: shuffled[1]! } });
        else out.push({ atMs: at, fault: { kind: 'isolate', node: rng.pick(cfg.netNodes) } });
        out.push({ atMs: repairAt, fault: { kind: 'heal' } });
        break;
      }
      case 'clock':
        if (rng.chance(0.5)) out.push({ atMs: at, fault: { kind: 'clockJump', node, deltaMs: rng.int(2 * cfg.clockMaxMs + 1) - cfg.clockMaxMs } });
        else out.push({ atMs: at, fault: { kind: 'clockDrift', node, ppm: rng.int(2001) - 1000 } });
        break;
      case 'diskRot':
        if (cfg.diskNodes.length > 0) out.push({ atMs: at, fault: { kind: 'diskRot', node: rng.pick(cfg.diskNodes) } });
        break;
      case 'diskFull':
        if (cfg.diskNodes.length > 0) {
          const dn = rng.pick(cfg.diskNodes);
          out.push({ atMs: at, fault: { kind: 'diskFull', node: dn, extraBytes: rng.int(4096) } }, { atMs: repairAt, fault: { kind: 'diskSpace', node: dn } });
        }
        break;
      case 'diskSlow':
        if (cfg.diskNodes.length > 0) {
          const dn = rng.pick(cfg.diskNodes);
          out.push({ atMs: at, fault: { kind: 'diskSlow', node: dn, factor: 2 + rng.int(50) } }, { atMs: repairAt, fault: { kind: 'diskSlow', node: dn, factor: 1 } });
        }
        break;
      default:
        unreachable(family, 'fault family');
    }
    t += rng.exponential(1000 / cfg.ratePerSec);
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}
