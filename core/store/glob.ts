// Redis's stringmatchlen (util.c): '*', '?', '[...]' with ranges and '^' negation, and
// '\' escapes. Works on latin1 strings, so it is binary-safe. Recursion depth is bounded
// by the number of '*' in the pattern, which is capped.

/** Patterns longer than this are refused (redis caps recursion similarly). */
export const globPatternCharsMax = 1024;

export function globMatch(pattern: string, s: string): boolean {
  if (pattern.length > globPatternCharsMax) return false;
  return matchFrom(pattern, 0, s, 0, 0);
}

function matchFrom(p: string, pi: number, s: string, si: number, depth: number): boolean {
  if (depth > globPatternCharsMax) return false;
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      while (pi + 1 < p.length && p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) {
        if (matchFrom(p, pi + 1, s, k, depth + 1)) return true;
      }
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      const r = matchClass(p, pi + 1, s[si]!);
      if (!r.matched) return false;
      pi = r.next;
      si++;
      continue;
    }
    let lit = c;
    if (c === '\\' && pi + 1 < p.length) {
      pi++;
      lit = p[pi]!;
    }
    if (lit !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
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
