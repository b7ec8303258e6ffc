// The JSONPath subset RedisJSON's common cases use, and its legacy paths.
//   $            root                  .name / ['name'] / ["name"]   child
//   [n] / [-n]   array index           .* / [*]                      wildcard
//   ..x          recursive descent (x is a name, * or a bracket), pre-order like RedisJSON
// A path starting with `$` is a JSONPath (commands answer arrays of matches); anything
// else is a legacy path (`.`, `.a.b`, `a.b`, `.a[0]`): commands answer one value, the first
// match (RedisJSON v2 semantics). Filters (`[?(...)]`) and slices are not supported.

import type { J } from './json';

export type Seg =
  | { readonly t: 'child'; readonly name: string }
  | { readonly t: 'index'; readonly i: number }
  | { readonly t: 'wild' }
  | { readonly t: 'desc'; readonly then: Seg };

export interface JPath {
  readonly text: string;
  readonly legacy: boolean;
  readonly segs: readonly Seg[];
}

/** A matched value and where it lives (parent null = the document root). */
export interface Match {
  readonly value: J;
  readonly parent: J | null;
  readonly key: string | number;
}

/** Longest path text accepted. */
export const jsonPathCharsMax = 4096;

const nameRe = /[^.[\]\s'"]+/y;
const indexRe = /\[\s*(-?\d+)\s*\]/y;
const quotedRe = /\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/y;
const wildBracketRe = /\[\s*\*\s*\]/y;

export function parsePath(text: string): JPath | null {
  if (text.length > jsonPathCharsMax) return null;
  const legacy = !text.startsWith('$');
  let rest = legacy ? text : text.slice(1);
  if (legacy && rest === '.') rest = '';
  else if (legacy && rest !== '' && rest[0] !== '.' && rest[0] !== '[') rest = `.${rest}`;
  const segs: Seg[] = [];
  let i = 0;
  while (i < rest.length) {
    const descend = rest.startsWith('..', i);
    if (descend) i += 2;
    else if (rest[i] === '.') i += 1;
    else if (rest[i] !== '[') return null;
    const r = parseSeg(rest, i);
    if (r === null) return null;
    segs.push(descend ? { t: 'desc', then: r.seg } : r.seg);
    i = r.next;
  }
  return { text, legacy, segs };
}

function parseSeg(s: string, i: number): { seg: Seg; next: number } | null {
  if (s[i] === '[') {
    for (const [re, mk] of bracketForms) {
      re.lastIndex = i;
      const m = re.exec(s);
      if (m !== null) return { seg: mk(m), next: i + m[0].length };
    }
    return null;
  }
  if (s[i] === '*') return { seg: { t: 'wild' }, next: i + 1 };
  nameRe.lastIndex = i;
  const m = nameRe.exec(s);
  return m === null ? null : { seg: { t: 'child', name: m[0] }, next: i + m[0].length };
}

const bracketForms: readonly [RegExp, (m: RegExpExecArray) => Seg][] = [
  [wildBracketRe, () => ({ t: 'wild' })],
  [indexRe, (m) => ({ t: 'index', i: Number(m[1]) })],
  [quotedRe, (m) => ({ t: 'child', name: (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1') })],
];

export function evalPath(root: J, p: JPath): Match[] {
  let cur: Match[] = [{ value: root, parent: null, key: '' }];
  for (const seg of p.segs) cur = cur.flatMap((m) => step(m.value, seg));
  return cur;
}

function step(v: J, seg: Seg): Match[] {
  switch (seg.t) {
    case 'child': {
      const x = v.t === 'obj' ? v.m.get(seg.name) : undefined;
      return x === undefined ? [] : [{ value: x, parent: v, key: seg.name }];
    }
    case 'index': {
      if (v.t !== 'arr') return [];
      const i = seg.i < 0 ? v.a.length + seg.i : seg.i;
      return i >= 0 && i < v.a.length ? [{ value: v.a[i]!, parent: v, key: i }] : [];
    }
    case 'wild':
      if (v.t === 'obj') return [...v.m].map(([k, x]) => ({ value: x, parent: v, key: k }));
      if (v.t === 'arr') return v.a.map((x, i) => ({ value: x, parent: v, key: i }));
      return [];
    case 'desc':
      return preorder(v).flatMap((x) => step(x, seg.then));
    default:
      return unreachableSeg(seg);
  }
}

/** The node and all its descendants, parents before children. */
function preorder(v: J): J[] {
  const out: J[] = [];
  const visit = (x: J): void => {
    out.push(x);
    if (x.t === 'obj') for (const y of x.m.values()) visit(y);
    else if (x.t === 'arr') for (const y of x.a) visit(y);
  };
  visit(v);
  return out;
}

/** Replace the value at a match's location (not the root: the caller handles that). */
export function replaceAt(m: Match, x: J): void {
  const p = m.parent;
  if (p?.t === 'obj') p.m.set(m.key as string, x);
  else if (p?.t === 'arr') p.a[m.key as number] = x;
}

function unreachableSeg(x: never): never {
  throw new Error(`unreachable path segment ${String(x)}`);
}
