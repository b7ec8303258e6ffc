// KEYS/SCAN MATCH/HSCAN MATCH/CONFIG GET patterns (core/store/glob.ts) against a plain
// backtracking matcher that tries every split at every '*' (the obvious reading of Redis's
// stringmatchlen), on small random patterns; and the patterns of Redis's own test suite that
// make such a matcher exponential.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { globMatch, globPatternCharsMax } from '../../core/store/glob';

/** The reference: exponential in the number of '*', fine for patterns of a few chars. */
function reference(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      for (let k = si; k <= s.length; k++) if (reference(p, pi + 1, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      pi++;
    } else if (c === '[') {
      let q = pi + 1;
      const not = p[q] === '^';
      if (not) q++;
      let match = false;
      for (;;) {
        if (q >= p.length) {
          q--;
          break;
        }
        if (p[q] === '\\' && q + 1 < p.length) {
          q++;
          if (p[q] === s[si]) match = true;
        } else if (p[q] === ']') {
          break;
        } else if (q + 2 < p.length && p[q + 1] === '-') {
          const [lo, hi] = [p.charCodeAt(q), p.charCodeAt(q + 2)].sort((a, b) => a - b) as [number, number];
          if (s.charCodeAt(si) >= lo && s.charCodeAt(si) <= hi) match = true;
          q += 2;
        } else if (p[q] === s[si]) {
          match = true;
        }
        q++;
      }
      if (not ? match : !match) return false;
      pi = q + 1;
    } else {
      let lit = c;
      if (c === '\\' && pi + 1 < p.length) lit = p[++pi]!;
      if (lit !== s[si]) return false;
      pi++;
    }
    si++;
  }
  return si === s.length;
}

describe('globMatch', () => {
  it('agrees with the backtracking reference on random patterns and strings', () => {
    const pattern = fc.array(fc.constantFrom('a', 'b', '-', '*', '?', '[', ']', '^', '\\'), { maxLength: 9 }).map((cs) => cs.join(''));
    const str = fc.array(fc.constantFrom('a', 'b', '-', ']', '\\', '^'), { maxLength: 8 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(pattern, str, (p, s) => {
        expect(globMatch(p, s)).toBe(reference(p, 0, s, 0));
      }),
      { numRuns: 20_000 },
    );
  });

  it('answers the patterns that make a plain backtracking matcher exponential', () => {
    // Redis's tests/unit/keyspace.tcl "Regression for pattern matching long nested loops".
    expect(globMatch('a*'.repeat(20) + 'b', 'a'.repeat(40))).toBe(false);
    expect(globMatch('a*'.repeat(20) + 'a', 'a'.repeat(40))).toBe(true);
    expect(globMatch('*a'.repeat(500) + '*b', 'a'.repeat(600))).toBe(false);
    // "... very long nested loops": too long a pattern matches nothing, as in Redis.
    expect(globMatch('*?'.repeat(50_000), 'a'.repeat(50_000))).toBe(false);
    expect(globMatch('*'.repeat(globPatternCharsMax), 'anything')).toBe(true);
    expect(globMatch('*'.repeat(globPatternCharsMax + 1), 'anything')).toBe(false);
  });
});
