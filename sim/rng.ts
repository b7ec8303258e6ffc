// All randomness of a run comes from its seed. The seed is split into independent named
// streams (network, disk, workload, faults, node:<id>, ...) so that drawing more from one
// stream — adding a fault, say — does not reshuffle the others.

import seedrandom from 'seedrandom';
import type { Rng } from '../net/types';

export type StreamName = 'network' | 'disk' | 'workload' | 'faults' | 'crash' | 'schedule' | `node:${string}` | `client:${string}`;

/** A fast seeded generator (seedrandom's alea) behind the Rng interface. */
export class SeededRng implements Rng {
  private readonly prng: () => number;

  constructor(seed: string) {
    this.prng = seedrandom.alea(seed);
  }

  next(): number {
    return this.prng();
  }

  int(n: number): number {
    if (n <= 1) return 0;
    return Math.floor(this.prng() * n);
  }

  chance(p: number): boolean {
    return p > 0 && (p >= 1 || this.prng() < p);
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.prng();
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.prng());
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)] as T;
  }
}

/** The run's seed, split into named streams created on first use. */
export class RngStreams {
  private readonly streams = new Map<string, SeededRng>();

  constructor(readonly seed: number | string) {}

  get(name: StreamName): SeededRng {
    let s = this.streams.get(name);
    if (!s) {
      s = new SeededRng(`keepsake:${this.seed}:${name}`);
      this.streams.set(name, s);
    }
    return s;
  }
}
