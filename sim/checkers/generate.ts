// Seeded generator of histories from a REAL sequential key-value store, for the checker's
// property tests and its benchmark. Clients run one operation at a time; each operation
// takes effect at one instant strictly inside its [invoke, complete] window (so the
// history is linearizable by construction), unless its reply is lost: then it takes effect
// at some instant after its invoke — possibly after the client moved on — or never.
// The store below is written independently of kv-model.ts, so the two check each other.

import seedrandom from 'seedrandom';
import { assert, unreachable } from '../../net/types';
import type { KvInput, KvOutput, KvValue, Operation } from '../history';

export interface GenerateOptions {
  readonly seed: string;
  readonly ops: number;
  readonly keys: number;
  readonly clients: number;
  /** Probability that a reply is lost (the operation becomes `unknown`). */
  readonly unknownRate: number;
  /** Probability that a lost-reply operation took effect anyway. */
  readonly unknownAppliedRate: number;
  /** Probability that the server rejects an operation outright (`fail`, no effect). */
  readonly failRate: number;
  /** Probability that an operation is mget/mset/del over several keys. */
  readonly multiKeyRate: number;
  /** Latency from invoke to effect, and from effect to reply, each uniform in [0, this]. */
  readonly latencyMsMax: number;
  /** How long a client waits for a reply before giving up on it. */
  readonly timeoutMs: number;
}

export const generateDefaults: Omit<GenerateOptions, 'seed' | 'ops' | 'keys' | 'clients'> = {
  unknownRate: 0.05,
  unknownAppliedRate: 0.5,
  failRate: 0.02,
  multiKeyRate: 0,
  latencyMsMax: 10,
  timeoutMs: 40,
};

export const generateOpsMax = 1_000_000;
const multiKeysMax = 3;

interface Planned {
  client: string;
  input: KvInput;
  invokeMs: number;
  completeMs: number;
  /** When it takes effect; null = never. */
  effectMs: number | null;
  outcome: 'reply' | 'unknown' | 'fail';
}

export function generateKvHistory(options: GenerateOptions): Operation[] {
  assert(options.ops >= 0 && options.ops <= generateOpsMax, `generate: ${options.ops} ops`);
  assert(options.keys >= 1 && options.clients >= 1, 'generate: need keys and clients');
  const prng = seedrandom.alea(options.seed);
  const int = (n: number): number => Math.floor(prng() * n);
  const chance = (p: number): boolean => prng() < p;
  const clientFreeMs = Array.from({ length: options.clients }, () => int(options.latencyMsMax + 1));
  const seq = new Array<number>(options.clients).fill(0);
  const planned: Planned[] = [];
  for (let n = 0; n < options.ops; n++) {
    let c = 0;
    for (let i = 1; i < options.clients; i++) if (clientFreeMs[i]! < clientFreeMs[c]!) c = i;
    const client = `c${c}`;
    const invokeMs = clientFreeMs[c]!;
    const input = randomInput(int, chance, options, `${client}.${seq[c]!++}`);
    const effectMs = invokeMs + 1 + int(options.latencyMsMax);
    const completeMs = effectMs + 1 + int(options.latencyMsMax);
    const outcome = chance(options.failRate) ? 'fail' : chance(options.unknownRate) ? 'unknown' : 'reply';
    if (outcome === 'unknown') {
      const applied = chance(options.unknownAppliedRate);
      const lateEffectMs = invokeMs + 1 + int(3 * options.timeoutMs);
      planned.push({ client, input, invokeMs, completeMs: Infinity, effectMs: applied ? lateEffectMs : null, outcome });
      clientFreeMs[c] = invokeMs + options.timeoutMs + int(3);
    } else {
      planned.push({ client, input, invokeMs, completeMs, effectMs: outcome === 'fail' ? null : effectMs, outcome });
      clientFreeMs[c] = completeMs + int(3);
    }
  }
  planned.sort((a, b) => a.invokeMs - b.invokeMs);
  const outputs = runSequentially(planned);
  return planned.map((p, id) => ({
    id,
    client: p.client,
    input: p.input,
    invokeMs: p.invokeMs,
    completeMs: p.outcome === 'reply' ? p.completeMs : p.outcome === 'fail' ? p.invokeMs + 1 : Infinity,
    output: p.outcome === 'reply' ? outputs[id]! : p.outcome === 'fail' ? { type: 'fail', reason: 'rejected' } : { type: 'unknown' },
  }));
}

function randomInput(
  int: (n: number) => number,
  chance: (p: number) => boolean,
  options: GenerateOptions,
  unique: string,
): KvInput {
  const key = (): string => `k${int(options.keys)}`;
  const keys = (): string[] => Array.from({ length: 2 + int(multiKeysMax - 1) }, key);
  if (chance(options.multiKeyRate)) {
    const r = int(3);
    if (r === 0) return { type: 'mget', keys: keys() };
    if (r === 1) return { type: 'mset', pairs: keys().map((k, i) => [k, `${unique}/${i}`] as const) };
    return { type: 'del', keys: keys() };
  }
  const k = key();
  const r = int(20);
  if (r < 8) return { type: 'get', key: k };
  if (r < 13) return { type: 'set', key: k, value: unique };
  if (r < 14) return { type: 'del', keys: [k] };
  if (r < 17) return { type: 'incr', key: k, by: 1 + int(3) };
  // cas: expect absent, or a value some client may have written (ours is c<i>.<n>).
  const expected = chance(0.3) ? null : `c${int(options.clients)}.${int(Math.max(1, Number(unique.split('.')[1]) + 1))}`;
  return { type: 'cas', key: k, expected, value: unique };
}

/** The real store: applies effects in effect-time order and records each reply. */
function runSequentially(planned: readonly Planned[]): KvOutput[] {
  const store = new Map<string, string>();
  const outputs: KvOutput[] = new Array(planned.length);
  const order = planned
    .map((p, id) => ({ p, id }))
    .filter(({ p }) => p.effectMs !== null)
    .sort((a, b) => a.p.effectMs! - b.p.effectMs! || a.id - b.id);
  for (const { p, id } of order) outputs[id] = apply(store, p.input);
  return outputs;
}

function apply(store: Map<string, string>, input: KvInput): KvOutput {
  const read = (k: string): KvValue => store.get(k) ?? null;
  switch (input.type) {
    case 'get':
      return { type: 'value', value: read(input.key) };
    case 'set':
      store.set(input.key, input.value);
      return { type: 'ok' };
    case 'del': {
      let count = 0;
      for (const k of new Set(input.keys)) if (store.delete(k)) count++;
      return { type: 'count', count };
    }
    case 'incr': {
      const current = store.get(input.key) ?? '0';
      const n = /^-?(0|[1-9][0-9]*)$/.test(current) ? Number(current) : NaN;
      if (!Number.isSafeInteger(n) || !Number.isSafeInteger(n + input.by)) return { type: 'error', error: 'notInteger' };
      store.set(input.key, String(n + input.by));
      return { type: 'int', value: n + input.by };
    }
    case 'cas': {
      if (read(input.key) !== input.expected) return { type: 'cas', ok: false };
      store.set(input.key, input.value);
      return { type: 'cas', ok: true };
    }
    case 'mget':
      return { type: 'values', values: input.keys.map(read) };
    case 'mset':
      for (const [k, v] of input.pairs) store.set(k, v);
      return { type: 'ok' };
    case 'txn':
      return { type: 'txn', outputs: input.ops.map((op) => apply(store, op)) };
    default:
      return unreachable(input, 'kv input');
  }
}
