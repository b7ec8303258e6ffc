// A deliberately simple reference model of the store: plain maps and arrays, no memory
// accounting, no sampling. Each command computes the reply redis would give.

import { array, bulk, double, err, Errors, int, NULL, OK, simple, type Reply } from '../../net/reply';

export type MVal =
  | { t: 'string'; s: string }
  | { t: 'hash'; f: [string, string][] }
  | { t: 'list'; a: string[] }
  | { t: 'set'; m: string[] }
  | { t: 'zset'; z: [string, number][] }
  /** A JSON document as its compact serialization (the model only uses whole documents). */
  | { t: 'json'; doc: string };

export interface MEntry {
  v: MVal;
  deadline: number;
}

export interface Model {
  now: number;
  db: number;
  dbs: Map<string, MEntry>[];
}

export const newModel = (now: number, databases: number): Model => ({
  now,
  db: 0,
  dbs: Array.from({ length: databases }, () => new Map()),
});

export const WRONGTYPE = err(Errors.wrongType);
export const b = (s: string): Reply => bulk(Buffer.from(s, 'latin1'));

/** The live entry of k (a key past its deadline is gone). */
export function live(m: Model, k: string): MEntry | undefined {
  const e = m.dbs[m.db]!.get(k);
  if (e !== undefined && e.deadline <= m.now) {
    m.dbs[m.db]!.delete(k);
    return undefined;
  }
  return e;
}

export function typed<T extends MVal['t']>(m: Model, k: string, t: T): Extract<MVal, { t: T }> | undefined | 'wrong' {
  const e = live(m, k);
  if (e === undefined) return undefined;
  return e.v.t === t ? (e.v as Extract<MVal, { t: T }>) : 'wrong';
}

export function put(m: Model, k: string, v: MVal, deadline = Infinity): void {
  m.dbs[m.db]!.set(k, { v, deadline });
}

/** Delete k when its container became empty, as redis does. */
export function dropIfEmpty(m: Model, k: string): void {
  const e = m.dbs[m.db]!.get(k);
  if (e === undefined) return;
  const v = e.v;
  const n = v.t === 'hash' ? v.f.length : v.t === 'list' ? v.a.length : v.t === 'set' ? v.m.length : v.t === 'zset' ? v.z.length : 1;
  if (n === 0) m.dbs[m.db]!.delete(k);
}

export const zsorted = (z: [string, number][]): [string, number][] =>
  [...z].sort((x, y) => (x[1] !== y[1] ? x[1] - y[1] : x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));

export const replies = { OK, NULL, int, array, double, simple, err };
