// The crash-point test (issue 5 acceptance): for a workload of appends that crosses segment
// rotations, a term change and compactions, crash after every disk operation, settle the
// unsynced state in many ways (all lost, all kept, a prefix kept with the next write torn at
// several byte positions, directory operations lost or kept), restart a fresh keeper on what
// survived and check: every acknowledged offset is recovered with its payload, nothing else
// is applied, offsets are dense, no corruption is reported, and the recovered state is itself
// durable (a second crash losing everything unsynced changes nothing).

import { describe, expect, it } from 'vitest';
import { crashKeepAll, crashLoseAll, type CrashChooser } from '../../sim/disk';
import { nodeId } from '../../net/types';
import { Harness, appendOf, payloadOf, type Node } from './harness';

const k1 = nodeId('keeper1');
const cfg = { id: k1, peers: [], snapshotEveryRecords: 9, snapshotEveryBytes: 1 << 20, segmentBytesMax: 180 };

/** Batches: [count, term]; a term change midway makes the keeper write its fence again. */
const batches: [number, number][] = [
  [1, 1], [2, 1], [3, 1], [1, 1], [2, 1], [1, 2], [3, 2], [2, 2], [1, 2], [2, 2], [3, 2], [1, 2], [2, 2],
];
const totalRecords = batches.reduce((n, b) => n + b[0], 0);

/** Runs the workload; each batch is sent after `gap` events so appends overlap fsyncs. */
function runWorkload(h: Harness, gap: number): void {
  let next = 1;
  let prevTerm = 0;
  let sent = 0;
  let events = 0;
  for (;;) {
    if (sent < batches.length && events % gap === 0) {
      const [count, term] = batches[sent]!;
      h.send(k1, appendOf(next, count, term, prevTerm));
      next += count;
      prevTerm = term;
      sent += 1;
    }
    events += 1;
    if (!h.stepOne() && (sent === batches.length || h.crashed)) return;
  }
}

/** The whole run: boot, the workload, then whatever follows until quiet (or the crash). */
function scenario(h: Harness, gap: number, deferFsync = false): void {
  h.deferFsync = deferFsync;
  h.add(cfg);
  while (h.stepOne());
  runWorkload(h, gap);
  while (h.stepOne());
}

function choosers(): { name: string; c: CrashChooser }[] {
  const out: { name: string; c: CrashChooser }[] = [
    { name: 'loseAll', c: crashLoseAll },
    { name: 'keepAll', c: crashKeepAll },
  ];
  const dirModes: [string, (n: number) => number][] = [
    ['dir0', () => 0],
    ['dirAll', (n) => n],
    ['dirHalf', (n) => n >> 1],
  ];
  const fileModes: [string, (n: number) => number][] = [
    ['file0', () => 0],
    ['fileAllButLast', (n) => Math.max(0, n - 1)],
    ['fileHalf', (n) => n >> 1],
  ];
  const tornModes: [string, (b: number) => number][] = [
    ['torn1', (b) => Math.min(1, b)],
    ['tornHalf', (b) => b >> 1],
    ['tornAllBut1', (b) => Math.max(0, b - 1)],
    ['noTear', () => 0],
  ];
  for (const [dn, d] of dirModes)
    for (const [fn, f] of fileModes)
      for (const [tn, t] of tornModes)
        out.push({ name: `${dn}/${fn}/${tn}`, c: { dirOpsKept: d, fileOpsKept: (_n, p) => f(p), tornBytes: (_n, b) => t(b) } });
  return out;
}

function recover(h: Harness): Node {
  const node = h.restart(k1);
  h.diskOpsBudget = Infinity;
  h.run();
  return node;
}

function checkRecovered(node: Node, acked: number, where: string): void {
  const k = node.keeper;
  expect(k.phase, where).toBe('serving');
  expect(k.durableOffset, where).toBeGreaterThanOrEqual(acked);
  expect(k.durableOffset, where).toBeLessThanOrEqual(totalRecords);
  const expected = Array.from({ length: k.durableOffset }, (_, i) => payloadOf(i + 1));
  expect(node.sm.applied, where).toEqual(expected);
  const s = k.stats();
  expect(s.corruptRecords + s.corruptSnapshots + s.corruptTermFiles, where).toBe(0);
  expect(k.corrupt(), where).toEqual([]);
}

describe('crash points', () => {
  it('the uncrashed workload rotates segments, compacts, and acknowledges everything', () => {
    const h = new Harness();
    scenario(h, 3);
    const k = h.nodes.get(k1)!.keeper;
    expect(h.acks()).toBe(totalRecords);
    expect(h.outbox.filter((o) => o.msg.type === 'k.appendReject')).toEqual([]);
    const s = k.stats();
    expect(s.segmentsCreated).toBeGreaterThanOrEqual(3);
    expect(s.snapshotsWritten).toBeGreaterThanOrEqual(2);
    expect(s.segmentsDeleted).toBeGreaterThanOrEqual(1);
    expect(s.fsyncs).toBeLessThan(totalRecords); // group commit shared fsyncs
  });

  for (const [gap, defer] of [[1, false], [3, false], [1, true], [2, true]] as const) {
    it(`every crash point and crash outcome recovers every acknowledged record (batch gap ${gap}${defer ? ', fsyncs late' : ''})`, () => {
      const probe = new Harness();
      scenario(probe, gap, defer);
      expect(probe.acks()).toBe(totalRecords);
      const totalOps = probe.diskOps;
      expect(totalOps).toBeGreaterThan(50);
      let cases = 0;
      let tornSeen = 0;
      let maxAcked = 0;
      let processCrashes = 0;
      for (let point = 0; point <= totalOps; point++) {
        {
          // A process crash (the disk keeps everything, synced or not), a recovery, then a
          // power loss: what the recovery reported must have been made durable by it.
          const h = new Harness();
          h.diskOpsBudget = point;
          scenario(h, gap, defer);
          const acked = h.acks();
          const node = recover(h);
          const where = `gap ${gap}, process crash after disk op ${point}, then power loss`;
          checkRecovered(node, acked, where);
          const reported = node.keeper.durableOffset;
          h.nodes.get(k1)!.disk.crash(crashLoseAll);
          checkRecovered(recover(h), reported, where);
          processCrashes += 1;
        }
        for (const { name, c } of choosers()) {
          const h = new Harness();
          h.diskOpsBudget = point;
          scenario(h, gap, defer);
          const acked = h.acks();
          maxAcked = Math.max(maxAcked, acked);
          const disk = h.nodes.get(k1)!.disk;
          disk.crash(c);
          const where = `gap ${gap}, crash after disk op ${point}/${totalOps}, ${name}, acked ${acked}`;
          const node = recover(h);
          checkRecovered(node, acked, where);
          tornSeen += node.keeper.stats().tornTails > 0 ? 1 : 0;
          // What recovery reported must itself be durable.
          const durable = node.keeper.durableOffset;
          disk.crash(crashLoseAll);
          const again = recover(h);
          checkRecovered(again, durable, `${where}, second crash`);
          expect(again.keeper.durableOffset, where).toBe(durable);
          cases += 1;
        }
      }
      expect(cases).toBeGreaterThan(1000);
      expect(processCrashes).toBe(totalOps + 1);
      expect(maxAcked).toBe(totalRecords); // the late crash points do crash after acknowledgements
      expect(tornSeen).toBeGreaterThan(0); // the enumeration does produce torn tails
    });
  }

  it('a crash during recovery, at every recovery disk operation, still loses nothing acknowledged', () => {
    const probe = new Harness();
    scenario(probe, 2);
    const totalOps = probe.diskOps;
    const firsts = choosers().filter((c) => ['loseAll', 'keepAll', 'dir0/fileAllButLast/tornHalf', 'dirHalf/fileHalf/torn1'].includes(c.name));
    const seconds = choosers().filter((c) => ['loseAll', 'keepAll', 'dirAll/file0/torn1', 'dirHalf/fileAllButLast/tornAllBut1'].includes(c.name));
    let cases = 0;
    for (let point = 0; point <= totalOps; point += 2) {
      for (const first of firsts) {
        const h = new Harness();
        h.diskOpsBudget = point;
        scenario(h, 2);
        const acked = h.acks();
        const disk = h.nodes.get(k1)!.disk;
        disk.crash(first.c);
        const snapshotOfDisk = disk.fileNames().map((f) => [f, disk.peek(f)!] as const);
        // How many disk ops does the recovery take? Then crash it after each one.
        const ops0 = h.diskOps;
        recover(h);
        const recoveryOps = h.diskOps - ops0;
        for (let r = 0; r < recoveryOps; r++) {
          for (const second of seconds) {
            const h2 = new Harness();
            const d2 = h2.add(cfg).disk;
            h2.queue = [];
            for (const [f, data] of snapshotOfDisk) d2.execute({ op: 'write', file: f, offset: 0, data });
            d2.execute({ op: 'fsyncDir' });
            for (const [f] of snapshotOfDisk) d2.execute({ op: 'fsync', file: f });
            h2.restart(k1);
            h2.diskOpsBudget = h2.diskOps + r;
            while (h2.stepOne());
            d2.crash(second.c);
            const where = `crash after op ${point} (${first.name}), then after recovery op ${r} (${second.name}), acked ${acked}`;
            checkRecovered(recover(h2), acked, where);
            cases += 1;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(300);
  });
});
