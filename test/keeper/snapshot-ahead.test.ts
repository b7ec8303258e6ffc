// Snapshots from a state kept outside the Keeper (`snapshotAhead`, what a solo Keeper gets from
// its Core): taken at the source's own offset, possibly ahead of the durable log, held until the
// log is durable up to there, and written only if the term there agrees.
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../net/types';
import type { AheadSnapshot } from '../../core/keeper/keeper';
import { snapshotName } from '../../core/keeper/files';
import { Harness, ToyLog, appendOf, payloadOf } from './harness';

const k1 = nodeId('keeper1');
const cfg = { id: k1, peers: [], snapshotEveryRecords: 5, snapshotEveryBytes: 1 << 20, segmentBytesMax: 4096 };

/** A source whose next snapshot is set by the test (a Core ahead of the Keeper). */
class Ahead extends ToyLog {
  next: AheadSnapshot | null = null;
  asked = 0;
  snapshotAhead(): AheadSnapshot | null {
    this.asked += 1;
    return this.next;
  }
}

/** The source's state, in the form the harness's ToyLog restores (a list of strings). */
const state = (upTo: number) => Buffer.from(JSON.stringify([`state at ${upTo}`]));

function setup(next: AheadSnapshot | null) {
  const h = new Harness();
  const sm = new Ahead();
  sm.next = next;
  const n = h.add(cfg, undefined, sm);
  h.run();
  const append = (from: number, count: number, term = 1) => {
    h.send(k1, appendOf(from, count, term));
    h.run();
  };
  const snapFiles = () => n.disk.fileNames().filter((f) => f.endsWith('.snap'));
  return { h, n, sm, append, snapFiles };
}

describe('keeper snapshots from a source ahead of it', () => {
  it('holds a snapshot ahead of the durable log until the log is durable up to it', () => {
    const { n, sm, append, snapFiles } = setup({ offset: 8, term: 1, data: state(8) });
    append(1, 5); // due at 5; the source is at 8
    expect(sm.asked).toBe(1);
    expect(n.keeper.durableOffset).toBe(5);
    expect(snapFiles()).toEqual([]);
    append(6, 2); // durable 7: still short of 8
    expect(snapFiles()).toEqual([]);
    append(8, 1); // durable 8: written now, as the state at 8
    expect(snapFiles()).toEqual([snapshotName(8)]);
    expect(n.keeper.snapshotOffset).toBe(8);
    expect(sm.asked).toBe(1); // held, not asked again
  });

  it('drops a held snapshot whose term disagrees with the log at its offset', () => {
    const { n, sm, append, snapFiles } = setup({ offset: 6, term: 9, data: state(6) });
    append(1, 5);
    append(6, 1);
    expect(n.keeper.durableOffset).toBe(6);
    expect(snapFiles()).toEqual([]);
    expect(n.keeper.snapshotOffset).toBe(0);
    sm.next = { offset: 7, term: 1, data: state(7) };
    append(7, 1); // still due: a fresh one is taken, and this one agrees
    expect(snapFiles()).toEqual([snapshotName(7)]);
  });

  it('takes nothing while the source has no snapshot, and a restart recovers from one it took', () => {
    const { h, n, sm, append, snapFiles } = setup(null);
    append(1, 6);
    expect(sm.asked).toBeGreaterThan(0);
    expect(snapFiles()).toEqual([]);
    sm.next = { offset: 7, term: 1, data: state(7) };
    append(7, 3); // durable 9 ≥ 7: written at 7
    expect(snapFiles()).toEqual([snapshotName(7)]);
    const restarted = h.restart(k1);
    h.run();
    expect(restarted.keeper.phase).toBe('serving');
    expect(restarted.keeper.snapshotOffset).toBe(7);
    expect(restarted.keeper.durableOffset).toBe(9);
    // The snapshot's state, then the log after it.
    expect(restarted.sm.applied).toEqual(['state at 7', payloadOf(8), payloadOf(9)]);
    expect(n.keeper).not.toBe(restarted.keeper);
  });
});
