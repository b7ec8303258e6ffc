// The sequential specification the linearizability checker tests histories against: a
// key-value store restricted to the keys of one partition (Porcupine's P-compositionality:
// a history is linearizable iff each independent part is, so parts are checked alone;
// keys linked by a multi-key operation form one part with a multi-key state).
//
// A state is an immutable array of values, one slot per key of the part. `step` answers
// whether the operation, applied to the state, could have produced the recorded output,
// and if so the next state. An `unknown` output accepts every outcome (the operation's
// effect still happens when it is linearized; a never-applied operation is linearized
// after everything, where nothing can observe it).

import { assert, unreachable } from '../../net/types';
import { opKeys, type KvInput, type KvOutput, type KvValue } from '../history';

export type KvState = readonly KvValue[];

/** Biggest number of keys one part's state may span (a guard, not a tuning knob). */
export const modelKeysMax = 100_000;

export interface KvModel {
  readonly keys: readonly string[];
  readonly init: KvState;
  /** Next state, or null when the output is impossible from `state`. */
  step(state: KvState, input: KvInput, output: KvOutput): KvState | null;
  /** A string equal for equal states and different for different ones. */
  hash(state: KvState): string;
  /** The state slots an operation touches (no duplicates). */
  slotsOf(input: KvInput): readonly number[];
}

const integerRe = /^-?(0|[1-9][0-9]*)$/;

/** Redis's reading of a value as an integer (absent = 0); null when it is not one. */
export function parseInteger(v: KvValue): number | null {
  if (v === null) return 0;
  if (!integerRe.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

export function kvModel(keys: readonly string[]): KvModel {
  assert(keys.length > 0 && keys.length <= modelKeysMax, `kv model: ${keys.length} keys`);
  const slot = new Map<string, number>();
  keys.forEach((k, i) => slot.set(k, i));
  assert(slot.size === keys.length, 'kv model: duplicate keys');
  const at = (key: string): number => {
    const i = slot.get(key);
    assert(i !== undefined, `kv model: key ${key} is not in this part`);
    return i;
  };
  return {
    keys,
    init: keys.map(() => null),
    step: (state, input, output) => stepKv(state, input, output, at),
    hash: keys.length === 1 ? hashOne : hashMany,
    slotsOf: (input) => [...new Set(opKeys(input).map(at))],
  };
}

function hashOne(state: KvState): string {
  const v = state[0];
  return v === null || v === undefined ? '' : `=${v}`;
}

function hashMany(state: KvState): string {
  return JSON.stringify(state);
}

function withValues(state: KvState, writes: readonly (readonly [number, KvValue])[]): KvState {
  const next = state.slice();
  for (const [i, v] of writes) next[i] = v;
  return next;
}

function stepKv(state: KvState, input: KvInput, output: KvOutput, at: (k: string) => number): KvState | null {
  assert(output.type !== 'fail', 'kv model: failed operations are dropped before checking');
  const unknown = output.type === 'unknown';
  switch (input.type) {
    case 'get': {
      if (unknown) return state;
      return output.type === 'value' && output.value === state[at(input.key)] ? state : null;
    }
    case 'set':
      return unknown || output.type === 'ok' ? withValues(state, [[at(input.key), input.value]]) : null;
    case 'mset':
      return unknown || output.type === 'ok' ? withValues(state, input.pairs.map(([k, v]) => [at(k), v] as const)) : null;
    case 'del': {
      const slots = [...new Set(input.keys.map(at))];
      const existing = slots.filter((i) => state[i] !== null).length;
      if (!unknown && !(output.type === 'count' && output.count === existing)) return null;
      return existing === 0 ? state : withValues(state, slots.map((i) => [i, null] as const));
    }
    case 'incr':
      return stepIncr(state, at(input.key), input.by, output);
    case 'cas': {
      const i = at(input.key);
      const matches = state[i] === input.expected;
      if (!unknown && !(output.type === 'cas' && output.ok === matches)) return null;
      return matches ? withValues(state, [[i, input.value]]) : state;
    }
    case 'mget': {
      if (unknown) return state;
      if (output.type !== 'values' || output.values.length !== input.keys.length) return null;
      return input.keys.every((k, j) => output.values[j] === state[at(k)]) ? state : null;
    }
    case 'txn': {
      // Atomic: each operation in order against the state the previous ones left.
      if (!unknown && (output.type !== 'txn' || output.outputs.length !== input.ops.length)) return null;
      let cur: KvState | null = state;
      for (let i = 0; i < input.ops.length && cur !== null; i++) {
        const sub: KvOutput = unknown ? UNKNOWN_OUT : (output as { outputs: readonly KvOutput[] }).outputs[i]!;
        cur = stepKv(cur, input.ops[i]!, sub, at);
      }
      return cur;
    }
    default:
      return unreachable(input, 'kv input');
  }
}

const UNKNOWN_OUT: KvOutput = Object.freeze({ type: 'unknown' });

function stepIncr(state: KvState, i: number, by: number, output: KvOutput): KvState | null {
  const current = parseInteger(state[i] ?? null);
  const next = current === null ? null : current + by;
  const fails = next === null || !Number.isSafeInteger(next);
  if (output.type === 'unknown') return fails ? state : withValues(state, [[i, String(next)]]);
  if (fails) return output.type === 'error' ? state : null;
  return output.type === 'int' && output.value === next ? withValues(state, [[i, String(next)]]) : null;
}
