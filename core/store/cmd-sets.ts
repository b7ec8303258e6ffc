// Set commands (t_set.c).

import { bulk, int, ONE, ZERO, type Reply } from '../../net/reply';
import type { Handler } from './types';
import { E, key, keyBuf, lookupTyped } from './util';
import { newSet, setAdd, setRem } from './values';

/** Redis keeps small all-integer sets as a sorted intset; SMEMBERS then answers sorted. */
const intsetEntriesMax = 512;
const intPattern = /^(0|-?[1-9]\d{0,18})$/;

export const sadd: Handler = (s, argv) => {
  const k = key(argv[1]!);
  const t = lookupTyped(s, k, 'set');
  if (t === 'wrongtype') return E.wrongType;
  const v = t?.v ?? newSet();
  const e = t?.e ?? s.create(k, v, Infinity);
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (setAdd(v, key(argv[i]!))) n++;
  s.wrote(e);
  return int(n);
};

export const srem: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return ZERO;
  let n = 0;
  for (let i = 2; i < argv.length; i++) if (setRem(t.v, key(argv[i]!))) n++;
  if (n > 0) s.wrote(t.e);
  return int(n);
};

export const smembers: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  if (t === undefined) return { t: 'set', items: [] };
  let members = [...t.v.s];
  if (members.length <= intsetEntriesMax && members.every((m) => intPattern.test(m))) {
    members = members.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  }
  const items: Reply[] = members.map((m) => bulk(keyBuf(m)));
  return { t: 'set', items };
};

export const sismember: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  return t !== undefined && t.v.s.has(key(argv[2]!)) ? ONE : ZERO;
};

export const scard: Handler = (s, argv) => {
  const t = lookupTyped(s, key(argv[1]!), 'set');
  if (t === 'wrongtype') return E.wrongType;
  return int(t === undefined ? 0 : t.v.s.size);
};
