// The golden file format, shared by the generator (scripts/golden-from-redis.ts) and the
// replay test. A file is a sequence of cases:
//   # comment (ignored)            blank lines are ignored too
//   > SET k "hello world"          one request, split like redis-cli (sdssplitargs)
//   OK                             the reply exactly as `redis-cli --no-raw` printed it
// Expected lines run until the next request, comment or blank line.

export interface GoldenCase {
  readonly line: number;
  readonly request: string;
  readonly expected: string[];
}

export function parseGolden(text: string): GoldenCase[] {
  const cases: GoldenCase[] = [];
  let cur: GoldenCase | null = null;
  text.split('\n').forEach((raw, i) => {
    if (raw.startsWith('> ')) {
      cur = { line: i + 1, request: raw.slice(2), expected: [] };
      cases.push(cur);
    } else if (raw === '' || raw.startsWith('#')) {
      cur = null;
    } else if (cur !== null) {
      cur.expected.push(raw);
    } else {
      throw new Error(`line ${i + 1}: expected output without a request`);
    }
  });
  return cases;
}

/** Rewrite a golden file's expected outputs, keeping requests and comments in place. */
export function rewriteGolden(text: string, replies: readonly string[]): string {
  const out: string[] = [];
  let n = 0;
  let skipping = false;
  for (const raw of text.split('\n')) {
    if (raw.startsWith('> ')) {
      out.push(raw, ...replies[n++]!.split('\n'));
      skipping = true;
    } else if (raw === '' || raw.startsWith('#')) {
      out.push(raw);
      skipping = false;
    } else if (!skipping) {
      out.push(raw);
    }
  }
  return out.join('\n');
}

/** redis's sdssplitargs: spaces separate; "..." with \n \r \t \b \a \" \\ \xHH; '...' literal. */
export function splitArgs(line: string): Buffer[] {
  const args: Buffer[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    const bytes: number[] = [];
    const q = line[i];
    if (q === '"' || q === "'") {
      i++;
      while (i < line.length && line[i] !== q) {
        if (q === '"' && line[i] === '\\' && i + 1 < line.length) {
          const c = line[i + 1]!;
          if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
            bytes.push(parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          const esc: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, a: 7 };
          bytes.push(esc[c] ?? c.charCodeAt(0));
          i += 2;
        } else if (q === "'" && line[i] === '\\' && line[i + 1] === "'") {
          bytes.push(0x27);
          i += 2;
        } else {
          bytes.push(...Buffer.from(line[i]!));
          i++;
        }
      }
      if (i >= line.length) throw new Error(`unbalanced quotes in: ${line}`);
      i++;
    } else {
      while (i < line.length && !/\s/.test(line[i]!)) bytes.push(...Buffer.from(line[i++]!));
    }
    args.push(Buffer.from(bytes));
  }
  return args;
}
