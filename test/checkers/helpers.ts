// Shared builders for checker tests (not a test file itself).

import type { KvInput, KvOutput, Operation } from '../../sim/history';

export const U = Infinity;

/** A hand-built history: ids are positions, so `ops[i].id === i`. */
export function history(...rows: readonly [client: string, input: KvInput, invokeMs: number, completeMs: number, output: KvOutput][]): Operation[] {
  return rows.map(([client, input, invokeMs, completeMs, output], id) => ({
    id,
    client,
    input,
    invokeMs,
    completeMs: output.type === 'unknown' ? Infinity : completeMs,
    output,
  }));
}

export const get = (key: string): KvInput => ({ type: 'get', key });
export const set = (key: string, value: string): KvInput => ({ type: 'set', key, value });
export const del = (...keys: string[]): KvInput => ({ type: 'del', keys });
export const incr = (key: string, by = 1): KvInput => ({ type: 'incr', key, by });
export const cas = (key: string, expected: string | null, value: string): KvInput => ({ type: 'cas', key, expected, value });
export const mget = (...keys: string[]): KvInput => ({ type: 'mget', keys });
export const mset = (...pairs: [string, string][]): KvInput => ({ type: 'mset', pairs });

export const val = (value: string | null): KvOutput => ({ type: 'value', value });
export const ok: KvOutput = { type: 'ok' };
export const count = (n: number): KvOutput => ({ type: 'count', count: n });
export const int = (n: number): KvOutput => ({ type: 'int', value: n });
export const swapped = (b: boolean): KvOutput => ({ type: 'cas', ok: b });
export const vals = (...values: (string | null)[]): KvOutput => ({ type: 'values', values });
export const unknown: KvOutput = { type: 'unknown' };
export const fail: KvOutput = { type: 'fail', reason: 'rejected' };

/**
 * Plants one definitely stale read: picks a single-key get g and changes its reply to a
 * value v written (uniquely) by a set w_v such that some write w2 that definitely changed
 * the key to something else ran strictly after w_v and completed strictly before g was
 * invoked. Every linearization orders w_v < w2 < g, and nothing else writes v, so the
 * result cannot be linearizable. Returns null when the history offers no such triple.
 */
export function plantStaleRead(ops: readonly Operation[], pick: number): { ops: Operation[]; getId: number } | null {
  const definite = (o: Operation): boolean => o.output.type !== 'unknown' && o.output.type !== 'fail';
  const changes = (o: Operation, key: string): boolean => {
    if (!definite(o)) return false;
    const i = o.input;
    if (i.type === 'set' || i.type === 'incr') return i.key === key && o.output.type !== 'error';
    if (i.type === 'cas') return i.key === key && o.output.type === 'cas' && o.output.ok;
    if (i.type === 'mset') return i.pairs.some(([k]) => k === key);
    if (i.type === 'del') return i.keys.includes(key) && o.output.type === 'count' && o.output.count > 0;
    return false;
  };
  const gets = ops.filter((o) => o.input.type === 'get' && o.output.type === 'value');
  for (let n = 0; n < gets.length; n++) {
    const g = gets[(pick + n) % gets.length]!;
    if (g.input.type !== 'get') continue;
    const key = g.input.key;
    for (const w2 of ops) {
      if (!changes(w2, key) || !(w2.completeMs < g.invokeMs)) continue;
      const wv = ops.find(
        (o) => o.input.type === 'set' && o.input.key === key && definite(o) && o.completeMs < w2.invokeMs,
      );
      if (wv === undefined || wv.input.type !== 'set') continue;
      const stale = wv.input.value;
      const planted = ops.map((o) => (o.id === g.id ? { ...o, output: { type: 'value', value: stale } as const } : o));
      return { ops: planted, getId: g.id };
    }
  }
  return null;
}
