// Durability: every acknowledged write survives what its acknowledgement level promises.
//
// The rule, per key k (every key any write touched, plus every key in the recovered map):
//
//   A write is DURABLE when it got a definite reply acknowledging it (not fail, not unknown;
//   for cas only a successful swap; for incr only a number), at a level the scenario
//   promises survives, and that reply arrived no later than `recoveryMs` (the fault the
//   recovery follows: a reply later than that promised nothing about it).
//
//   The recovered value v of k is fine iff some write x that could have produced v on k
//   (any write invoked before `recoveryMs`: acknowledged at any level, unknown, or the
//   initial "absent" when v is nil) is ordered after-or-equal every durable write d of k:
//   x = d, or x does not precede d in real time (x did not complete before d was invoked),
//   so a linearization exists in which x is the last write of k. The initial absent value
//   precedes everything, so it is fine only when k has no durable write.
//
//   Otherwise the durable write that no candidate can follow — the one invoked last among
//   those the recovered value fails to supersede — is reported as lost.
//
// Simple and explainable on purpose: it checks the final state, not the whole order (the
// linearizability checker does that), and an unknown incr may have produced any integer.

import { assert, unreachable } from '../../net/types';
import { describeInput, opKeys, showValue, type KvOutput, type KvValue, type OpId, type Operation } from '../history';
import type { CheckResult } from './index';

export type AckLevel = 'memory' | 'one' | 'quorum';

export interface DurabilityInput {
  readonly history: readonly Operation[];
  /** Each write's acknowledgement level; writes not listed are taken at `defaultLevel`. */
  readonly ackLevels?: ReadonlyMap<OpId, AckLevel>;
  readonly defaultLevel: AckLevel;
  /** The levels this scenario promises survive (e.g. only 'quorum' when every Core is lost). */
  readonly survivingLevels: ReadonlySet<AckLevel>;
  /** The state read after recovery. A key missing from the map is taken as absent (nil). */
  readonly recovered: ReadonlyMap<string, KvValue>;
  /** When the fault that recovery follows happened; later operations promised nothing. */
  readonly recoveryMs: number;
}

export interface LostWrite {
  readonly key: string;
  readonly lostOp: OpId;
  readonly recovered: KvValue;
  readonly explanation: string;
}

export interface DurabilityReport {
  readonly name: 'durability';
  readonly ok: boolean;
  readonly details: readonly LostWrite[];
}

/** What a write leaves on one key: a value, "some integer" (unknown incr), or nothing. */
type Produced =
  | { readonly kind: 'value'; readonly value: KvValue }
  | { readonly kind: 'anyInteger' }
  | { readonly kind: 'none' }
  /** Any of these (an unknown transaction whose last write to the key may have failed). */
  | { readonly kind: 'oneOf'; readonly options: readonly Produced[] };

function produced(op: Operation, key: string): Produced {
  const { input, output } = op;
  const unknown = output.type === 'unknown';
  switch (input.type) {
    case 'get':
    case 'mget':
      return { kind: 'none' };
    case 'set':
      return { kind: 'value', value: input.value };
    case 'mset': {
      const last = input.pairs.filter(([k]) => k === key).at(-1);
      return last === undefined ? { kind: 'none' } : { kind: 'value', value: last[1] };
    }
    case 'del':
      return { kind: 'value', value: null };
    case 'cas':
      return unknown || (output.type === 'cas' && output.ok) ? { kind: 'value', value: input.value } : { kind: 'none' };
    case 'incr':
      if (output.type === 'int') return { kind: 'value', value: String(output.value) };
      return unknown ? { kind: 'anyInteger' } : { kind: 'none' };
    case 'txn': {
      // The last operation of the transaction that writes `key` decides what it leaves. With an
      // unknown outcome an incr may also have failed (not an integer), so an earlier write of the
      // key is possible too: collect the alternatives.
      const options: Produced[] = [];
      for (let i = input.ops.length - 1; i >= 0; i--) {
        const sub = input.ops[i]!;
        if (!opKeys(sub).includes(key)) continue;
        const subOut: KvOutput = output.type === 'txn' ? output.outputs[i]! : { type: 'unknown' };
        const p = produced({ ...op, input: sub, output: subOut }, key);
        if (p.kind === 'none') continue;
        options.push(p);
        if (!(p.kind === 'anyInteger' && sub.type === 'incr')) break;
      }
      return options.length === 0 ? { kind: 'none' } : options.length === 1 ? options[0]! : { kind: 'oneOf', options };
    }
    default:
      return unreachable(input, 'kv input');
  }
}

function isAcknowledged(op: Operation): boolean {
  const o = op.output;
  switch (o.type) {
    case 'ok':
    case 'count':
    case 'int':
    case 'txn':
      return true;
    case 'cas':
      return o.ok;
    case 'value':
    case 'values':
    case 'error':
    case 'fail':
    case 'unknown':
      return false;
    default:
      return unreachable(o, 'kv output');
  }
}

function matches(p: Produced, v: KvValue): boolean {
  if (p.kind === 'none') return false;
  if (p.kind === 'oneOf') return p.options.some((o) => matches(o, v));
  if (p.kind === 'anyInteger') return v !== null && /^-?[0-9]+$/.test(v);
  return p.value === v;
}

/** x can be the last write of its key after d: x is d, or x did not finish before d began. */
const canFollow = (x: Operation, d: Operation): boolean => x.id === d.id || !(x.completeMs < d.invokeMs);

export function checkDurability(input: DurabilityInput): DurabilityReport {
  assert(Number.isFinite(input.recoveryMs), 'durability: recoveryMs must be finite');
  const writesByKey = new Map<string, Operation[]>();
  for (const op of input.history) {
    if (op.output.type === 'fail' || op.invokeMs > input.recoveryMs) continue;
    for (const k of new Set(opKeys(op.input))) {
      if (produced(op, k).kind === 'none') continue; // reads, failed swaps, incr errors
      const list = writesByKey.get(k) ?? [];
      list.push(op);
      writesByKey.set(k, list);
    }
  }
  const keys = [...new Set([...writesByKey.keys(), ...input.recovered.keys()])].sort();
  const details: LostWrite[] = [];
  for (const key of keys) {
    const lost = checkKey(key, writesByKey.get(key) ?? [], input);
    if (lost !== null) details.push(lost);
  }
  return { name: 'durability', ok: details.length === 0, details };
}

function checkKey(key: string, writes: readonly Operation[], input: DurabilityInput): LostWrite | null {
  const levelOf = (op: Operation): AckLevel => input.ackLevels?.get(op.id) ?? input.defaultLevel;
  const durable = writes.filter(
    (op) =>
      isAcknowledged(op) &&
      produced(op, key).kind !== 'none' &&
      op.completeMs <= input.recoveryMs &&
      input.survivingLevels.has(levelOf(op)),
  );
  if (durable.length === 0) return null;
  const recovered = input.recovered.get(key) ?? null;
  const candidates = writes.filter((x) => matches(produced(x, key), recovered));
  const unsuperseded = (x: Operation): Operation[] => durable.filter((d) => !canFollow(x, d));
  if (candidates.some((x) => unsuperseded(x).length === 0)) return null;
  // Report the durable write the best candidate fails to follow (or the latest durable one).
  const byInvoke = (a: Operation, b: Operation): number => b.invokeMs - a.invokeMs || b.id - a.id;
  const best = candidates.map(unsuperseded).sort((a, b) => a.length - b.length)[0];
  const lost = (best ?? durable.slice()).slice().sort(byInvoke)[0]!;
  const source =
    candidates.length === 0
      ? recovered === null
        ? 'no write deleted it'
        : 'no write before recovery wrote that value'
      : `every write that could have left it (${candidates.map((c) => `op ${c.id}`).join(', ')}) finished before that write began`;
  return {
    key,
    lostOp: lost.id,
    recovered,
    explanation:
      `${describeInput(lost.input)} by ${lost.client} at [${lost.invokeMs}ms, ${lost.completeMs}ms], ` +
      `acknowledged at level ${levelOf(lost)} which this scenario promises survives, was lost: ` +
      `after recovery ${key} is ${showValue(recovered)}, and ${source}`,
  };
}

export function durabilityCheckResult(report: DurabilityReport): CheckResult {
  return {
    checker: 'durability',
    ok: report.ok,
    kind: 'safety',
    explanation: report.ok ? 'every durable write survived or was superseded' : report.details.map((d) => d.explanation).join('\n'),
    opIds: report.details.map((d) => d.lostOp),
  };
}
