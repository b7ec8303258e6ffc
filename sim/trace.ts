// A run's trace: one line per event, hashed as it is written. Two runs of one seed must
// produce the same hash; the lines themselves are kept only when asked (replay --trace).

export interface TraceLine {
  /** Virtual time, ms. */
  readonly t: number;
  /** Event kind: send, deliver, drop, timer, disk, crash, restart, pause, ... */
  readonly k: string;
  /** The node (or client) the event happened at, or '-' for the world. */
  readonly n: string;
  /** Kind-specific details, already rendered deterministically. */
  readonly d: string;
}

/** Incremental 64-bit-ish hash (two 32-bit FNV-1a lanes) over the rendered trace. */
export class TraceHasher {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193 ^ 0x5bd1e995;
  count = 0;

  /** Hash one string followed by a separator. */
  addString(s: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    this.h1 = Math.imul(h1 ^ 31, 0x01000193);
    this.h2 = Math.imul(h2 ^ 31, 0x5bd1e995);
  }

  /** Hash a number exactly (time in ms with microsecond resolution, counters) without formatting it. */
  addNumber(x: number): void {
    const lo = x >>> 0;
    const hi = Math.floor(x / 4294967296) | 0;
    let h1 = Math.imul(this.h1 ^ lo, 0x01000193);
    let h2 = Math.imul(this.h2 ^ hi, 0x5bd1e995);
    const frac = Math.round((x - Math.floor(x)) * 1e6);
    h1 = Math.imul(h1 ^ frac, 0x01000193);
    h2 = Math.imul(h2 ^ lo, 0x5bd1e995);
    this.h1 = h1;
    this.h2 = h2 ^ (h2 >>> 13);
  }

  endLine(): void {
    this.h1 = Math.imul(this.h1 ^ 10, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ 10, 0x5bd1e995);
    this.count += 1;
  }

  hex(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }
}

export class Trace {
  private readonly hasher = new TraceHasher();
  readonly lines: TraceLine[] | null;

  constructor(readonly keepLines: boolean) {
    this.lines = keepLines ? [] : null;
  }

  add(t: number, k: string, n: string, d: string): void {
    const h = this.hasher;
    h.addNumber(t);
    h.addString(k);
    h.addString(n);
    h.addString(d);
    h.endLine();
    if (this.lines) this.lines.push({ t, k, n, d });
  }

  get count(): number {
    return this.hasher.count;
  }

  hash(): string {
    return this.hasher.hex();
  }
}
