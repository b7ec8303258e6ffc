// The simulator's one event queue: a binary min-heap ordered by (time, sequence number).
// The sequence number is the order of scheduling, so ties break deterministically.

export interface Queued<E> {
  readonly at: number;
  readonly seq: number;
  readonly ev: E;
}

export class EventQueue<E> {
  private heap: Queued<E>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, ev: E): void {
    const item: Queued<E> = { at, seq: this.seq++, ev };
    const h = this.heap;
    let i = h.length;
    h.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!before(item, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = item;
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]!.at : Infinity;
  }

  pop(): Queued<E> | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function before<E>(a: Queued<E>, b: Queued<E>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
