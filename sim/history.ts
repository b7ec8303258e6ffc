// The client history of a simulated run: every operation a client invoked, with the
// virtual time it was invoked, the time its reply arrived and what the reply said.
// Checkers (sim/checkers/) read it; trace files and the HTML timeline serialize it.
//
// Outcomes, as Jepsen and Porcupine classify them:
// - a definite reply (`value`, `ok`, `count`, ...): the operation took effect exactly once,
//   somewhere between its invoke and its completion;
// - `fail`: the server definitely did NOT apply it (rejected before any effect), so the
//   checkers drop it from the history;
// - `unknown`: no reply came (timeout, connection lost). It may or may not have taken
//   effect, at any time after its invoke, even after the client gave up. `finish()` marks
//   every operation still open this way, with `completeMs = Infinity`.

import { assert, unreachable } from '../net/types';

/** Index of an operation in its history (dense, from 0, in invoke order). */
export type OpId = number;

/** A value as clients see it: strings; null = the key is absent. */
export type KvValue = string | null;

export type KvInput =
  | { readonly type: 'get'; readonly key: string }
  | { readonly type: 'set'; readonly key: string; readonly value: string }
  /** Deletes every listed key; replies how many existed. */
  | { readonly type: 'del'; readonly keys: readonly string[] }
  /** Adds `by` to the integer stored at `key` (absent = 0); replies the new value. */
  | { readonly type: 'incr'; readonly key: string; readonly by: number }
  /** Sets `value` if the current value equals `expected` (null = absent). */
  | { readonly type: 'cas'; readonly key: string; readonly expected: KvValue; readonly value: string }
  | { readonly type: 'mget'; readonly keys: readonly string[] }
  /** Sets every pair atomically. */
  | { readonly type: 'mset'; readonly pairs: readonly (readonly [string, string])[] }
  /** A transaction (MULTI ... EXEC): its operations apply atomically, in order, as one operation. */
  | { readonly type: 'txn'; readonly ops: readonly TxnSubOp[] };

/** What a transaction may contain. */
export type TxnSubOp = Extract<KvInput, { type: 'get' | 'set' | 'incr' | 'del' }>;

export type KvOutput =
  /** get */
  | { readonly type: 'value'; readonly value: KvValue }
  /** set, mset */
  | { readonly type: 'ok' }
  /** del */
  | { readonly type: 'count'; readonly count: number }
  /** incr: the new value */
  | { readonly type: 'int'; readonly value: number }
  /** incr on a value that is not an integer: nothing changed */
  | { readonly type: 'error'; readonly error: 'notInteger' }
  /** cas */
  | { readonly type: 'cas'; readonly ok: boolean }
  /** mget, in key order */
  | { readonly type: 'values'; readonly values: readonly KvValue[] }
  /** txn: one output per operation, in order */
  | { readonly type: 'txn'; readonly outputs: readonly KvOutput[] }
  /** Definitely not applied. */
  | { readonly type: 'fail'; readonly reason: string }
  /** May or may not have been applied. */
  | { readonly type: 'unknown' };

export type KvOpType = KvInput['type'];

/** Which operations may change the store (the rest only read it). */
export const kvOpWrites = {
  get: false,
  set: true,
  del: true,
  incr: true,
  cas: true,
  mget: false,
  mset: true,
  txn: true,
} as const satisfies Record<KvOpType, boolean>;

export interface Operation {
  readonly id: OpId;
  readonly client: string;
  readonly input: KvInput;
  readonly invokeMs: number;
  /** Infinity while open and for `unknown` outcomes. */
  readonly completeMs: number;
  readonly output: KvOutput;
}

/** Guards against a runaway workload filling memory with history. */
export const historyOpsMax = 5_000_000;

interface MutableOp {
  id: OpId;
  client: string;
  input: KvInput;
  invokeMs: number;
  completeMs: number;
  output: KvOutput;
  open: boolean;
}

const UNKNOWN: KvOutput = Object.freeze({ type: 'unknown' });

/** What simulated clients call; one recorder per run. */
export class HistoryRecorder {
  private readonly ops: MutableOp[] = [];
  private finished = false;

  invoke(client: string, input: KvInput, atMs: number): OpId {
    assert(!this.finished, 'history: invoke after finish');
    assert(this.ops.length < historyOpsMax, `history: more than ${historyOpsMax} operations`);
    assert(Number.isFinite(atMs), 'history: invoke time must be finite');
    assertValidInput(input);
    const id = this.ops.length;
    this.ops.push({ id, client, input, invokeMs: atMs, completeMs: Infinity, output: UNKNOWN, open: true });
    return id;
  }

  complete(id: OpId, output: KvOutput, atMs: number): void {
    assert(!this.finished, 'history: complete after finish');
    const op = this.ops[id];
    assert(op !== undefined, `history: unknown op id ${id}`);
    assert(op.open, `history: op ${id} completed twice`);
    assert(atMs >= op.invokeMs, `history: op ${id} completes at ${atMs} before its invoke at ${op.invokeMs}`);
    assert(outputFits(op.input, output), `history: output ${output.type} does not fit ${op.input.type}`);
    op.open = false;
    if (output.type === 'unknown') return; // stays at Infinity
    op.output = output;
    op.completeMs = atMs;
  }

  /** Ends recording: operations still open become `unknown`. Returns the history. */
  finish(endMs: number): Operation[] {
    assert(!this.finished, 'history: finished twice');
    this.finished = true;
    for (const op of this.ops) {
      assert(op.invokeMs <= endMs, `history: op ${op.id} invoked after end ${endMs}`);
      op.open = false;
    }
    return this.snapshot();
  }

  /** The history so far (open operations appear as unknown). */
  snapshot(): Operation[] {
    return this.ops.map(({ id, client, input, invokeMs, completeMs, output }) => ({
      id,
      client,
      input,
      invokeMs,
      completeMs,
      output,
    }));
  }

  get size(): number {
    return this.ops.length;
  }
}

function assertValidInput(input: KvInput): void {
  switch (input.type) {
    case 'get':
    case 'set':
    case 'cas':
      return;
    case 'incr':
      assert(Number.isSafeInteger(input.by), 'history: incr by must be a safe integer');
      return;
    case 'del':
    case 'mget':
      assert(input.keys.length > 0, `history: ${input.type} needs at least one key`);
      return;
    case 'mset':
      assert(input.pairs.length > 0, 'history: mset needs at least one pair');
      return;
    case 'txn':
      assert(input.ops.length > 0, 'history: txn needs at least one operation');
      for (const op of input.ops) assertValidInput(op);
      return;
    default:
      unreachable(input, 'kv input');
  }
}

/** Whether `output` is a reply the operation `input` could get at all. */
export function outputFits(input: KvInput, output: KvOutput): boolean {
  if (output.type === 'fail' || output.type === 'unknown') return true;
  switch (input.type) {
    case 'get':
      return output.type === 'value';
    case 'set':
    case 'mset':
      return output.type === 'ok';
    case 'del':
      return output.type === 'count';
    case 'incr':
      return output.type === 'int' || output.type === 'error';
    case 'cas':
      return output.type === 'cas';
    case 'mget':
      return output.type === 'values' && output.values.length === input.keys.length;
    case 'txn':
      return output.type === 'txn' && output.outputs.length === input.ops.length && input.ops.every((op, i) => outputFits(op, output.outputs[i]!) && output.outputs[i]!.type !== 'fail' && output.outputs[i]!.type !== 'unknown');
    default:
      return unreachable(input, 'kv input');
  }
}

/** The keys an operation touches, in its own order (duplicates kept). */
export function opKeys(input: KvInput): readonly string[] {
  switch (input.type) {
    case 'get':
    case 'set':
    case 'incr':
    case 'cas':
      return [input.key];
    case 'del':
    case 'mget':
      return input.keys;
    case 'mset':
      return input.pairs.map(([k]) => k);
    case 'txn':
      return input.ops.flatMap(opKeys);
    default:
      return unreachable(input, 'kv input');
  }
}

// ---- Serialization -------------------------------------------------------------------
// JSON has no Infinity: an unknown completion is written as `null`.

export interface OperationJson {
  readonly id: OpId;
  readonly client: string;
  readonly input: KvInput;
  readonly invokeMs: number;
  readonly completeMs: number | null;
  readonly output: KvOutput;
}

export function historyToJson(ops: readonly Operation[]): OperationJson[] {
  return ops.map((op) => ({ ...op, completeMs: Number.isFinite(op.completeMs) ? op.completeMs : null }));
}

export function historyFromJson(ops: readonly OperationJson[]): Operation[] {
  return ops.map((op) => ({ ...op, completeMs: op.completeMs ?? Infinity }));
}

// ---- Human-readable descriptions (failure reports, the timeline) ----------------------

export function showValue(v: KvValue): string {
  return v === null ? 'nil' : JSON.stringify(v);
}

export function describeInput(input: KvInput): string {
  switch (input.type) {
    case 'get':
      return `get(${input.key})`;
    case 'set':
      return `set(${input.key}, ${showValue(input.value)})`;
    case 'del':
      return `del(${input.keys.join(', ')})`;
    case 'incr':
      return `incr(${input.key}, ${input.by})`;
    case 'cas':
      return `cas(${input.key}, ${showValue(input.expected)} -> ${showValue(input.value)})`;
    case 'mget':
      return `mget(${input.keys.join(', ')})`;
    case 'mset':
      return `mset(${input.pairs.map(([k, v]) => `${k}=${showValue(v)}`).join(', ')})`;
    case 'txn':
      return `txn[${input.ops.map(describeInput).join('; ')}]`;
    default:
      return unreachable(input, 'kv input');
  }
}

export function describeOutput(output: KvOutput): string {
  switch (output.type) {
    case 'value':
      return showValue(output.value);
    case 'ok':
      return 'OK';
    case 'count':
      return String(output.count);
    case 'int':
      return String(output.value);
    case 'error':
      return `error ${output.error}`;
    case 'cas':
      return output.ok ? 'swapped' : 'not swapped';
    case 'values':
      return `[${output.values.map(showValue).join(', ')}]`;
    case 'txn':
      return `[${output.outputs.map(describeOutput).join('; ')}]`;
    case 'fail':
      return `fail (${output.reason})`;
    case 'unknown':
      return 'unknown';
    default:
      return unreachable(output, 'kv output');
  }
}

function showSpan(op: Operation): string {
  const end = Number.isFinite(op.completeMs) ? `${op.completeMs}ms` : '(no reply)';
  return `[${op.invokeMs}ms, ${end}]`;
}

/** e.g. `get(k1) by client3 at [120ms, 130ms] -> "a"` */
export function describeOp(op: Operation): string {
  return `${describeInput(op.input)} by ${op.client} at ${showSpan(op)} -> ${describeOutput(op.output)}`;
}
