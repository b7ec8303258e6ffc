// Linearizability of a key-value history, in the style of Porcupine (anishathalye/porcupine):
// the Wing–Gong search as improved by Lowe ("Testing for linearizability", 2017).
//
// 1. Partition (P-compositionality, Herlihy & Wing): linearizability is local, so the
//    history is split into independent parts, one per connected component of keys linked
//    by multi-key operations (mget/mset/del of several keys). Each part has its own model
//    state covering its keys, and is searched alone — small parts, small searches.
// 2. Search: the part's call and return events, sorted by time, form a doubly linked list.
//    Walking it, a call whose operation the model accepts from the current state is
//    linearized next: both its events are lifted out of the list and the walk restarts.
//    Reaching a return event means the operation it closes was not linearized before its
//    deadline: undo the last choice and try the next candidate. The list empty = success;
//    nothing left to undo = violation.
// 3. Memoisation: a configuration is (set of linearized operations, model state); one seen
//    before cannot succeed now either, so the search skips it (Lowe's cache). Refinement
//    for unknown outcomes: configurations with the same definite operations linearized and
//    the same state are compared by their linearized unknown operations; if a failed
//    configuration had linearized a SUBSET of ours, ours fails too (it has fewer options:
//    any completion of ours, followed by our extra unknowns at the very end, completes
//    theirs). Without this, k pending unknown writes cost 2^k configurations.
// 4. Unknown outcomes return at time Infinity: they may be linearized anywhere after their
//    invoke, or never (the search succeeds once every definite operation is linearized;
//    the model accepts every outcome of an `unknown`).
//    Among calls between two returns, definite ones are tried before unknown ones, so the
//    search meets small unknown sets first and the subset rule prunes the larger ones.
// 5. A time budget, read from an injected clock, turns a hopeless search into `unknown`
//    rather than a hang — never into a verdict.

import { assert } from '../../net/types';
import {
  type KvInput,
  type KvValue,
  describeInput,
  describeOutput,
  kvOpWrites,
  opKeys,
  showValue,
  type OpId,
  type Operation,
} from '../history';
import { kvModel, type KvModel, type KvState } from './kv-model';

export type LinearizabilityResult =
  | { readonly result: 'ok' }
  | {
      readonly result: 'violation';
      /** The keys of the part that has no linearization. */
      readonly keys: readonly string[];
      readonly explanation: string;
      /** The operations involved: the one that cannot be placed, the writes it contradicts, the ones concurrent with it. */
      readonly ops: readonly OpId[];
      /** The longest linearizable prefix the search found for that part, in linearization order. */
      readonly longestPrefix: readonly OpId[];
    }
  | { readonly result: 'unknown'; readonly reason: 'timeout' };

export interface LinearizabilityOptions {
  /** The clock the budget is measured on (the sim passes `performance.now`; tests a fake). */
  readonly now: () => number;
  /** After this much time on `now`, give up with `unknown`. */
  readonly budgetMs?: number;
}

export const linearizabilityBudgetMsDefault = 10_000;
/** How many search steps run between two readings of the clock. */
export const searchStepsPerClockRead = 256;

/** Checks the whole history. `fail` operations and reads with unknown outcome are dropped first. */
export function checkLinearizability(history: readonly Operation[], options: LinearizabilityOptions): LinearizabilityResult {
  const budgetMs = options.budgetMs ?? linearizabilityBudgetMsDefault;
  assert(budgetMs >= 0, 'linearizability: negative budget');
  const startMs = options.now();
  const overBudget = (): boolean => options.now() - startMs >= budgetMs;
  let timedOut = false;
  for (const part of partitionHistory(history)) {
    const result = checkPart(part, overBudget);
    if (result.result === 'violation') return result; // a found violation is a sound verdict
    if (result.result === 'unknown') timedOut = true;
  }
  return timedOut ? { result: 'unknown', reason: 'timeout' } : { result: 'ok' };
}

// ---- Partitioning ----------------------------------------------------------------------

export interface HistoryPart {
  /** Sorted. */
  readonly keys: readonly string[];
  /** In id order. */
  readonly ops: readonly Operation[];
}

/** Whether an operation constrains anything: failed ones never happened; unknown reads observed nothing. */
function matters(op: Operation): boolean {
  if (op.output.type === 'fail') return false;
  return op.output.type !== 'unknown' || kvOpWrites[op.input.type];
}

/** Splits a history into independent parts (connected components of keys), ordered by first op. */
export function partitionHistory(history: readonly Operation[]): HistoryPart[] {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    for (let p = parent.get(root); p !== undefined && p !== root; p = parent.get(root)) root = p;
    for (let c = k; c !== root; ) {
      const next = parent.get(c) ?? root;
      parent.set(c, root);
      c = next;
    }
    return root;
  };
  const ops = history.filter(matters);
  for (const op of ops) {
    const keys = opKeys(op.input);
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    const first = find(keys[0]!);
    for (const k of keys) {
      const r = find(k);
      if (r !== first) parent.set(r, first);
    }
  }
  const parts = new Map<string, { keys: Set<string>; ops: Operation[] }>();
  for (const op of ops) {
    const keys = opKeys(op.input);
    const root = find(keys[0]!);
    let part = parts.get(root);
    if (part === undefined) parts.set(root, (part = { keys: new Set(), ops: [] }));
    for (const k of keys) part.keys.add(k);
    part.ops.push(op);
  }
  return [...parts.values()].map((p) => ({ keys: [...p.keys].sort(), ops: p.ops }));
}

// ---- The search ------------------------------------------------------------------------

type PartResult = Exclude<LinearizabilityResult, { result: 'ok' }> | { readonly result: 'ok' };

/** The event list: nodes 0..2n-1 are events, node 2n is the head sentinel; -1 ends it. */
interface EventList {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly head: number;
  /** Per node: the operation (index into the part's ops) and whether it is a call. */
  readonly opOf: Int32Array;
  readonly isCall: Uint8Array;
  readonly callNode: Int32Array;
  readonly retNode: Int32Array;
}

function buildEventList(ops: readonly Operation[]): EventList {
  const n = ops.length;
  const order: number[] = [];
  for (let i = 0; i < 2 * n; i++) order.push(i);
  const time = (node: number): number => (node % 2 === 0 ? ops[node >> 1]!.invokeMs : ops[node >> 1]!.completeMs);
  // By time; at a tie calls first, so operations that touch at one instant count as
  // concurrent (the lenient reading: it can hide a violation, never invent one).
  order.sort((a, b) => time(a) - time(b) || (a % 2) - (b % 2) || a - b);
  preferDefiniteCalls(order, ops);
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = head;
  for (const node of order) {
    next[last] = node;
    prev[node] = last;
    last = node;
  }
  const opOf = new Int32Array(2 * n);
  const isCall = new Uint8Array(2 * n);
  const callNode = new Int32Array(n);
  const retNode = new Int32Array(n);
  for (let node = 0; node < 2 * n; node++) {
    opOf[node] = node >> 1;
    isCall[node] = node % 2 === 0 ? 1 : 0;
  }
  for (let i = 0; i < n; i++) {
    callNode[i] = 2 * i;
    retNode[i] = 2 * i + 1;
  }
  return { next, prev, head, opOf, isCall, callNode, retNode };
}

/**
 * Within each run of consecutive calls, moves calls of unknown-outcome operations after the
 * definite ones. No call crosses a return, so the set of candidates at every step is
 * unchanged: only the order they are tried in.
 */
function preferDefiniteCalls(order: number[], ops: readonly Operation[]): void {
  const isUnknownCall = (node: number): boolean => node % 2 === 0 && ops[node >> 1]!.output.type === 'unknown';
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end < order.length && order[end]! % 2 === 0) end++;
    if (end - start > 1) {
      const run = order.slice(start, end);
      const sorted = [...run.filter((n) => !isUnknownCall(n)), ...run.filter(isUnknownCall)];
      for (let i = 0; i < sorted.length; i++) order[start + i] = sorted[i]!;
    }
    start = end + 1;
  }
}

function unlink(l: EventList, node: number): void {
  const p = l.prev[node]!;
  const nx = l.next[node]!;
  l.next[p] = nx;
  if (nx !== -1) l.prev[nx] = p;
}

function relink(l: EventList, node: number): void {
  const p = l.prev[node]!;
  const nx = l.next[node]!;
  l.next[p] = node;
  if (nx !== -1) l.prev[nx] = node;
}

/** Lifting removes both events of an operation; unlifting must undo lifts in reverse order. */
function lift(l: EventList, op: number): void {
  unlink(l, l.callNode[op]!);
  unlink(l, l.retNode[op]!);
}

function unlift(l: EventList, op: number): void {
  relink(l, l.retNode[op]!);
  relink(l, l.callNode[op]!);
}

class Bitset {
  readonly words: Uint32Array;

  constructor(bits: number) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(bits / 32)));
  }

  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }

  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }

  /** Whether every bit of `smaller` is set here. */
  hasAll(smaller: Uint32Array): boolean {
    for (let i = 0; i < smaller.length; i++) if ((smaller[i]! & ~this.words[i]!) !== 0) return false;
    return true;
  }

  equals(other: Uint32Array): boolean {
    for (let i = 0; i < other.length; i++) if (other[i] !== this.words[i]) return false;
    return true;
  }
}

/** murmur3's 32-bit finalizer: a cheap, well-mixed integer hash. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/**
 * Zobrist-style hashing of states: a state's hash is the XOR over its slots of a hash of
 * (slot, value), absent = 0, so a step updates it from the slots it touched alone.
 */
class StateHasher {
  private readonly valueHashes = new Map<string, number>();

  slotValue(slot: number, v: KvValue): number {
    if (v === null) return 0;
    let h = this.valueHashes.get(v);
    if (h === undefined) this.valueHashes.set(v, (h = hashString(v)));
    return mix32(h + Math.imul(slot + 1, 0x9e3779b9));
  }

  /** The hash of `next`, given that of `prev` and the slots the step may have changed. */
  update(prevHash: number, prev: KvState, next: KvState, slots: readonly number[]): number {
    if (next === prev) return prevHash;
    let h = prevHash;
    for (const i of slots) {
      const a = prev[i] ?? null;
      const b = next[i] ?? null;
      if (a !== b) h ^= this.slotValue(i, a) ^ this.slotValue(i, b);
    }
    return h >>> 0;
  }
}

interface MemoEntry {
  readonly definite: Uint32Array;
  readonly state: KvState;
  /** Unknown-op sets seen with this (definite set, state); see 3. above. */
  readonly unknownSets: Uint32Array[];
}

/** Lowe's cache, keyed by a hash and verified on every hit (as Porcupine does). */
class Memo {
  private readonly table = new Map<number, MemoEntry[]>();

  /** Records the configuration unless one with a subset of its unknowns was seen; returns whether it is new. */
  remember(hash: number, definite: Bitset, state: KvState, unknowns: Bitset): boolean {
    let bucket = this.table.get(hash);
    if (bucket === undefined) this.table.set(hash, (bucket = []));
    const entry = bucket.find((e) => definite.equals(e.definite) && sameState(e.state, state));
    if (entry === undefined) {
      bucket.push({ definite: definite.words.slice(), state, unknownSets: [unknowns.words.slice()] });
      return true;
    }
    if (entry.unknownSets.some((s) => unknowns.hasAll(s))) return false;
    entry.unknownSets.push(unknowns.words.slice());
    return true;
  }
}

function sameState(a: KvState, b: KvState): boolean {
  if (a === b) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Where the search got furthest: the material for an explanation. */
interface Deepest {
  order: number[];
  state: KvState;
  /** The operation whose return the search could not get past. */
  blocker: number;
}

function checkPart(part: HistoryPart, overBudget: () => boolean): PartResult {
  if (overBudget()) return { result: 'unknown', reason: 'timeout' };
  const ops = part.ops;
  const model = kvModel(part.keys);
  const list = buildEventList(ops);
  // Definite and unknown operations get separate bit numbers: the memo key holds the
  // definite ones; the unknown ones are compared by inclusion (see 3. above).
  const bit = new Int32Array(ops.length);
  let definiteCount = 0;
  let unknownCount = 0;
  ops.forEach((o, i) => (bit[i] = o.output.type === 'unknown' ? unknownCount++ : definiteCount++));
  const isUnknown = (i: number): boolean => ops[i]!.output.type === 'unknown';
  const definite = new Bitset(definiteCount);
  const unknowns = new Bitset(unknownCount);
  let definiteDone = 0;
  /** Zobrist hash of the definite set: XOR of one random word per linearized definite op. */
  let definiteHash = 0;
  const flip = (i: number, on: boolean): void => {
    if (isUnknown(i)) {
      if (on) unknowns.set(bit[i]!);
      else unknowns.clear(bit[i]!);
      return;
    }
    definiteDone += on ? 1 : -1;
    definiteHash = (definiteHash ^ mix32(bit[i]! + 0x632be5ab)) >>> 0;
    if (on) definite.set(bit[i]!);
    else definite.clear(bit[i]!);
  };
  const hasher = new StateHasher();
  const memo = new Memo();
  const opStack: number[] = [];
  const stateStack: KvState[] = [];
  const stateHashStack: number[] = [];
  let state = model.init;
  let stateHash = 0; // every slot absent
  let deepest: Deepest | null = null;
  let node = list.next[list.head]!;
  let steps = 0;
  // Done when every definite operation is linearized: the unknown ones left never took
  // effect (or took it after everything, which nothing observes).
  while (definiteDone < definiteCount) {
    if (++steps % searchStepsPerClockRead === 0 && overBudget()) return { result: 'unknown', reason: 'timeout' };
    assert(node !== -1, 'linearizability: walked off the event list');
    const op = list.opOf[node]!;
    if (list.isCall[node] === 1) {
      const o = ops[op]!;
      const nextState = model.step(state, o.input, o.output);
      if (nextState !== null) {
        flip(op, true);
        const nextHash = hasher.update(stateHash, state, nextState, model.slotsOf(o.input));
        if (memo.remember((definiteHash ^ Math.imul(nextHash, 0x27d4eb2d)) >>> 0, definite, nextState, unknowns)) {
          opStack.push(op);
          stateStack.push(state);
          stateHashStack.push(stateHash);
          state = nextState;
          stateHash = nextHash;
          lift(list, op);
          node = list.next[list.head]!;
          continue;
        }
        flip(op, false);
      }
      node = list.next[node]!;
      continue;
    }
    // A return event: its operation missed its deadline in this order. Backtrack.
    if (deepest === null || opStack.length > deepest.order.length) {
      deepest = { order: opStack.slice(), state, blocker: op };
    }
    const undone = opStack.pop();
    if (undone === undefined) return violation(part, deepest, model);
    state = stateStack.pop()!;
    stateHash = stateHashStack.pop()!;
    flip(undone, false);
    unlift(list, undone);
    node = list.next[list.callNode[undone]!]!;
  }
  return { result: 'ok' };
}

// ---- Explaining a violation --------------------------------------------------------------

function returned(op: Operation): string {
  const end = Number.isFinite(op.completeMs) ? `${op.completeMs}ms` : 'no reply';
  return `${describeInput(op.input)} by ${op.client} at [${op.invokeMs}ms, ${end}] returned ${describeOutput(op.output)}`;
}

function wrote(op: Operation): string {
  return `${describeInput(op.input)} by ${op.client} at [${op.invokeMs}ms, ${Number.isFinite(op.completeMs) ? `${op.completeMs}ms` : 'no reply'}]`;
}

/** Replays the prefix to find, per key, the last operation that wrote it. */
function lastWriters(order: readonly number[], ops: readonly Operation[], model: KvModel): Map<string, number> {
  const writers = new Map<string, number>();
  let state = model.init;
  for (const i of order) {
    const o = ops[i]!;
    const next = model.step(state, o.input, o.output);
    assert(next !== null, 'linearizability: prefix does not replay');
    const blind = o.input.type === 'set' || o.input.type === 'mset';
    model.keys.forEach((k, slot) => {
      if (!kvOpWrites[o.input.type] || !opKeys(o.input).includes(k)) return;
      if (blind || next[slot] !== state[slot]) writers.set(k, i);
    });
    state = next;
  }
  return writers;
}

function violation(part: HistoryPart, deepest: Deepest | null, model: KvModel): PartResult {
  assert(deepest !== null, 'linearizability: failed without reaching a return');
  const ops = part.ops;
  const blocker = ops[deepest.blocker]!;
  const inPrefix = new Set(deepest.order);
  // Operations that could still have been ordered before the blocker's deadline.
  const concurrent = ops
    .map((o, i) => ({ o, i }))
    .filter(({ o, i }) => i !== deepest.blocker && !inPrefix.has(i) && o.invokeMs <= blocker.completeMs);
  const writers = lastWriters(deepest.order, ops, model);
  const blockerKeys = [...new Set(opKeys(blocker.input))];
  const reasons = blockerKeys.map((k) => {
    const slot = model.keys.indexOf(k);
    const value = deepest.state[slot] ?? null;
    const w = writers.get(k);
    return w === undefined
      ? `no write to ${k} can precede it, so ${k} was ${showValue(value)}`
      : `the last write to ${k} that can precede it, ${wrote(ops[w]!)}, left ${showValue(value)}`;
  });
  const writerIds = blockerKeys.flatMap((k) => {
    const w = writers.get(k);
    return w === undefined ? [] : [ops[w]!.id];
  });
  let explanation = `${returned(blocker)}, but ${reasons.join('; ')}`;
  const neverWritten = neverWrittenValues(blocker, ops);
  if (neverWritten.length > 0) explanation += `; no operation ever wrote ${neverWritten.map(showValue).join(', ')}`;
  if (concurrent.length > 0) {
    const shown = concurrent.slice(0, explainOpsMax).map(({ o }) => `op ${o.id}`);
    const more = concurrent.length > explainOpsMax ? ', ...' : '';
    explanation += `; none of the ${concurrent.length} operations concurrent with it (${shown.join(', ')}${more}) can be ordered to explain it`;
  }
  const involved = new Set<OpId>([blocker.id, ...writerIds, ...concurrent.map(({ o }) => o.id)]);
  return {
    result: 'violation',
    keys: part.keys,
    explanation,
    ops: [...involved].sort((a, b) => a - b),
    longestPrefix: deepest.order.map((i) => ops[i]!.id),
  };
}

/** How many concurrent operations an explanation lists by id. */
export const explainOpsMax = 8;

/** Values a read returned that no write in its part could ever have produced. */
function neverWrittenValues(op: Operation, ops: readonly Operation[]): string[] {
  const read =
    op.output.type === 'value' ? [op.output.value] : op.output.type === 'values' ? op.output.values : [];
  const written = new Set<string>();
  let anyIncr = false;
  const inputs: KvInput[] = ops.flatMap((o): KvInput[] => (o.input.type === 'txn' ? [...o.input.ops] : [o.input]));
  for (const i of inputs) {
    if (i.type === 'set' || i.type === 'cas') written.add(i.value);
    else if (i.type === 'mset') for (const [, v] of i.pairs) written.add(v);
    else if (i.type === 'incr') anyIncr = true;
  }
  return read.filter((v): v is string => v !== null && !written.has(v) && !(anyIncr && /^-?[0-9]+$/.test(v)));
}
