// Value serialization shared by snapshots (Store.snapshot/restore) and KSRESTORE, the
// internal command COPY logs: msgpack of [type, payload], binary safe, deterministic.

import { decode, encode } from '@msgpack/msgpack';
import { parseJson, serializeJson } from './json';
import { hashSet, isStr, listRecount, newHash, newJson, newList, newSet, newZSet, setAdd, strBuffer, strData, valueLength, zsetPut, type Value, type ValueType } from './values';

export type Payload = Uint8Array | Uint8Array[] | [Uint8Array, number][];

export const latin1Bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
export const bytesLatin1 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('latin1');
const copyBuf = (u: Uint8Array): Buffer => Buffer.from(u);

export function encodeValue(v: Value): [ValueType, Payload] {
  if (isStr(v)) return ['string', strBuffer(v)];
  switch (v.type) {
    case 'hash':
      return ['hash', [...v.m].flatMap(([f, x]) => [latin1Bytes(f), x])];
    case 'list':
      return ['list', v.a.toArray()];
    case 'set':
      return ['set', [...v.s].map(latin1Bytes)];
    case 'zset':
      return ['zset', [...v.scores].map(([m, sc]) => [latin1Bytes(m), sc] as [Uint8Array, number])];
    case 'json':
      return ['json', Buffer.from(serializeJson(v.doc), 'utf8')];
    default:
      return unreachableValue(v);
  }
}

/** Inverse of encodeValue. Throws on a malformed payload (callers that take outside input catch). */
export function decodeValue(type: ValueType, p: Payload): Value {
  switch (type) {
    case 'string':
      return strData(p as Uint8Array, false);
    case 'hash': {
      const h = newHash();
      const a = p as Uint8Array[];
      for (let i = 0; i < a.length; i += 2) hashSet(h, bytesLatin1(a[i]!), copyBuf(a[i + 1]!));
      return h;
    }
    case 'list': {
      const l = newList();
      l.a.replace((p as Uint8Array[]).map(copyBuf));
      listRecount(l);
      return l;
    }
    case 'set': {
      const s = newSet();
      for (const m of p as Uint8Array[]) setAdd(s, bytesLatin1(m));
      return s;
    }
    case 'zset': {
      const z = newZSet();
      for (const [m, sc] of p as [Uint8Array, number][]) {
        if (typeof sc !== 'number' || Number.isNaN(sc)) throw new Error('bad zset score');
        zsetPut(z, bytesLatin1(m), sc);
      }
      return z;
    }
    case 'json': {
      const r = parseJson(copyBuf(p as Uint8Array));
      if (!r.ok) throw new Error(r.error);
      return newJson(r.j);
    }
    default:
      return unreachableValue(type);
  }
}

/** One value as bytes (KSRESTORE's payload). */
export function dumpValue(v: Value): Buffer {
  const bytes = encode(encodeValue(v));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A deep copy of a value (COPY). */
export const copyValue = (v: Value): Value => loadValue(dumpValue(v))!;

/** Parse dumpValue's bytes; null when they are not a well-formed, non-empty value. */
export function loadValue(b: Buffer): Value | null {
  try {
    const x = decode(b) as unknown;
    if (!Array.isArray(x) || x.length !== 2 || !(String(x[0]) in typeTags)) return null;
    const v = decodeValue(x[0] as ValueType, x[1] as Payload);
    return valueLength(v) > 0 ? v : null;
  } catch {
    return null;
  }
}

const typeTags = { string: 1, hash: 1, list: 1, set: 1, zset: 1, json: 1 } as const satisfies Record<ValueType, 1>;

function unreachableValue(x: never): never {
  throw new Error(`unreachable value type ${String(x)}`);
}
