// The contract between a pure state machine (core/) and the world that drives it
// (sim/ or real/). A machine never reads a clock, draws randomness on its own, arms a
// timer or touches a socket or file: all of that arrives as an `Input` and leaves as an
// `Effect`. Compare etcd-io/raft's Step/Ready/Advance and TigerBeetle's tick().

import type { DiskOp, DiskResult } from './disk';

// ---- Branded identifiers (automerge-repo style) ------------------------------------

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A node's stable name in a topology, e.g. "core1", "keeper2", "client3". */
export type NodeId = Brand<string, 'NodeId'>;
export const nodeId = (s: string): NodeId => s as NodeId;

/** Milliseconds on some clock. Which clock is said by the name of the field. */
export type Ms = number;

// ---- Randomness ---------------------------------------------------------------------

/** A seeded source of randomness handed to whoever needs it; there is no global one. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n), n >= 1. */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
}

// ---- Machine inputs and effects -----------------------------------------------------

/** Opaque per-request token a machine uses to match a disk result to its request. */
export type DiskReqId = number;

export type Input<M> =
  /** First input after (re)start: volatile state is fresh; the disk is whatever survived. */
  | { readonly type: 'start' }
  /** A message from another node. Delivery is at-most-once per send unless duplicated. */
  | { readonly type: 'message'; readonly from: NodeId; readonly msg: M }
  /** A named timer, armed by a `timer` effect, has fired. */
  | { readonly type: 'timeout'; readonly name: string }
  /** The result of a disk request issued with a `disk` effect. */
  | { readonly type: 'disk'; readonly req: DiskReqId; readonly result: DiskResult };

export type Effect<M> =
  | { readonly type: 'send'; readonly to: NodeId; readonly msg: M }
  /** Arm (or re-arm, replacing) the timer `name` to fire `afterMs` from now. */
  | { readonly type: 'timer'; readonly name: string; readonly afterMs: Ms }
  | { readonly type: 'cancelTimer'; readonly name: string }
  | { readonly type: 'disk'; readonly req: DiskReqId; readonly op: DiskOp }
  /** A line for the run's trace/log; carries no behaviour. */
  | { readonly type: 'note'; readonly text: string };

/**
 * A deterministic state machine: `step` is a function of (state, input, nowMs).
 * `nowMs` is the node's own local clock (which may be skewed or jump in the simulator).
 */
export interface Machine<M> {
  step(input: Input<M>, nowMs: Ms): Effect<M>[];
}

/** Everything a machine factory gets from its driver when a node (re)starts. */
export interface MachineEnv {
  readonly id: NodeId;
  /** The node's own seeded randomness (a named stream of the run's seed in the simulator). */
  readonly rng: Rng;
  /** 0 on first boot, +1 on every restart: lets a machine tell incarnations apart. */
  readonly incarnation: number;
}

export type MachineFactory<M> = (env: MachineEnv) => Machine<M>;

/** Exhaustiveness helper for discriminated-union switches. */
export function unreachable(x: never, what = 'value'): never {
  throw new Error(`unreachable ${what}: ${JSON.stringify(x)}`);
}

/** Assertions are for bugs; expected failures are results. */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

export class AssertionError extends Error {
  override name = 'AssertionError';
}
