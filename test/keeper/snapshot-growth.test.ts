// KeeperConfig.snapshotGrowthPercent (Redis's auto-aof-rewrite-percentage): a scheduled
// snapshot also waits until the log written since the last snapshot (record bytes, headers
// included) reaches that percentage of the last snapshot's state size. Unset, the record and
// byte thresholds alone decide; a forced compaction (SAVE) ignores the schedule entirely.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeId, type Effect, type Input, type NodeId } from '../../net/types';
import { SimDisk, crashLoseAll } from '../../sim/disk';
import { SeededRng } from '../../sim/rng';
import { Store, type StoreOptions } from '../../core/store';
import { Keeper, type KeeperConfig } from '../../core/keeper/keeper';
import type { KeeperEntry, KeeperMsg } from '../../core/keeper/messages';
import { decodeSnapshot, snapshotName } from '../../core/keeper/files';
import { StoreMaterializer, encodeMutationBatch } from '../../core/keeper/store-materializer';
import { recordBytes } from '../../core/wal/record';
import { Harness, leader, payloadOf, type Node } from './harness';

const k1 = nodeId('keeper1');
const recordsEvery = 10;
const base = { snapshotEveryRecords: recordsEvery, snapshotEveryBytes: 1 << 30, segmentBytesMax: 4096 };
/** The first record: a big state, so the first snapshot is far larger than ten records of log. */
const bigPayload = 'B'.repeat(6000);
const payload = (offset: number): string => (offset === 1 ? bigPayload : payloadOf(offset));

function boot(h: Harness, over: Partial<KeeperConfig> = {}): Node {
  const n = h.add({ id: k1, peers: [], ...base, ...over });
  h.run();
  return n;
}

/** Appends one entry at `offset` (term 1) and runs until quiet: it is durable, and any snapshot it triggered is done. */
function appendOne(h: Harness, offset: number, text = payload(offset)): void {
  const entries: KeeperEntry[] = [{ offset, term: 1, payload: Buffer.from(text) }];
  h.send(k1, { type: 'k.append', term: 1, leader, prevOffset: offset - 1, prevTerm: offset === 1 ? 0 : 1, entries });
  h.run();
}

/** The state size recorded in the snapshot file at `offset` (read back from the disk). */
function snapshotStateBytes(n: Node, offset: number): number {
  const file = n.disk.peek(snapshotName(offset));
  expect(file, `snapshot ${offset} on disk`).toBeDefined();
  const d = decodeSnapshot(file!, offset);
  if (!d.ok) throw new Error(`snapshot ${offset} does not decode: ${d.reason}`);
  return d.snap.data.length;
}

/** The snapshot offsets a keeper is expected to write, appending `payloads` one by one (an independent model of the rule). */
function modelSchedule(payloads: readonly string[], every: number, growth: number | undefined): number[] {
  const snaps: number[] = [];
  let records = 0;
  let logBytes = 0;
  let lastSnapshotBytes = 0;
  payloads.forEach((p, i) => {
    records += 1;
    logBytes += recordBytes(Buffer.byteLength(p));
    if (records < every) return;
    if (growth !== undefined && logBytes * 100 < lastSnapshotBytes * growth) return;
    snaps.push(i + 1);
    lastSnapshotBytes = Buffer.byteLength(JSON.stringify(payloads.slice(0, i + 1))); // the ToyLog state
    records = 0;
    logBytes = 0;
  });
  return snaps;
}

describe('keeper snapshot schedule with snapshotGrowthPercent', () => {
  it('unset: snapshots follow the record threshold alone, however large the state', () => {
    const h = new Harness();
    const n = boot(h);
    const seen: number[] = [];
    for (let o = 1; o <= 45; o++) {
      appendOne(h, o);
      expect(n.keeper.snapshotOffset).toBe(Math.floor(o / recordsEvery) * recordsEvery);
      if (seen.at(-1) !== n.keeper.snapshotOffset && n.keeper.snapshotOffset > 0) seen.push(n.keeper.snapshotOffset);
    }
    expect(seen).toEqual([10, 20, 30, 40]);
    expect(n.keeper.stats().snapshotsWritten).toBe(4);
    expect(n.disk.fileNames().filter((f) => f.startsWith('snap-'))).toEqual([snapshotName(40)]);
  });

  it.each([100, 50, 300])('growth %i: no second snapshot until the log since the first reaches that percentage of the first snapshot\'s size, then one', (growth) => {
    const h = new Harness();
    const n = boot(h, { snapshotGrowthPercent: growth });
    for (let o = 1; o <= recordsEvery; o++) appendOne(h, o);
    // The first snapshot: nothing to grow over yet, so the record threshold decides.
    expect(n.keeper.snapshotOffset).toBe(recordsEvery);
    const firstBytes = snapshotStateBytes(n, recordsEvery);
    expect(firstBytes).toBe(Buffer.byteLength(JSON.stringify(Array.from({ length: recordsEvery }, (_, i) => payload(i + 1)))));
    expect(firstBytes).toBeGreaterThan(10 * recordsEvery * recordBytes(payloadOf(11).length)); // much larger than a threshold's worth of log

    const target = (firstBytes * growth) / 100;
    let grown = 0;
    let o = recordsEvery;
    while (grown < target) {
      o += 1;
      expect(o).toBeLessThan(10_000);
      appendOne(h, o);
      grown += recordBytes(payload(o).length);
      if (grown < target) {
        expect(n.keeper.snapshotOffset, `offset ${o}: ${grown} of ${target} bytes grown`).toBe(recordsEvery);
        expect(n.keeper.stats().snapshotsWritten).toBe(1);
      }
    }
    // The record that brings the growth to the target triggers the second snapshot.
    expect(n.keeper.snapshotOffset).toBe(o);
    expect(n.keeper.stats().snapshotsWritten).toBe(2);
    expect(grown - target).toBeLessThan(recordBytes(payload(o).length)); // "about" the target: within one record
    expect(o - recordsEvery).toBeGreaterThan(5 * recordsEvery); // many record thresholds were passed without a snapshot
    expect(n.sm.applied).toEqual(Array.from({ length: o }, (_, i) => payload(i + 1)));

    // The next one waits for growth over the second (larger) snapshot.
    const secondBytes = snapshotStateBytes(n, o);
    expect(secondBytes).toBeGreaterThan(firstBytes);
    for (let i = 0; i < 3 * recordsEvery; i++) appendOne(h, ++o);
    expect(n.keeper.stats().snapshotsWritten).toBe(2);
  });

  it('the growth is reached at exactly the percentage (>=), not one byte before', () => {
    for (const shortBytes of [1, 0]) {
      const h = new Harness();
      const n = boot(h, { snapshotGrowthPercent: 100 });
      for (let o = 1; o <= recordsEvery; o++) appendOne(h, o);
      const target = snapshotStateBytes(n, recordsEvery);
      let grown = 0;
      let o = recordsEvery;
      while (target - grown > 200) {
        appendOne(h, ++o);
        grown += recordBytes(payload(o).length);
      }
      // One record that brings the log to `target - shortBytes` bytes since the snapshot.
      const last = 'e'.repeat(target - shortBytes - grown - recordBytes(0));
      appendOne(h, ++o, last);
      expect(n.keeper.durableOffset).toBe(o);
      expect(n.keeper.snapshotOffset, `${shortBytes} byte(s) short of ${target}`).toBe(shortBytes === 0 ? o : recordsEvery);
    }
  });

  it('records made durable while a snapshot is being written count toward the next growth', () => {
    const h = new Harness();
    const n = boot(h, { snapshotGrowthPercent: 100 });
    for (let o = 1; o < recordsEvery; o++) appendOne(h, o);
    // Keep the first snapshot's fsync in flight while five more records arrive; note how far
    // the log is durable when the snapshot's last step (the directory fsync) is issued.
    const tmp = snapshotName(recordsEvery).replace('.snap', '.tmp');
    let renamed = false;
    let durableAtLastStep = -1;
    h.hold = (_id, e) => {
      if (e.op.op === 'rename' && e.op.from === tmp) renamed = true;
      if (e.op.op === 'fsyncDir' && renamed && durableAtLastStep < 0) durableAtLastStep = n.keeper.durableOffset;
      return e.op.op === 'fsync' && e.op.file === tmp;
    };
    appendOne(h, recordsEvery);
    expect(h.held).toHaveLength(1);
    for (let o = recordsEvery + 1; o <= recordsEvery + 5; o++) appendOne(h, o);
    expect(n.keeper.snapshotOffset).toBe(0);
    h.release();
    h.run();
    expect(n.keeper.snapshotOffset).toBe(recordsEvery);
    expect(n.keeper.durableOffset).toBe(recordsEvery + 5);
    // The scenario this test is about: those records were durable before the snapshot was adopted.
    expect(durableAtLastStep).toBeGreaterThan(recordsEvery);
    h.hold = null;
    const target = snapshotStateBytes(n, recordsEvery);
    let grown = 0;
    for (let o = recordsEvery + 1; o <= recordsEvery + 5; o++) grown += recordBytes(payload(o).length);
    let o = recordsEvery + 5;
    while (grown < target) {
      appendOne(h, ++o);
      grown += recordBytes(payload(o).length);
      if (grown < target) expect(n.keeper.snapshotOffset).toBe(recordsEvery);
    }
    expect(n.keeper.snapshotOffset).toBe(o);
  });

  // A snapshot that fails (ENOSPC here) must not raise the bar the next one grows over: the
  // log is still counted from the older snapshot, which is the one on disk.
  it('a failed snapshot does not raise the growth bar: the retry comes with the next record once space returns', () => {
    const h = new Harness();
    const n = boot(h, { snapshotGrowthPercent: 100 });
    for (let o = 1; o <= recordsEvery; o++) appendOne(h, o);
    const target = snapshotStateBytes(n, recordsEvery);
    let grown = 0;
    let o = recordsEvery;
    while (grown + recordBytes(payload(o + 1).length) < target) {
      appendOne(h, ++o);
      grown += recordBytes(payload(o).length);
    }
    expect(n.keeper.snapshotOffset).toBe(recordsEvery);
    // Room for the next WAL record, not for the snapshot it triggers.
    n.disk.capacityBytes = n.disk.usedBytes() + recordBytes(payload(o + 1).length) + 64;
    appendOne(h, ++o);
    expect(n.keeper.durableOffset).toBe(o);
    expect(n.keeper.snapshotOffset).toBe(recordsEvery); // the snapshot failed
    expect(h.notes.some((t) => t.includes(`snapshot at ${o} failed: ENOSPC`))).toBe(true);
    n.disk.capacityBytes = Infinity;
    appendOne(h, ++o);
    expect(n.keeper.snapshotOffset).toBe(o); // fails: the keeper now waits for growth over the unwritten state
  });

  it('matches a model of the rule for random record sizes, thresholds and percentages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 20, maxLength: 120 }),
        fc.integer({ min: 1, max: 12 }),
        fc.option(fc.constantFrom(25, 100, 150, 400), { nil: undefined }),
        (sizes, every, growth) => {
          const payloads = sizes.map((s, i) => `${i + 1}:`.padEnd(s, 'x'));
          const h = new Harness();
          const n = h.add({ id: k1, peers: [], ...base, snapshotEveryRecords: every, snapshotGrowthPercent: growth });
          h.run();
          const seen: number[] = [];
          payloads.forEach((p, i) => {
            appendOne(h, i + 1, p);
            if (n.keeper.snapshotOffset > (seen.at(-1) ?? 0)) seen.push(n.keeper.snapshotOffset);
          });
          expect(seen).toEqual(modelSchedule(payloads, every, growth));
          expect(n.sm.applied).toEqual(payloads);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a forced compaction (k.compact, as SAVE sends) snapshots at once, growth or not', () => {
    const h = new Harness();
    const n = boot(h, { snapshotGrowthPercent: 100 });
    for (let o = 1; o <= recordsEvery + 5; o++) appendOne(h, o);
    expect(n.keeper.snapshotOffset).toBe(recordsEvery);
    h.send(k1, { type: 'k.compact' });
    h.run();
    expect(n.keeper.snapshotOffset).toBe(recordsEvery + 5);
    expect(n.keeper.stats().snapshotsWritten).toBe(2);
    expect(n.disk.fileNames().filter((f) => f.startsWith('snap-'))).toEqual([snapshotName(recordsEvery + 5)]);
    // Nothing new since: a second SAVE writes nothing.
    h.send(k1, { type: 'k.compact' });
    h.run();
    expect(n.keeper.stats().snapshotsWritten).toBe(2);
    // Recovery from the forced snapshot.
    const r = h.restart(k1);
    h.run();
    expect(r.keeper.snapshotOffset).toBe(recordsEvery + 5);
    expect(r.sm.applied).toEqual(Array.from({ length: recordsEvery + 5 }, (_, i) => payload(i + 1)));
  });
});

// ---- with the real store as the materializer (as test/keeper/store.test.ts) ----------------

const storeOpts = (): StoreOptions => ({ maxmemoryBytes: 0, policy: 'noeviction', rng: new SeededRng('growth') });

/** Runs a keeper on a SimDisk until nothing is pending; returns what it sent. */
function drive(keeper: Keeper, disk: SimDisk, inputs: Input<KeeperMsg>[]): KeeperMsg[] {
  const sent: KeeperMsg[] = [];
  const queue = [...inputs];
  for (let n = 0; queue.length > 0; n++) {
    expect(n).toBeLessThan(200_000);
    for (const e of keeper.step(queue.shift()!, 0) as Effect<KeeperMsg>[]) {
      if (e.type === 'disk') queue.push({ type: 'disk', req: e.req, result: disk.execute(e.op) });
      if (e.type === 'send') sent.push(e.msg);
    }
  }
  return sent;
}

/** A leader store's mutations as keeper entries: one big value first, then many small writes. */
function workload(count: number): { leaderStore: Store; entries: KeeperEntry[] } {
  const leaderStore = new Store(storeOpts());
  const session = { db: 0, user: null };
  const entries: KeeperEntry[] = [];
  const b = (...xs: string[]) => xs.map((x) => Buffer.from(x));
  const run = (argv: Buffer[], i: number) => {
    const r = leaderStore.execute(argv, 1_000_000 + i, session);
    if (r.mutations.length > 0) entries.push({ offset: entries.length + 1, term: 1, payload: encodeMutationBatch(r.mutations) });
  };
  run(b('SET', 'big', 'x'.repeat(20_000)), 0);
  for (let i = 1; entries.length < count; i++) {
    const cmds = [b('SET', `s${i % 13}`, `v${i}`), b('INCR', `n${i % 5}`), b('HSET', `h${i % 4}`, `f${i % 9}`, `${i}`), b('RPUSH', 'l', `${i}`), b('DEL', `s${(i + 5) % 13}`)];
    run(cmds[i % cmds.length]!, i);
  }
  return { leaderStore, entries };
}

function appendInputs(entries: readonly KeeperEntry[]): Input<KeeperMsg>[] {
  const from = nodeId('core1') as NodeId;
  return entries.map((e) => ({
    type: 'message',
    from,
    msg: { type: 'k.append', term: 1, leader: from, prevOffset: e.offset - 1, prevTerm: e.offset === 1 ? 0 : 1, entries: [e] },
  }));
}

describe('keeper snapshot growth with the store materializer', () => {
  it('recovery after a restart restores every record (snapshot + delta), and the loaded snapshot size keeps the schedule', () => {
    const { leaderStore, entries } = workload(400);
    const disk = new SimDisk();
    const cfg = { id: k1, peers: [], snapshotEveryRecords: 5, snapshotEveryBytes: 1 << 30, segmentBytesMax: 2048, snapshotGrowthPercent: 100 };
    const sm = new StoreMaterializer(storeOpts());
    const keeper = new Keeper({ ...cfg, stateMachine: sm });
    drive(keeper, disk, [{ type: 'start' }]);
    const sent = drive(keeper, disk, appendInputs(entries));
    expect(sent.filter((m) => m.type === 'k.appendReject')).toEqual([]);
    expect(keeper.durableOffset).toBe(entries.length);
    const written = keeper.stats().snapshotsWritten;
    expect(written).toBeGreaterThanOrEqual(1);
    expect(written).toBeLessThan(entries.length / cfg.snapshotEveryRecords / 4); // the growth rule held most of them back
    expect(sm.store.digest()).toBe(leaderStore.digest());

    // The snapshot on disk and the log after it: more records than the threshold, fewer bytes than the snapshot.
    const snapAt = keeper.snapshotOffset;
    const snapFile = decodeSnapshot(disk.peek(snapshotName(snapAt))!, snapAt);
    if (!snapFile.ok) throw new Error(snapFile.reason);
    const delta = entries.slice(snapAt);
    const deltaBytes = delta.reduce((sum, e) => sum + recordBytes(e.payload.length), 0);
    expect(delta.length).toBeGreaterThanOrEqual(cfg.snapshotEveryRecords);
    expect(deltaBytes).toBeLessThan(snapFile.snap.data.length);

    disk.crash(crashLoseAll);
    const sm2 = new StoreMaterializer(storeOpts());
    const again = new Keeper({ ...cfg, stateMachine: sm2 });
    drive(again, disk, [{ type: 'start' }]);
    expect(again.phase).toBe('serving');
    expect(again.durableOffset).toBe(entries.length);
    expect(again.snapshotOffset).toBe(snapAt);
    expect(sm2.store.digest()).toBe(leaderStore.digest());
    // The restarted keeper measures growth against the snapshot it loaded: the delta passes the
    // record threshold but not the growth, so recovery writes no snapshot.
    expect(again.stats().snapshotsWritten).toBe(0);

    // And a forced compaction still works after the restart; a second restart restores it all.
    drive(again, disk, [{ type: 'message', from: nodeId('core1'), msg: { type: 'k.compact' } }]);
    expect(again.snapshotOffset).toBe(entries.length);
    disk.crash(crashLoseAll);
    const sm3 = new StoreMaterializer(storeOpts());
    const third = new Keeper({ ...cfg, stateMachine: sm3 });
    drive(third, disk, [{ type: 'start' }]);
    expect(third.durableOffset).toBe(entries.length);
    expect(third.snapshotOffset).toBe(entries.length);
    expect(sm3.store.digest()).toBe(leaderStore.digest());
  });
});
