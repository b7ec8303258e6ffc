// Redis's stringmatchlen (util.c): '*', '?', '[...]' with ranges and '^' negation, and
// '\' escapes. Works on latin1 strings, so it is binary-safe.
//
// Every token but '*' matches exactly one char, so a failed match only ever needs to resume
// from the last '*' seen, one char further along the string: at most pattern x string steps
// per key. (Trying every split at every '*' instead, as a plain recursion does, is exponential:
// `a*a*a*...*b` against forty a's, a test of Redis's own suite, never finished.)

/** Patterns longer than this match nothing (Redis gives up at 1000 nested '*'s): a bound on
 *  the work per key, which is at most pattern length x key length. */
export const globPatternCharsMax = 1024;

export function globMatch(p: string, s: string): boolean {
  if (p.length > globPatternCharsMax) return false;
  let pi = 0;
  let si = 0;
  /** Position of the last '*' seen (-1: none yet) and where in `s` its match ends for now. */
  let starPi = -1;
  let starSi = 0;
  while (si < s.length) {
    if (pi < p.length) {
      if (p[pi] === '*') {
        while (pi + 1 < p.length && p[pi + 1] === '*') pi++;
        if (pi + 1 === p.length) return true;
        starPi = pi;
        starSi = si;
        pi++;
        continue;
      }
      const next = matchOne(p, pi, s[si]!);
      if (next >= 0) {
        pi = next;
        si++;
        continue;
      }
    }
    // Mismatch, or pattern used up with string left: the last '*' takes one char more.
    if (starPi < 0) return false;
    pi = starPi + 1;
    starSi++;
    si = starSi;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Matches the one-char token at `pi` (not '*') against `ch`: the position after it, or -1. */
function matchOne(p: string, pi: number, ch: string): number {
  const c = p[pi]!;
  if (c === '?') return pi + 1;
  if (c === '[') {
    const r = matchClass(p, pi + 1, ch);
    return r.matched ? r.next : -1;
  }
  let lit = c;
  if (c === '\\' && pi + 1 < p.length) {
    pi++;
    lit = p[pi]!;
  }
  return lit === ch ? pi + 1 : -1;
}

function matchClass(p: string, start: number, ch: string): { matched: boolean; next: number } {
  let pi = start;
  const not = p[pi] === '^';
  if (not) pi++;
  let match = false;
  for (;;) {
    if (pi >= p.length) {
      pi--; // unterminated class: redis treats the end as closing it
      break;
    }
    const c = p[pi]!;
    if (c === ']') break;
    if (c === '\\' && pi + 1 < p.length) {
      pi++;
      if (p[pi] === ch) match = true;
    } else if (pi + 2 < p.length && p[pi + 1] === '-') {
      let lo = c.charCodeAt(0);
      let hi = p.charCodeAt(pi + 2);
      if (lo > hi) [lo, hi] = [hi, lo];
      const x = ch.charCodeAt(0);
      if (x >= lo && x <= hi) match = true;
      pi += 2;
    } else if (c === ch) {
      match = true;
    }
    pi++;
  }
  return { matched: not ? !match : match, next: pi + 1 };
}
