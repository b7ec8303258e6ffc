// Inline command splitting with the quoting rules of redis's sdssplitargs (sds.c):
// blanks separate arguments; "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes
// (any other escaped byte stands for itself); 'single quotes' take only \'; a closing
// quote must be followed by a blank or the end of the line. Returns null for "unbalanced
// quotes". The line holds no NUL byte (the parser never completes such a line, as redis),
// so 0 stands for "end of line" below, as in the C original.

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;

/** C isspace() in the "C" locale: space, \t, \n, \v, \f, \r. */
function isSpace(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const escapes: Readonly<Record<number, number>> = {
  0x6e: LF, // \n
  0x72: CR, // \r
  0x74: TAB, // \t
  0x62: 0x08, // \b
  0x61: 0x07, // \a
};

/** Split line bytes [from, end) into arguments, or null on unbalanced quotes. */
export function splitInlineArgs(line: Buffer, from: number, end: number): Buffer[] | null {
  const at = (i: number): number => (i < end ? (line[i] as number) : 0);
  const args: Buffer[] = [];
  let p = from;
  for (;;) {
    while (p < end && isSpace(at(p))) p++;
    if (p >= end) return args;
    const token = readToken(at, p);
    if (token === null) return null;
    args.push(Buffer.from(token.bytes));
    p = token.next;
  }
}

type Token = { bytes: number[]; next: number };

/** One argument starting at p (not a blank). Mirrors sdssplitargs' inner loop. */
function readToken(at: (i: number) => number, start: number): Token | null {
  const bytes: number[] = [];
  /** The open quote (DQUOTE or SQUOTE); 0 outside quotes. */
  let quote = 0;
  let p = start;
  for (let done = false; !done; ) {
    const c = at(p);
    if (quote === DQUOTE && c === BACKSLASH && at(p + 1) === 0x78 && hexValue(at(p + 2)) >= 0 && hexValue(at(p + 3)) >= 0) {
      bytes.push(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
      p += 3;
    } else if (quote === DQUOTE && c === BACKSLASH && at(p + 1) !== 0) {
      p++;
      const e = at(p);
      bytes.push(escapes[e] ?? e);
    } else if (quote === SQUOTE && c === BACKSLASH && at(p + 1) === SQUOTE) {
      p++;
      bytes.push(SQUOTE);
    } else if (quote !== 0 && c === quote) {
      // A closing quote must end the argument.
      if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
      done = true;
    } else if (quote !== 0 && c === 0) {
      return null; // unterminated quotes
    } else if (quote === 0 && (c === SPACE || c === LF || c === CR || c === TAB || c === 0)) {
      done = true;
    } else if (quote === 0 && (c === DQUOTE || c === SQUOTE)) {
      quote = c;
    } else {
      bytes.push(c);
    }
    if (at(p) !== 0) p++;
  }
  return { bytes, next: p };
}
