// A list of Buffers with O(1) amortised push and pop at both ends (LPUSH/RPOP queues),
// O(1) indexing: the list is reverse(front) ++ back. When one side runs dry, half of the
// other side is moved over, so a long run of pops from one end stays amortised O(1).

export class Deque {
  private front: Buffer[] = [];
  private back: Buffer[] = [];

  static from(items: readonly Buffer[]): Deque {
    const d = new Deque();
    d.back = items.slice();
    return d;
  }

  get length(): number {
    return this.front.length + this.back.length;
  }

  at(i: number): Buffer | undefined {
    if (i < 0 || i >= this.length) return undefined;
    const f = this.front.length;
    return i < f ? this.front[f - 1 - i] : this.back[i - f];
  }

  set(i: number, v: Buffer): void {
    const f = this.front.length;
    if (i < f) this.front[f - 1 - i] = v;
    else this.back[i - f] = v;
  }

  pushFront(v: Buffer): void {
    this.front.push(v);
  }

  pushBack(v: Buffer): void {
    this.back.push(v);
  }

  popFront(): Buffer | undefined {
    if (this.front.length === 0) this.rebalance(this.back, this.front);
    return this.front.pop();
  }

  popBack(): Buffer | undefined {
    if (this.back.length === 0) this.rebalance(this.front, this.back);
    return this.back.pop();
  }

  /** Insert `v` so that it becomes element i (0 <= i <= length): O(n) at worst, as in Redis. */
  insert(i: number, v: Buffer): void {
    const f = this.front.length;
    // front holds elements 0..f-1 reversed: element i-1 sits at front[f-i].
    if (i <= f) this.front.splice(f - i, 0, v);
    else this.back.splice(i - f, 0, v);
  }

  /** Elements [from, to) in order. */
  slice(from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = from; i < to; i++) out.push(this.at(i)!);
    return out;
  }

  toArray(): Buffer[] {
    return this.front.slice().reverse().concat(this.back);
  }

  /** Replace the contents (LREM, LTRIM rebuild the list). */
  replace(items: Buffer[]): void {
    this.front = [];
    this.back = items;
  }

  /**
   * Move the half of `from` nearest the empty side into `to`. `from` and `to` are the two
   * internal arrays, which store their ends in opposite directions.
   */
  private rebalance(from: Buffer[], to: Buffer[]): void {
    if (from.length === 0) return;
    const n = Math.ceil(from.length / 2);
    // The elements nearest the empty end are at the *start* of `from`.
    const moved = from.splice(0, n);
    moved.reverse();
    for (const x of moved) to.push(x);
  }
}
