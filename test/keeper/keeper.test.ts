import { describe, expect, it } from 'vitest';
import { nodeId, type NodeId } from '../../net/types';
import { SimDisk } from '../../sim/disk';
import type { KeeperMsg } from '../../core/keeper/messages';
import { segmentName } from '../../core/wal/segment';
import { snapshotName } from '../../core/keeper/files';
import { Harness, appendOf, leader, payloadOf } from './harness';

const k1 = nodeId('keeper1');
const k2 = nodeId('keeper2');
const base = { snapshotEveryRecords: 1000, snapshotEveryBytes: 1 << 20, segmentBytesMax: 4096 };

function append(h: Harness, to: NodeId, from: number, count: number, term = 1, prevTerm = from === 1 ? 0 : term): void {
  h.send(to, appendOf(from, count, term, prevTerm));
}

function replies(h: Harness, type: KeeperMsg['type']): KeeperMsg[] {
  return h.outbox.filter((o) => o.msg.type === type).map((o) => o.msg);
}

function expected(n: number): string[] {
  return Array.from({ length: n }, (_, i) => payloadOf(i + 1));
}

function boot(h: Harness, id = k1, peers: NodeId[] = [], over: Partial<typeof base> = {}) {
  const n = h.add({ id, peers, ...base, ...over });
  h.run();
  return n;
}

describe('keeper', () => {
  it('acknowledges only after fsync, and answers queries', () => {
    const h = new Harness();
    const n = boot(h);
    let fsyncsSeen = 0;
    h.hold = (_id, e) => e.op.op === 'fsync' && e.op.file.startsWith('wal-') && ++fsyncsSeen > 1;
    append(h, k1, 1, 3);
    h.run();
    expect(n.keeper.writtenOffset).toBe(3);
    expect(replies(h, 'k.appendOk')).toEqual([]); // fsync held: nothing acknowledged yet
    h.hold = null;
    h.release();
    h.run();
    expect(replies(h, 'k.appendOk')).toEqual([{ type: 'k.appendOk', term: 1, durableOffset: 3 }]);
    h.send(k1, { type: 'k.query' });
    h.run();
    expect(replies(h, 'k.state')).toEqual([
      { type: 'k.state', term: 1, durableOffset: 3, durableTerm: 1, snapshotOffset: 0, corruptRanges: [] },
    ]);
    expect(n.sm.applied).toEqual(expected(3));
  });

  it('group commit: appends that arrive during an fsync share the next write and fsync', () => {
    const h = new Harness();
    const n = boot(h);
    append(h, k1, 1, 1);
    h.run();
    h.hold = (_id, e) => e.op.op === 'fsync';
    append(h, k1, 2, 1);
    h.run(); // written, its fsync held
    for (let i = 3; i <= 12; i++) append(h, k1, i, 1);
    h.run(); // ten more arrive while the fsync is in flight: they wait for it
    expect(n.keeper.writtenOffset).toBe(2);
    expect(n.keeper.durableOffset).toBe(1);
    const writesBefore = n.keeper.stats().recordsWritten;
    const before = n.keeper.stats().fsyncs;
    for (let round = 0; round < 3 && h.held.length > 0; round++) {
      h.release();
      h.run();
    }
    expect(n.keeper.durableOffset).toBe(12);
    expect(n.keeper.stats().fsyncs - before).toBe(2); // one for offset 2, one for 3..12
    expect(n.keeper.stats().recordsWritten - writesBefore).toBe(10);
    expect(Math.max(...replies(h, 'k.appendOk').map((m) => (m.type === 'k.appendOk' ? m.durableOffset : 0)))).toBe(12);
  });

  it('fences by term, durably: a stale leader is rejected, also after a restart', () => {
    const h = new Harness();
    boot(h);
    append(h, k1, 1, 2, 3);
    h.run();
    append(h, k1, 3, 1, 2, 3);
    h.run();
    expect(replies(h, 'k.appendReject')).toEqual([{ type: 'k.appendReject', term: 3, reason: 'staleTerm', durableOffset: 2 }]);
    h.restart(k1);
    h.run();
    append(h, k1, 3, 1, 2, 3);
    h.run();
    expect(replies(h, 'k.appendReject')).toHaveLength(2);
    append(h, k1, 3, 1, 4, 3); // a newer leader is accepted after its term is fenced
    h.run();
    expect(h.nodes.get(k1)!.keeper.fenceTerm).toBe(4);
    expect(h.acks()).toBe(3);
  });

  it('a conflicting entry cuts the keeper suffix and the new entries replace it', () => {
    const h = new Harness();
    const n = boot(h);
    append(h, k1, 1, 5, 1);
    h.run();
    // A leader of term 2 says offset 4 has term 2: offsets 4..5 of term 1 go.
    h.send(k1, { type: 'k.append', term: 2, leader, prevOffset: 3, prevTerm: 1, entries: [{ offset: 4, term: 2, payload: Buffer.from('x4') }] });
    h.run();
    expect(replies(h, 'k.appendReject').at(-1)).toMatchObject({ reason: 'mismatch' });
    expect(n.keeper.stats().suffixTruncations).toBe(1);
    const k = h.nodes.get(k1)!; // recovered in place
    expect(k.keeper.durableOffset).toBe(3);
    h.send(k1, { type: 'k.append', term: 2, leader, prevOffset: 3, prevTerm: 1, entries: [{ offset: 4, term: 2, payload: Buffer.from('x4') }] });
    h.run();
    expect(k.keeper.durableOffset).toBe(4);
    expect(k.sm.applied).toEqual([...expected(3), 'x4']);
    h.restart(k1);
    h.run();
    expect(h.nodes.get(k1)!.sm.applied).toEqual([...expected(3), 'x4']);
  });

  it('disk full: rejects with diskFull, keeps serving reads, resumes when space returns', () => {
    const h = new Harness();
    const n = boot(h);
    append(h, k1, 1, 2);
    h.run();
    n.disk.capacityBytes = n.disk.usedBytes() + 10;
    append(h, k1, 3, 2);
    h.run();
    expect(replies(h, 'k.appendReject').at(-1)).toMatchObject({ reason: 'diskFull', durableOffset: 2 });
    append(h, k1, 3, 2);
    h.run();
    expect(replies(h, 'k.appendReject').at(-1)).toMatchObject({ reason: 'diskFull' });
    h.send(k1, { type: 'k.fetch', fromOffset: 1, maxBytes: 1 << 20 });
    h.run();
    expect(replies(h, 'k.entries').at(-1)).toMatchObject({ durableOffset: 2, entries: [{ offset: 1 }, { offset: 2 }] });
    expect(h.timers.some((t) => t.name === 'k.diskRetry')).toBe(true);
    n.disk.capacityBytes = Infinity;
    h.fireTimer(k1, 'k.diskRetry');
    append(h, k1, 3, 2);
    h.run();
    expect(n.keeper.durableOffset).toBe(4);
    expect(n.sm.applied).toEqual(expected(4));
    expect(n.keeper.stats().diskFullEvents).toBe(1);
  });

  it('compacts on schedule: snapshot written, covered segments deleted, fetch serves snapshot then entries', () => {
    const h = new Harness();
    const n = boot(h, k1, [], { snapshotEveryRecords: 10, segmentBytesMax: 200 });
    for (let i = 1; i <= 25; i += 1) append(h, k1, i, 1);
    h.run();
    expect(n.keeper.durableOffset).toBe(25);
    expect(n.keeper.snapshotOffset).toBe(20);
    const files = n.disk.fileNames();
    expect(files.filter((f) => f.startsWith('snap-'))).toEqual([snapshotName(20)]);
    expect(files).not.toContain(segmentName(1));
    expect(n.keeper.stats().segmentsDeleted).toBeGreaterThan(0);
    h.send(k1, { type: 'k.fetch', fromOffset: 5, maxBytes: 1 << 20 }, k2);
    h.send(k1, { type: 'k.fetch', fromOffset: 21, maxBytes: 1 << 20 }, k2);
    h.run();
    const snap = replies(h, 'k.snapshot')[0]!;
    expect(snap).toMatchObject({ type: 'k.snapshot', offset: 20, term: 1 });
    if (snap.type === 'k.snapshot') expect(JSON.parse(Buffer.from(snap.data).toString())).toEqual(expected(20));
    const ents = replies(h, 'k.entries')[0]!;
    expect(ents.type === 'k.entries' && ents.entries[0]?.offset).toBe(21);
    // Recovery after compaction: snapshot + the delta only.
    h.restart(k1);
    h.run();
    expect(h.nodes.get(k1)!.sm.applied).toEqual(expected(25));
  });

  it('a keeper back from an outage catches up from a peer by offset, not by full copy', () => {
    const h = new Harness();
    boot(h, k1, [k2]);
    const b = boot(h, k2, [k1]);
    for (const k of [k1, k2]) append(h, k, 1, 5);
    h.run();
    h.stop(k2);
    append(h, k1, 6, 7, 1);
    h.run();
    const b2 = h.restart(k2);
    h.run();
    expect(b2.keeper.durableOffset).toBe(12);
    expect(b2.sm.applied).toEqual(expected(12));
    expect(b2.keeper.stats().repairedRecords).toBe(7);
    expect(b2.keeper.stats().snapshotsInstalled).toBe(0);
    expect(b.disk).toBe(b2.disk);
  });

  it('a keeper back with an uncommitted suffix of an old term cuts it when a peer\'s records do not continue its log', () => {
    // Found by the simulator (ack-quorum seed 3013): keeper2 came back holding offsets 35-36 of
    // term 1, which the Core's term 2 had replaced; it fetched from 37, appended the peers' term-2
    // records after its own, and its store lost an acknowledged write for good.
    const h = new Harness();
    const a = boot(h, k1, [k2]);
    boot(h, k2, [k1]);
    for (const k of [k1, k2]) append(h, k, 1, 3);
    const stale = (o: number) => ({ offset: o, term: 1, payload: Buffer.from(`stale ${o}`) });
    h.send(k2, { type: 'k.append', term: 1, leader, prevOffset: 3, prevTerm: 1, entries: [stale(4), stale(5)] });
    h.run();
    expect(h.nodes.get(k2)!.keeper.durableOffset).toBe(5);
    h.stop(k2);
    append(h, k1, 4, 5, 2, 1); // term 2 replaces 4..5 and goes on to 8
    h.run();
    expect(a.keeper.durableOffset).toBe(8);
    const b = h.restart(k2);
    h.run();
    expect(b.keeper.durableOffset).toBe(8);
    expect(b.sm.applied).toEqual(expected(8));
    expect(b.keeper.stats().suffixTruncations).toBeGreaterThan(0);
    // And the same after another restart, from its own disk.
    const c = h.restart(k2);
    h.run();
    expect(c.sm.applied).toEqual(expected(8));
  });

  it('snapshots only records known committed, so a later term can still replace an uncommitted tail', () => {
    const h = new Harness();
    const n = boot(h, k1, [k2], { snapshotEveryRecords: 5 });
    const send = (prevOffset: number, prevTerm: number, term: number, entries: { offset: number; term: number; payload: Buffer }[], commitOffset: number) =>
      h.send(k1, { type: 'k.append', term, leader, prevOffset, prevTerm, entries, commitOffset });
    const at = (o: number, term: number, tag: string) => ({ offset: o, term, payload: Buffer.from(`${tag}${o}`) });
    send(0, 0, 1, [1, 2, 3].map((o) => at(o, 1, 'a')), 3);
    send(3, 1, 1, [4, 5, 6, 7, 8].map((o) => at(o, 1, 'old')), 3); // durable here, never committed
    h.run();
    expect(n.keeper.durableOffset).toBe(8);
    expect(n.keeper.snapshotOffset).toBe(0); // due, but 4..8 are not known committed
    // A new leader (term 2) replaces 4..8.
    send(3, 1, 2, [4, 5, 6].map((o) => at(o, 2, 'new')), 3);
    h.run();
    const k = h.nodes.get(k1)!;
    send(3, 1, 2, [4, 5, 6].map((o) => at(o, 2, 'new')), 6);
    h.run();
    expect(k.keeper.durableOffset).toBe(6);
    expect(k.sm.applied).toEqual(['a1', 'a2', 'a3', 'new4', 'new5', 'new6']);
    // Once the leader says 6 is committed, the snapshot goes down, and a restart agrees.
    send(6, 2, 2, [], 6);
    h.run();
    expect(k.keeper.snapshotOffset).toBe(6);
    const r = h.restart(k1);
    h.run();
    expect(r.sm.applied).toEqual(['a1', 'a2', 'a3', 'new4', 'new5', 'new6']);
  });

  it('a corrupt record mid-log is reported, never applied, and repaired from a peer', () => {
    const h = new Harness();
    const a = boot(h, k1, [k2], { segmentBytesMax: 200 });
    boot(h, k2, [k1]);
    for (let i = 1; i <= 12; i++) for (const k of [k1, k2]) append(h, k, i, 1);
    h.run();
    // Bit rot in the first segment of keeper1, inside record 2.
    const seg = a.disk.peek(segmentName(1))!;
    expect(seg.length).toBeGreaterThan(100);
    a.disk.flipBit(segmentName(1), 24 + 33 + 30, 2);
    const r = h.restart(k1);
    const applied: string[] = [];
    const realApply = r.sm.apply.bind(r.sm);
    r.sm.apply = (p) => {
      applied.push(Buffer.from(p).toString());
      realApply(p);
    };
    h.run();
    expect(r.keeper.stats().corruptRecords).toBe(1);
    expect(h.notes.some((t) => t.includes('corruption') && t.includes('keeper1'))).toBe(true);
    expect(applied.every((p, i) => p === payloadOf(i + 1))).toBe(true); // nothing corrupt, nothing out of order
    expect(r.keeper.durableOffset).toBe(12);
    expect(r.sm.applied).toEqual(expected(12));
    expect(r.keeper.corrupt()).toEqual([]);
    expect(r.keeper.stats().repairedRecords).toBe(11);
  });

  it('a corrupt snapshot is reported, never applied, and repaired from a peer', () => {
    const h = new Harness();
    const over = { snapshotEveryRecords: 5, segmentBytesMax: 200 };
    const a = boot(h, k1, [k2], over);
    boot(h, k2, [k1], over);
    for (let i = 1; i <= 12; i++) for (const k of [k1, k2]) append(h, k, i, 1);
    h.run();
    expect(a.keeper.snapshotOffset).toBe(10);
    a.disk.flipBit(snapshotName(10), 40, 0);
    const r = h.restart(k1);
    let restored = 0;
    const realRestore = r.sm.restore.bind(r.sm);
    r.sm.restore = (b) => {
      restored += 1;
      realRestore(b);
    };
    h.run();
    expect(r.keeper.stats().corruptSnapshots).toBe(1);
    expect(r.keeper.stats().snapshotsInstalled).toBe(1);
    expect(restored).toBe(1); // only the peer's good snapshot
    expect(r.keeper.durableOffset).toBe(12);
    expect(r.sm.applied).toEqual(expected(12));
  });

  it('a keeper with no peer to repair from reports the corrupt range and keeps the good prefix', () => {
    const h = new Harness();
    const a = boot(h, k1, [], { segmentBytesMax: 200 });
    for (let i = 1; i <= 12; i++) append(h, k1, i, 1);
    h.run();
    a.disk.flipBit(segmentName(1), 24 + 33 * 3 + 5, 1);
    const r = h.restart(k1);
    h.run();
    expect(r.keeper.durableOffset).toBe(3);
    expect(r.sm.applied).toEqual(expected(3));
    expect(r.keeper.corrupt()[0]).toMatchObject({ fromOffset: 4 });
    expect(r.keeper.corrupt()[0]!.toOffset).toBeGreaterThanOrEqual(5);
    h.send(k1, { type: 'k.query' });
    h.run();
    expect(replies(h, 'k.state').at(-1)).toMatchObject({ durableOffset: 3, corruptRanges: [{ fromOffset: 4 }] });
  });

  it('recovers the fence from the term file on a fresh disk restart', () => {
    const disk = new SimDisk();
    const h = new Harness();
    h.add({ id: k1, peers: [], ...base }, disk);
    h.run();
    append(h, k1, 1, 1, 7);
    h.run();
    expect(disk.fileNames()).toContain('term');
    const r = h.restart(k1);
    h.run();
    expect(r.keeper.fenceTerm).toBe(7);
  });
});
