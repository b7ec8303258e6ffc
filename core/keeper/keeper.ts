// The Keeper: receives the committed write stream from the Core leader, appends it to a WAL,
// fsyncs in groups, acknowledges a durable offset, compacts into snapshots, recovers after a
// crash, fences stale leaders by term and catches up from peer keepers by offset.
//
// Pure state machine: every disk operation leaves as a `disk` effect and comes back as a `disk`
// input (matched by request id to a continuation). Disk operations that change state go
// through one serial lane (one in flight at a time, so appends to a file never reorder); the
// group-commit fsync runs beside the lane, at most one at a time, and covers every record
// whose append had returned when it was issued. The argument is in docs/durability.md.

import { assert, unreachable, type DiskReqId, type Effect, type Input, type Machine, type Ms, type NodeId } from '../../net/types';
import type { DiskOp, DiskResult } from '../../net/disk';
import { encodeRecordInto, recordBytes, decodeRecordAt, recordPayloadBytesMax } from '../wal/record';
import {
  encodeSegmentHeader,
  parseSegmentName,
  scanSegment,
  segmentBytesMax as segmentBytesLimit,
  segmentHeaderBytes,
  segmentName,
} from '../wal/segment';
import {
  decodeSnapshot,
  decodeTermFile,
  encodeSnapshot,
  encodeTermFile,
  parseSnapshotName,
  snapshotDataBytesMax,
  snapshotName,
  snapshotTmpName,
  termFileName,
  termTmpName,
} from './files';
import { batchEntriesMax, fetchBytesMax, type AppendRejectReason, type CorruptRange, type KeeperEntry, type KeeperMsg } from './messages';
import { LogIndex } from './log-index';

/** What the keeper materializes the log into, to write snapshots (the store implements it). */
export interface SnapshotMaterializer {
  reset(): void;
  apply(payload: Uint8Array): void;
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array): void;
  /**
   * Optional: the state is kept elsewhere (the store of a Core in the same process), so the
   * Keeper materializes nothing and takes its snapshots from there. The snapshot is of that
   * state at its own offset, which may be ahead of the Keeper's durable offset: the Keeper
   * holds it until its log is durable up to there. Null: no snapshot to be had now.
   */
  snapshotAhead?(): AheadSnapshot | null;
}

export interface AheadSnapshot {
  readonly offset: number;
  readonly term: number;
  readonly data: Uint8Array;
}

export interface KeeperConfig {
  readonly id: NodeId;
  /** Other keepers of the cluster, for catch-up and repair. */
  readonly peers: readonly NodeId[];
  readonly snapshotEveryRecords: number;
  readonly snapshotEveryBytes: number;
  /**
   * When set, a snapshot also waits until the log since the last one has grown to this
   * percentage of that snapshot's size (Redis's auto-aof-rewrite-percentage): each snapshot
   * rewrites the whole state, so a large state is not rewritten every few records. Both
   * thresholds above are then minimums. Unset: the thresholds alone decide.
   */
  readonly snapshotGrowthPercent?: number;
  /** Rotate a segment when the next record would cross this size (a lone record may exceed it). */
  readonly segmentBytesMax: number;
  readonly stateMachine: SnapshotMaterializer;
  /** After ENOSPC/EIO on a write, wait this long before writing again. */
  readonly diskRetryMs?: Ms;
}

export interface KeeperStats {
  appendsAccepted: number;
  appendsRejected: number;
  fsyncs: number;
  recordsWritten: number;
  snapshotsWritten: number;
  snapshotsInstalled: number;
  segmentsCreated: number;
  segmentsDeleted: number;
  recoveries: number;
  tornTails: number;
  truncatedBytes: number;
  corruptRecords: number;
  /** Bad records found below the snapshot: harmless, skipped, counted. */
  corruptCoveredRecords: number;
  /** Segment headers that failed their checksum and were rewritten. */
  corruptHeaders: number;
  corruptSnapshots: number;
  corruptTermFiles: number;
  repairedRecords: number;
  suffixTruncations: number;
  diskFullEvents: number;
  diskErrors: number;
}

export type KeeperPhase = 'recovering' | 'serving';

/** Appends held while the term fence is written. */
export const inboxMax = 1024;
/** Appends waiting for their fsync. */
export const waitersMax = 4096;
/** Records accepted but not yet written (back-pressure: beyond it, appends are refused). */
export const unwrittenEntriesMax = 64 * 1024;
/** Bytes in one `append` disk operation. */
export const writeBytesMax = 1024 * 1024;
export const diskRetryMsDefault: Ms = 200;
export const recoverRetryMs: Ms = 500;

interface Segment {
  readonly first: number;
  readonly name: string;
  sizeBytes: number;
}

interface Waiter {
  readonly to: NodeId;
  readonly upTo: number;
}

type Cont = (r: DiskResult) => void;

const diskRetryTimer = 'k.diskRetry';
const recoverRetryTimer = 'k.recoverRetry';
const catchupTimer = 'k.catchup';
/** How often a keeper asks its peers again while it has not caught up or has corrupt ranges. */
export const catchupEveryMs: Ms = 1000;

/** A snapshot made durable the only safe way: temporary file, fsync, atomic rename, directory fsync. */
function durableSnapshotOps(offset: number, term: number, data: Uint8Array): DiskOp[] {
  const tmp = snapshotTmpName(offset);
  return [
    { op: 'write', file: tmp, offset: 0, data: encodeSnapshot({ offset, term, data }) },
    { op: 'fsync', file: tmp },
    { op: 'rename', from: tmp, to: snapshotName(offset) },
    { op: 'fsyncDir' },
  ];
}

export class Keeper implements Machine<KeeperMsg> {
  private readonly cfg: KeeperConfig;
  private readonly sm: SnapshotMaterializer;
  private out: Effect<KeeperMsg>[] = [];
  private reqSeq = 0;
  private epoch = 0;
  private readonly pending = new Map<DiskReqId, { epoch: number; then: Cont }>();
  private lane: { op: DiskOp; then: Cont }[] = [];
  private laneBusy = false;
  private syncInFlight = false;
  private writing = false;
  private rotating = false;
  private creating: Segment | null = null;
  private heardPeer = false;
  private recoveryBroken = false;
  private compacting = false;
  private compactFailedAt = -1;
  private installing = false;
  private fencing = false;
  private inbox: { from: NodeId; msg: Extract<KeeperMsg, { type: 'k.append' }> }[] = [];
  private waiters: Waiter[] = [];
  private writeBlocked: AppendRejectReason | null = null;

  phase: KeeperPhase = 'recovering';
  fenceTerm = 0;
  snapshotOffset = 0;
  snapshotTerm = 0;
  writtenOffset = 0;
  durableOffset = 0;
  private segments: Segment[] = [];
  private current: Segment | null = null;
  private snapshotFiles: number[] = [];
  /** Entries snapshotOffset+1 .. lastOffset (index i holds offset snapshotOffset + 1 + i). */
  private readonly log = new LogIndex<Segment>();
  private bytesSinceSnapshot = 0;
  /** Size of the newest snapshot's state (written or loaded), for `snapshotGrowthPercent`. */
  private lastSnapshotBytes = 0;
  /** A snapshot waiting for the log to be durable and committed up to its offset. */
  private heldSnapshot: AheadSnapshot | null = null;
  /**
   * Highest offset known committed and equal to our log: a leader's `commitOffset`, capped at
   * what its append matched (records beyond may be an older leader's, to be cut). Not kept across
   * a restart (the next append tells it again).
   */
  private committedOffset = 0;
  private corruptRanges: CorruptRange[] = [];
  private readonly counters: KeeperStats = {
    appendsAccepted: 0,
    appendsRejected: 0,
    fsyncs: 0,
    recordsWritten: 0,
    snapshotsWritten: 0,
    snapshotsInstalled: 0,
    segmentsCreated: 0,
    segmentsDeleted: 0,
    recoveries: 0,
    tornTails: 0,
    truncatedBytes: 0,
    corruptRecords: 0,
    corruptCoveredRecords: 0,
    corruptHeaders: 0,
    corruptSnapshots: 0,
    corruptTermFiles: 0,
    repairedRecords: 0,
    suffixTruncations: 0,
    diskFullEvents: 0,
    diskErrors: 0,
  };

  constructor(cfg: KeeperConfig) {
    assert(cfg.segmentBytesMax > segmentHeaderBytes, 'segmentBytesMax must exceed the segment header');
    assert(cfg.segmentBytesMax <= segmentBytesLimit, 'segmentBytesMax above the hard limit');
    assert(cfg.snapshotEveryRecords >= 1 && cfg.snapshotEveryBytes >= 1, 'snapshot schedule must be positive');
    this.cfg = cfg;
    this.sm = cfg.stateMachine;
  }

  get lastOffset(): number {
    return this.snapshotOffset + this.log.length;
  }

  /** Snapshots written since start (what `stats()` says, without copying the counters). */
  get snapshotsWritten(): number {
    return this.counters.snapshotsWritten;
  }

  stats(): KeeperStats {
    return { ...this.counters };
  }

  corrupt(): readonly CorruptRange[] {
    return this.corruptRanges;
  }

  /** Invariants checked by tests after every step. */
  invariants(): void {
    assert(this.snapshotOffset <= this.durableOffset, 'snapshot beyond durable');
    assert(this.durableOffset <= this.writtenOffset || this.phase === 'recovering', 'durable beyond written');
    assert(this.writtenOffset <= this.lastOffset || this.phase === 'recovering', 'written beyond last');
    this.log.invariants(); // dense by construction: offsets are implicit in the indices
  }

  step(input: Input<KeeperMsg>, _nowMs: Ms): Effect<KeeperMsg>[] {
    this.out = [];
    switch (input.type) {
      case 'start':
        this.beginRecovery();
        break;
      case 'message':
        this.onMessage(input.from, input.msg);
        break;
      case 'timeout':
        this.onTimeout(input.name);
        break;
      case 'disk': {
        const p = this.pending.get(input.req);
        this.pending.delete(input.req);
        if (p && p.epoch === this.epoch) p.then(input.result);
        break;
      }
      default:
        unreachable(input, 'input');
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  // ---- plumbing -------------------------------------------------------------------------

  private note(text: string): void {
    this.out.push({ type: 'note', text: `keeper ${this.cfg.id}: ${text}` });
  }

  private send(to: NodeId, msg: KeeperMsg): void {
    this.out.push({ type: 'send', to, msg });
  }

  private issue(op: DiskOp, then: Cont): void {
    this.reqSeq += 1;
    this.pending.set(this.reqSeq, { epoch: this.epoch, then });
    this.out.push({ type: 'disk', req: this.reqSeq, op });
  }

  private laneOp(op: DiskOp, then: Cont): void {
    this.lane.push({ op, then });
    this.pumpLane();
  }

  private pumpLane(): void {
    if (this.laneBusy) return;
    const item = this.lane.shift();
    if (!item) return;
    this.laneBusy = true;
    this.issue(item.op, (r) => {
      this.laneBusy = false;
      item.then(r);
      this.pumpLane();
    });
  }

  /** Runs `ops` in the lane in order; calls `done` with null or the first failure. */
  private laneSeq(ops: DiskOp[], done: (err: (DiskResult & { ok: false }) | null, at: number) => void, i = 0): void {
    const op = ops[i];
    if (op === undefined) return done(null, i);
    this.laneOp(op, (r) => (r.ok ? this.laneSeq(ops, done, i + 1) : done(r, i)));
  }

  /** Term of an entry still in the log (not compacted), for cross-Keeper invariant checks. */
  termOf(offset: number): number | null {
    return this.inLog(offset) ? this.log.termAt(this.at(offset)) : null;
  }

  /** Index in `log` of an offset in snapshotOffset+1 .. lastOffset. */
  private at(offset: number): number {
    return offset - this.snapshotOffset - 1;
  }

  private inLog(offset: number): boolean {
    return Number.isInteger(offset) && offset > this.snapshotOffset && offset <= this.lastOffset;
  }

  private termAt(offset: number): number | null {
    if (offset === 0) return 0;
    if (offset === this.snapshotOffset) return this.snapshotTerm;
    return this.termOf(offset);
  }

  // ---- messages -------------------------------------------------------------------------

  private onMessage(from: NodeId, msg: KeeperMsg): void {
    switch (msg.type) {
      case 'k.append':
        return this.onAppend(from, msg);
      case 'k.query':
        // While recovering, the durable offset and term are not known yet: an answer now would
        // tell a recovering Core "nothing is durable" and let it take a term the log already
        // has. Stay silent; the Core asks again.
        if (this.phase === 'recovering') return this.note(`k.query from ${from} ignored while recovering`);
        return this.send(from, {
          type: 'k.state',
          term: this.fenceTerm,
          durableOffset: this.durableOffset,
          durableTerm: this.termAt(this.durableOffset) ?? 0,
          snapshotOffset: this.snapshotOffset,
          corruptRanges: [...this.corruptRanges],
        });
      case 'k.fetch':
        return this.onFetch(from, msg.fromOffset, msg.maxBytes);
      case 'k.entries':
        return this.onPeerEntries(from, msg.entries, msg.prevTerm, msg.durableOffset);
      case 'k.snapshot':
        return this.onPeerSnapshot(msg.offset, msg.term, msg.data);
      case 'k.compact':
        return this.maybeCompact(true);
      case 'k.appendOk':
      case 'k.appendReject':
      case 'k.state':
        return; // answers to requests a keeper never sends
      default:
        unreachable(msg, 'keeper message');
    }
  }

  private onTimeout(name: string): void {
    if (name === diskRetryTimer) {
      this.writeBlocked = null;
      this.pumpWriter();
    } else if (name === recoverRetryTimer) {
      this.beginRecovery();
    } else if (name === catchupTimer) {
      this.maybeCatchUp();
    }
  }

  private reject(to: NodeId, reason: AppendRejectReason): void {
    this.counters.appendsRejected += 1;
    this.send(to, { type: 'k.appendReject', term: this.fenceTerm, reason, durableOffset: this.durableOffset });
  }

  private onAppend(from: NodeId, m: Extract<KeeperMsg, { type: 'k.append' }>): void {
    if (this.phase !== 'serving') return this.reject(from, 'recovering');
    if (this.fencing || this.inbox.length > 0) {
      if (this.inbox.length >= inboxMax) return this.reject(from, 'recovering');
      this.inbox.push({ from, msg: m });
      return;
    }
    if (this.processAppend(from, m) === 'fencing') this.inbox.push({ from, msg: m });
  }

  /** Handles one append; returns 'fencing' when it must wait for a higher term to be fenced. */
  private processAppend(from: NodeId, m: Extract<KeeperMsg, { type: 'k.append' }>): 'done' | 'fencing' {
    if (m.term < this.fenceTerm) {
      this.reject(from, 'staleTerm');
      return 'done';
    }
    if (m.term > this.fenceTerm) {
      this.startFence(m.term);
      return 'fencing';
    }
    if (this.writeBlocked !== null) {
      this.reject(from, this.writeBlocked);
      return 'done';
    }
    if (m.entries.length > batchEntriesMax || this.lastOffset - this.writtenOffset + m.entries.length > unwrittenEntriesMax) {
      this.reject(from, 'diskFull'); // back-pressure: the leader retries
      return 'done';
    }
    const gap = m.prevOffset > this.lastOffset;
    const res = this.acceptEntries(m.prevOffset, m.prevTerm, m.entries);
    if (res !== 'ok') {
      this.reject(from, 'mismatch');
      // The leader is ahead of us by more than it still holds: fetch the gap from peers.
      if (gap) {
        this.heardPeer = false;
        this.maybeCatchUp();
      }
      return 'done';
    }
    this.counters.appendsAccepted += 1;
    const upTo = m.prevOffset + m.entries.length;
    const commit = Math.min(m.commitOffset ?? upTo, upTo);
    if (commit > this.committedOffset) {
      this.committedOffset = commit;
      this.maybeCompact(); // a held snapshot may be committed now
    }
    if (upTo <= this.durableOffset) {
      // Report only what is known to match the leader's log (Raft's matchIndex): entries
      // beyond `upTo` may be an older leader's, to be cut when this leader reaches them.
      this.send(from, { type: 'k.appendOk', term: this.fenceTerm, durableOffset: upTo });
    } else if (this.waiters.length < waitersMax) {
      this.waiters.push({ to: from, upTo });
    }
    return 'done';
  }

  /**
   * Raft's AppendEntries consistency check, against the keeper's own log. Entries already
   * present with the same term are skipped (a resend); a different term at an offset cuts the
   * keeper's suffix from there. Used for a leader's k.append and a peer's k.entries alike.
   */
  private acceptEntries(prevOffset: number, prevTerm: number, entries: readonly KeeperEntry[]): 'ok' | 'mismatch' {
    if (prevOffset > this.lastOffset) return 'mismatch';
    const pt = this.termAt(prevOffset);
    if (pt !== null && pt !== prevTerm) {
      if (prevOffset > this.snapshotOffset) this.truncateFrom(prevOffset);
      return 'mismatch';
    }
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.offset !== prevOffset + 1 + i || e.payload.length > recordPayloadBytesMax) return 'mismatch';
      if (e.offset <= this.snapshotOffset) continue; // compacted, hence committed and equal
      if (e.offset <= this.lastOffset) {
        if (this.termAt(e.offset) === e.term) continue;
        this.truncateFrom(e.offset);
        return 'mismatch';
      }
      assert(e.offset === this.lastOffset + 1, 'log not dense');
      this.log.push(e.term, null, -1, recordBytes(e.payload.length), e.payload);
    }
    this.pumpWriter();
    return 'ok';
  }

  // ---- term fence -----------------------------------------------------------------------

  private startFence(term: number): void {
    this.fencing = true;
    const ops: DiskOp[] = [
      { op: 'write', file: termTmpName, offset: 0, data: encodeTermFile(term) },
      { op: 'fsync', file: termTmpName },
      { op: 'rename', from: termTmpName, to: termFileName },
      { op: 'fsyncDir' },
    ];
    this.laneSeq(ops, (err) => {
      this.fencing = false;
      if (err) {
        this.note(`term fence ${term} not written: ${err.code}`);
        const reason = err.code === 'ENOSPC' ? 'diskFull' : 'diskError';
        for (const x of this.inbox) this.reject(x.from, reason);
        this.inbox = [];
        return;
      }
      this.fenceTerm = Math.max(this.fenceTerm, term);
      this.drainInbox();
    });
  }

  private drainInbox(): void {
    while (!this.fencing && this.phase === 'serving') {
      const x = this.inbox.shift();
      if (!x) return;
      if (this.processAppend(x.from, x.msg) === 'fencing') {
        this.inbox.unshift(x);
        return;
      }
    }
  }

  // ---- writing and group commit ---------------------------------------------------------

  private pumpWriter(): void {
    // While an fsync runs, records pile up for the next write: one write and one fsync per
    // round. (A write issued during the fsync would take only what arrived in the short write
    // before it, and everything arriving during the fsync would wait a whole extra round.)
    if (this.phase !== 'serving' || this.writing || this.syncInFlight || this.rotating || this.writeBlocked !== null) return;
    if (this.writtenOffset >= this.lastOffset) return;
    const first = this.writtenOffset + 1;
    const cur = this.current;
    if (!cur) return this.createSegment(first);
    let size = cur.sizeBytes;
    let batchBytes = 0;
    let last = first - 1;
    for (let o = first; o <= this.lastOffset; o++) {
      const bytes = this.log.bytesAt(this.at(o));
      const fitsSegment = size + bytes <= this.cfg.segmentBytesMax || size === segmentHeaderBytes;
      if (!fitsSegment || (last >= first && batchBytes + bytes > writeBytesMax)) break;
      last = o;
      size += bytes;
      batchBytes += bytes;
    }
    if (last < first) return this.createSegment(first);
    this.writeBatch(cur, first, last, batchBytes);
  }

  /** Appends records first..last (all unwritten, `batchBytes` in all) to `cur`. */
  private writeBatch(cur: Segment, first: number, last: number, batchBytes: number): void {
    // Not zeroed: every byte is a record's (header fields and payload), as the size check proves.
    const data = Buffer.allocUnsafe(batchBytes);
    let p = 0;
    for (let o = first; o <= last; o++) {
      const i = this.at(o);
      const payload = this.log.payloadAt(i);
      assert(payload !== null, 'unwritten record without its payload');
      this.log.setPlace(i, cur, cur.sizeBytes + p);
      p = encodeRecordInto(data, p, { offset: o, term: this.log.termAt(i), payload });
    }
    assert(p === batchBytes, 'batch size differs from its records');
    const startSize = cur.sizeBytes;
    this.writing = true;
    this.laneOp({ op: 'append', file: cur.name, data }, (r) => {
      this.writing = false;
      if (!r.ok) return this.onWriteError(r, `append to ${cur.name}`, cur, startSize);
      if (r.offset !== undefined && r.offset !== startSize) {
        // The file is not the size we believe (a failed cleanup, or a foreign writer): re-read it.
        this.note(`append to ${cur.name} landed at ${r.offset}, expected ${startSize}; recovering from disk`);
        return this.restartRecovery();
      }
      cur.sizeBytes = startSize + batchBytes;
      this.writtenOffset = last;
      this.counters.recordsWritten += last - first + 1;
      this.kickSync();
      this.pumpWriter();
    });
  }

  /**
   * Starts segment `first`: fsync the old one (its records become durable: its name was made
   * durable when it was created), write and fsync the new header, fsync the directory. Only
   * then may records go into the new segment, so a durable record's segment name is durable.
   */
  private createSegment(first: number): void {
    this.rotating = true;
    this.creating = { first, name: segmentName(first), sizeBytes: segmentHeaderBytes };
    const old = this.current;
    const seg = this.creating;
    const ops: DiskOp[] = [];
    if (old) ops.push({ op: 'fsync', file: old.name });
    const mark = this.writtenOffset;
    ops.push({ op: 'write', file: seg.name, offset: 0, data: encodeSegmentHeader(first) });
    ops.push({ op: 'fsync', file: seg.name }, { op: 'fsyncDir' });
    this.laneSeq(ops, (err, at) => {
      this.rotating = false;
      this.creating = null;
      if (old && at >= 1) this.advanceDurable(mark);
      if (err) {
        if (at >= (old ? 1 : 0) + 1) this.laneOp({ op: 'delete', file: seg.name }, () => {});
        return this.onWriteError(err, `create ${seg.name}`, null, 0);
      }
      this.counters.segmentsCreated += 1;
      this.segments.push(seg);
      this.current = seg;
      this.pumpWriter();
    });
  }

  private onWriteError(r: DiskResult & { ok: false }, what: string, seg: Segment | null, goodSize: number): void {
    this.note(`${what} failed: ${r.code} ${r.message}`);
    if (r.code === 'ENOSPC') this.counters.diskFullEvents += 1;
    else this.counters.diskErrors += 1;
    const reason: AppendRejectReason = r.code === 'ENOSPC' ? 'diskFull' : 'diskError';
    // Forget what was not written; a partial append may have landed, so cut it off.
    this.log.truncate(this.writtenOffset - this.snapshotOffset);
    if (seg) {
      this.laneOp({ op: 'truncate', file: seg.name, length: goodSize }, (t) => {
        if (t.ok) return;
        this.note(`cutting back ${seg.name} failed: ${t.code}; recovering from disk`);
        this.restartRecovery();
      });
    }
    const [keep, drop] = partition(this.waiters, (w) => w.upTo <= this.writtenOffset);
    this.waiters = keep;
    for (const w of drop) this.reject(w.to, reason);
    this.writeBlocked = reason;
    this.out.push({ type: 'timer', name: diskRetryTimer, afterMs: this.cfg.diskRetryMs ?? diskRetryMsDefault });
  }

  /** Group commit: one fsync covers every record written before it was issued. */
  private kickSync(): void {
    const cur = this.current;
    if (this.syncInFlight || this.phase !== 'serving' || !cur || this.writtenOffset <= this.durableOffset) return;
    const mark = this.writtenOffset;
    this.syncInFlight = true;
    this.issue({ op: 'fsync', file: cur.name }, (r) => {
      this.syncInFlight = false;
      if (!r.ok) {
        // After a failed fsync the page cache cannot be trusted (PostgreSQL's "fsyncgate"):
        // re-read the disk from scratch rather than assume the data is there.
        this.counters.diskErrors += 1;
        this.note(`fsync ${cur.name} failed: ${r.code}; recovering from disk`);
        return this.restartRecovery();
      }
      this.counters.fsyncs += 1;
      this.advanceDurable(mark);
      this.kickSync();
      this.pumpWriter();
    });
  }

  private advanceDurable(mark: number): void {
    if (mark <= this.durableOffset) return;
    for (let o = this.durableOffset + 1; o <= mark; o++) {
      const i = this.at(o);
      const payload = this.log.payloadAt(i);
      assert(payload !== null, 'record applied twice');
      this.sm.apply(payload);
      this.log.clearPayload(i);
      this.bytesSinceSnapshot += this.log.bytesAt(i);
    }
    this.durableOffset = mark;
    this.dropRepaired();
    this.ackWaiters();
    this.maybeCompact();
  }

  /** A corrupt range is repaired once the durable log (or snapshot) reaches past it. */
  private dropRepaired(): void {
    this.corruptRanges = this.corruptRanges.filter((c) => c.toOffset > this.durableOffset);
  }

  private ackWaiters(): void {
    const [done, wait] = partition(this.waiters, (w) => w.upTo <= this.durableOffset);
    this.waiters = wait;
    // One answer per leader: the highest offset it appended that is now durable (its match index).
    const best = new Map<NodeId, number>();
    for (const w of done) best.set(w.to, Math.max(best.get(w.to) ?? 0, w.upTo));
    for (const [to, upTo] of best) this.send(to, { type: 'k.appendOk', term: this.fenceTerm, durableOffset: upTo });
  }

  // ---- suffix truncation (log mismatch) -------------------------------------------------

  /** Cuts the keeper's log from `offset` on (offset > snapshotOffset). */
  private truncateFrom(offset: number): void {
    assert(offset > this.snapshotOffset && offset <= this.lastOffset, 'truncate outside the log');
    this.counters.suffixTruncations += 1;
    this.note(`log mismatch at ${offset}: cutting the suffix ${offset}..${this.lastOffset}`);
    // Whoever waits for an offset at or after the cut waited for entries that are gone.
    const [keep, gone] = partition(this.waiters, (w) => w.upTo < offset);
    this.waiters = keep;
    for (const w of gone) this.reject(w.to, 'mismatch');
    if (offset > this.writtenOffset) {
      this.log.truncate(offset - 1 - this.snapshotOffset); // never reached the disk
      return;
    }
    const cut = this.at(offset);
    const seg = this.log.segAt(cut);
    assert(seg !== null, 'written record without a segment');
    this.phase = 'recovering';
    const later = this.segments.filter((s) => s.first > seg.first);
    if (this.creating) later.push(this.creating); // its creation is ahead of us in the lane
    const ops: DiskOp[] = [
      { op: 'truncate', file: seg.name, length: this.log.posAt(cut) },
      ...later.map((s): DiskOp => ({ op: 'delete', file: s.name })),
      { op: 'fsync', file: seg.name },
      { op: 'fsyncDir' },
    ];
    this.laneSeq(ops, (err) => {
      if (err) this.note(`suffix truncation failed: ${err.code}`);
      this.restartRecovery();
    });
  }

  // ---- compaction -----------------------------------------------------------------------

  /** Write a snapshot when the schedule says so (or now, when `force`d by an operator's SAVE). */
  private maybeCompact(force = false): void {
    if (this.phase !== 'serving' || this.compacting || this.installing) return;
    const held = this.heldSnapshot;
    if (held !== null) {
      if (held.offset > this.commitPoint()) return; // not durable, or not known committed, up to it yet
      this.heldSnapshot = null;
      // Written only if it is of this log (the term at its offset agrees) and still news;
      // otherwise dropped (the next due point takes a fresh one).
      if (held.offset > this.snapshotOffset && this.termAt(held.offset) === held.term) this.writeSnapshot(held.offset, held.term, held.data);
      return;
    }
    const records = this.durableOffset - this.snapshotOffset;
    if (records === 0 || (!force && this.durableOffset <= this.compactFailedAt)) return;
    if (!force && !this.snapshotDue(records)) return;
    if (this.sm.snapshotAhead !== undefined) {
      const ahead = this.sm.snapshotAhead();
      if (ahead === null || ahead.offset <= this.snapshotOffset) return;
      this.heldSnapshot = ahead;
      return this.maybeCompact(force);
    }
    const offset = this.durableOffset;
    if (offset > this.commitPoint()) {
      // Taken now (the materialized state is at `offset`), written once known committed.
      this.heldSnapshot = { offset, term: this.termAt(offset)!, data: this.sm.snapshot() };
      return;
    }
    this.writeSnapshot(offset, this.termAt(offset)!, this.sm.snapshot());
  }

  /**
   * Up to where a snapshot may go: durable here and known committed. A keeper without peers is
   * the whole write quorum: what it holds durably is committed.
   */
  private commitPoint(): number {
    return this.cfg.peers.length === 0 ? this.durableOffset : Math.min(this.durableOffset, this.committedOffset);
  }

  private writeSnapshot(offset: number, term: number, data: Uint8Array): void {
    if (data.length > snapshotDataBytesMax) {
      this.compactFailedAt = offset;
      return this.note(`snapshot at ${offset} is ${data.length} bytes, above snapshotDataBytesMax`);
    }
    this.compacting = true;
    const tmp = snapshotTmpName(offset);
    const ops = durableSnapshotOps(offset, term, data);
    this.laneSeq(ops, (err) => {
      if (err) {
        this.compacting = false;
        this.compactFailedAt = offset;
        this.note(`snapshot at ${offset} failed: ${err.code}`);
        this.laneOp({ op: 'delete', file: tmp }, () => {});
        return;
      }
      this.counters.snapshotsWritten += 1;
      this.lastSnapshotBytes = data.length; // a failed snapshot leaves the bar where it was
      this.adoptSnapshot(offset, term);
      this.deleteCovered(() => {
        this.compacting = false;
        this.maybeCompact();
      });
    });
  }

  /** The schedule: enough records or bytes since the last snapshot (and enough growth over it). */
  private snapshotDue(records: number): boolean {
    const scheduled = records >= this.cfg.snapshotEveryRecords || this.bytesSinceSnapshot >= this.cfg.snapshotEveryBytes;
    const growth = this.cfg.snapshotGrowthPercent;
    return scheduled && (growth === undefined || this.bytesSinceSnapshot * 100 >= this.lastSnapshotBytes * growth);
  }

  /** The snapshot at `offset` is durable: drop the log entries it covers. */
  private adoptSnapshot(offset: number, term: number): void {
    this.bytesSinceSnapshot -= this.log.dropFront(offset - this.snapshotOffset);
    this.snapshotOffset = offset;
    this.snapshotTerm = term;
    this.snapshotFiles.push(offset);
  }

  /** Deletes segments wholly below the snapshot and older snapshots, then fsyncs the directory. */
  private deleteCovered(done: () => void): void {
    const off = this.snapshotOffset;
    const covered = this.segments.filter((s, i) => s !== this.current && (this.segments[i + 1]?.first ?? Infinity) <= off + 1);
    const oldSnaps = this.snapshotFiles.filter((o) => o < off);
    this.segments = this.segments.filter((s) => !covered.includes(s));
    this.snapshotFiles = this.snapshotFiles.filter((o) => o >= off);
    const ops: DiskOp[] = [
      ...covered.map((s): DiskOp => ({ op: 'delete', file: s.name })),
      ...oldSnaps.map((o): DiskOp => ({ op: 'delete', file: snapshotName(o) })),
      { op: 'fsyncDir' },
    ];
    this.counters.segmentsDeleted += covered.length;
    this.laneSeq(ops, (err) => {
      if (err) this.note(`deleting covered files failed: ${err.code}`);
      done();
    });
  }

  // ---- serving reads and catch-up -------------------------------------------------------

  private onFetch(from: NodeId, fromOffset: number, maxBytes: number): void {
    // While recovering, what is durable is not known yet (as for k.query): an empty answer now
    // could make a recovering Core settle for less than was acknowledged. Stay silent; the
    // fetcher asks again.
    if (this.phase === 'recovering') return this.note(`k.fetch from ${from} ignored while recovering`);
    if (this.phase !== 'serving' || fromOffset > this.durableOffset || fromOffset < 1) {
      return this.send(from, { type: 'k.entries', entries: [], prevTerm: 0, durableOffset: this.durableOffset });
    }
    if (fromOffset <= this.snapshotOffset) return this.serveSnapshot(from, this.snapshotOffset);
    const prevTerm = this.termAt(fromOffset - 1);
    assert(prevTerm !== null, 'no term just above the snapshot');
    const first = this.at(fromOffset);
    const seg = this.log.segAt(first);
    assert(seg !== null, 'durable record without a segment');
    const budget = Math.max(1, Math.min(maxBytes, fetchBytesMax));
    let bytes = 0;
    let last = fromOffset;
    for (let o = fromOffset; o <= this.durableOffset && o - fromOffset < batchEntriesMax; o++) {
      const i = this.at(o);
      const size = this.log.bytesAt(i);
      if (this.log.segAt(i) !== seg || (o > fromOffset && bytes + size > budget)) break;
      bytes += size;
      last = o;
    }
    this.laneOp({ op: 'read', file: seg.name, offset: this.log.posAt(first), length: bytes }, (r) => {
      const entries = r.ok && r.data ? this.decodeRange(r.data, fromOffset, last) : [];
      this.send(from, { type: 'k.entries', entries, prevTerm: entries.length > 0 ? prevTerm : 0, durableOffset: this.durableOffset });
    });
  }

  /** Decodes records fromOffset..last from `data`; stops (and counts) at a bad one. */
  private decodeRange(data: Uint8Array, fromOffset: number, last: number): KeeperEntry[] {
    const entries: KeeperEntry[] = [];
    let pos = 0;
    for (let o = fromOffset; o <= last; o++) {
      const d = decodeRecordAt(data, pos);
      if (!d.ok || d.record.offset !== o) {
        this.counters.corruptRecords += 1;
        this.note(`record ${o} failed its checksum when read for a peer; not served`);
        break;
      }
      entries.push(d.record);
      pos = d.next;
    }
    return entries;
  }

  private serveSnapshot(to: NodeId, offset: number): void {
    this.laneOp({ op: 'read', file: snapshotName(offset) }, (r) => {
      const d = r.ok && r.data ? decodeSnapshot(r.data, offset) : null;
      if (!d || !d.ok) {
        if (d) this.counters.corruptSnapshots += 1;
        this.note(`snapshot ${offset} unreadable for a peer`);
        return this.send(to, { type: 'k.entries', entries: [], prevTerm: 0, durableOffset: this.durableOffset });
      }
      this.send(to, { type: 'k.snapshot', offset: d.snap.offset, term: d.snap.term, data: d.snap.data });
    });
  }

  /** Asks the peers again until one has answered that we hold all it has, and nothing is corrupt. */
  private maybeCatchUp(): void {
    if (this.phase !== 'serving' || this.cfg.peers.length === 0) return;
    if (this.heardPeer && this.corruptRanges.length === 0) return;
    this.fetchFromPeers();
    this.out.push({ type: 'timer', name: catchupTimer, afterMs: catchupEveryMs });
  }

  private fetchFromPeers(): void {
    for (const p of this.cfg.peers) this.send(p, { type: 'k.fetch', fromOffset: this.lastOffset + 1, maxBytes: fetchBytesMax });
  }

  private onPeerEntries(from: NodeId, entries: readonly KeeperEntry[], prevTerm: number, peerDurable: number): void {
    if (this.phase !== 'serving' || this.fencing || this.writeBlocked !== null) return;
    if (entries.length === 0) {
      if (peerDurable <= this.lastOffset) this.heardPeer = true;
      return;
    }
    if (entries.length > batchEntriesMax || this.lastOffset - this.writtenOffset + entries.length > unwrittenEntriesMax) return;
    const before = this.lastOffset;
    // The same check as a leader's append: records that do not continue our log at its term cut
    // our suffix there (an uncommitted tail of an older term), and the fetch starts again lower.
    if (this.acceptEntries(entries[0]!.offset - 1, prevTerm, entries) !== 'ok') return;
    this.counters.repairedRecords += this.lastOffset - before;
    if (peerDurable > this.lastOffset) {
      this.send(from, { type: 'k.fetch', fromOffset: this.lastOffset + 1, maxBytes: fetchBytesMax });
    }
  }

  /** A peer's snapshot beyond our log: install it as our own, drop our WAL, recover from it. */
  private onPeerSnapshot(offset: number, term: number, data: Uint8Array): void {
    if (this.phase !== 'serving' || this.installing || offset <= this.lastOffset) return;
    this.installing = true;
    const tmp = snapshotTmpName(offset);
    const ops: DiskOp[] = [
      ...durableSnapshotOps(offset, term, data),
      ...this.segments.map((s): DiskOp => ({ op: 'delete', file: s.name })),
      { op: 'fsyncDir' },
    ];
    this.phase = 'recovering';
    const durableAt = 4; // ops before this index leave the snapshot not yet durable
    this.laneSeq(ops, (err, at) => {
      if (err && at < durableAt) {
        // Nothing changed but a temporary file: keep serving what we have; the catch-up timer
        // asks again later (retrying at once would loop while the disk is full).
        this.note(`installing peer snapshot ${offset} failed: ${err.code}; keeping the local log`);
        this.laneOp({ op: 'delete', file: tmp }, () => {});
        this.installing = false;
        this.phase = 'serving';
        this.out.push({ type: 'timer', name: catchupTimer, afterMs: catchupEveryMs });
        return;
      }
      if (err) this.note(`installing peer snapshot ${offset}: cleanup failed (${err.code}); recovering from it`);
      else this.counters.snapshotsInstalled += 1;
      this.restartRecovery();
    });
  }

  // ---- recovery -------------------------------------------------------------------------

  private restartRecovery(): void {
    for (const w of this.waiters) this.reject(w.to, 'recovering');
    for (const x of this.inbox) this.reject(x.from, 'recovering');
    this.beginRecovery();
  }

  private beginRecovery(): void {
    this.epoch += 1;
    this.phase = 'recovering';
    this.counters.recoveries += 1;
    this.lane = [];
    this.laneBusy = this.syncInFlight = this.writing = this.rotating = this.heardPeer = this.recoveryBroken = false;
    this.creating = null;
    this.compacting = this.installing = this.fencing = false;
    this.heldSnapshot = null;
    this.committedOffset = 0;
    this.inbox = [];
    this.waiters = [];
    this.writeBlocked = null;
    this.segments = [];
    this.current = null;
    this.snapshotFiles = [];
    this.log.clear();
    this.bytesSinceSnapshot = 0;
    this.snapshotOffset = this.snapshotTerm = this.writtenOffset = this.durableOffset = 0;
    this.laneOp({ op: 'list' }, (r) => {
      if (!r.ok) return this.recoveryFailed(`list: ${r.code}`);
      this.recoverFrom(r.names ?? []);
    });
  }

  private recoveryFailed(why: string): void {
    if (this.recoveryBroken) return;
    this.recoveryBroken = true;
    this.note(`recovery failed (${why}); retrying`);
    this.out.push({ type: 'timer', name: recoverRetryTimer, afterMs: recoverRetryMs });
  }

  /** A continuation for a recovery step that must succeed for the recovery to count. */
  private mustOk(what: string): Cont {
    return (r) => {
      if (!r.ok) this.recoveryFailed(`${what}: ${r.code}`);
    };
  }

  private recoverFrom(names: readonly string[]): void {
    for (const n of names) if (n.endsWith('.tmp')) this.laneOp({ op: 'delete', file: n }, () => {});
    const snaps = names.map(parseSnapshotName).filter((x): x is number => x !== null).sort((a, b) => b - a);
    const segs = names.map(parseSegmentName).filter((x): x is number => x !== null).sort((a, b) => a - b);
    const afterTerm = () => this.loadSnapshot(snaps, 0, () => this.recoverSegments(segs));
    if (!names.includes(termFileName)) return afterTerm();
    this.laneOp({ op: 'read', file: termFileName }, (r) => {
      if (!r.ok) return this.recoveryFailed(`read term: ${r.code}`);
      const t = decodeTermFile(r.data ?? new Uint8Array(0));
      if (t === null) {
        this.counters.corruptTermFiles += 1;
        this.note('term file corrupt; fencing at the highest term in the log instead');
      } else this.fenceTerm = Math.max(this.fenceTerm, t);
      afterTerm();
    });
  }

  /** Loads the newest snapshot that checks out; corrupt ones are counted, noted and deleted. */
  private loadSnapshot(snaps: number[], i: number, done: () => void): void {
    const off = snaps[i];
    this.sm.reset();
    if (off === undefined) return done();
    this.laneOp({ op: 'read', file: snapshotName(off) }, (r) => {
      if (!r.ok) return this.recoveryFailed(`read snapshot: ${r.code}`);
      const d = decodeSnapshot(r.data ?? new Uint8Array(0), off);
      if (!d.ok) {
        this.counters.corruptSnapshots += 1;
        this.note(`snapshot ${off} corrupt (${d.reason}); not applied, deleted, to be repaired from peers`);
        this.addCorrupt((snaps[i + 1] ?? 0) + 1, off);
        this.laneOp({ op: 'delete', file: snapshotName(off) }, () => {});
        return this.loadSnapshot(snaps, i + 1, done);
      }
      this.sm.restore(d.snap.data);
      this.lastSnapshotBytes = d.snap.data.length;
      this.snapshotOffset = this.writtenOffset = this.durableOffset = off;
      this.snapshotTerm = d.snap.term;
      this.snapshotFiles = snaps.slice(i).reverse();
      done();
    });
  }

  private addCorrupt(fromOffset: number, toOffset: number): void {
    this.corruptRanges.push({ fromOffset, toOffset: Math.max(fromOffset, toOffset) });
  }

  private recoverSegments(segs: number[]): void {
    // Segments wholly below the snapshot are left over from an interrupted compaction.
    const obsolete = segs.filter((_f, i) => (segs[i + 1] ?? Infinity) <= this.snapshotOffset + 1);
    for (const f of obsolete) this.laneOp({ op: 'delete', file: segmentName(f) }, () => {});
    this.scanNext(segs.filter((f) => !obsolete.includes(f)), 0);
  }

  private scanNext(segs: number[], i: number): void {
    const first = segs[i];
    if (first === undefined) return this.finishRecovery();
    const name = segmentName(first);
    const isLast = i === segs.length - 1;
    this.laneOp({ op: 'read', file: name }, (r) => {
      if (!r.ok) return this.recoveryFailed(`read ${name}: ${r.code}`);
      const buf = r.data ?? new Uint8Array(0);
      const expected = this.lastOffset + 1;
      const res = scanSegment(buf, first, isLast, this.snapshotOffset);
      if (!res.ok && res.headerTorn) {
        this.counters.tornTails += 1;
        this.note(`${name}: torn header (segment being created at the crash); deleted`);
        this.laneOp({ op: 'delete', file: name }, this.mustOk(`delete ${name}`));
        return this.finishRecovery();
      }
      // The first segment kept may start below the snapshot; every later one continues densely.
      const misplaced = first > expected || (first < expected && this.segments.length > 0);
      if (!res.ok || misplaced) {
        const why = res.ok ? `starts at ${first}, expected ${expected}` : res.reason;
        // Everything from `expected` is cut: at least up to what this and the later segments hold.
        const held = res.ok ? first + res.scan.records.length - 1 : (segs[i + 1] ?? expected + 1) - 1;
        const to = Math.max(expected, held, segs[segs.length - 1] ?? 0);
        return this.cutAtCorruption(segs, i, 0, expected, to, `${name}: ${why}`);
      }
      const scan = res.scan;
      if (scan.headerBad) {
        this.counters.corruptHeaders += 1;
        this.note(`${name}: segment header corrupt; records scanned by the file name's offset, header rewritten`);
        this.laneSeq([{ op: 'write', file: name, offset: 0, data: encodeSegmentHeader(first) }], () => {});
      }
      if (scan.coveredBad > 0) {
        this.counters.corruptCoveredRecords += scan.coveredBad;
        this.note(`${name}: ${scan.coveredBad} bad record(s) below snapshot ${this.snapshotOffset} skipped (covered, never applied)`);
      }
      const seg: Segment = { first, name, sizeBytes: scan.validBytes };
      this.segments.push(seg);
      for (const rec of scan.records) {
        if (rec.offset <= this.snapshotOffset) continue;
        this.sm.apply(rec.payload);
        assert(rec.offset === this.lastOffset + 1, 'log not dense');
        this.log.push(rec.term, seg, rec.pos, rec.bytes, null);
        this.bytesSinceSnapshot += rec.bytes;
      }
      this.durableOffset = this.writtenOffset = this.lastOffset;
      this.laneOp({ op: 'fsync', file: name }, this.mustOk(`fsync ${name}`));
      const tail = scan.tail;
      switch (tail.kind) {
        case 'clean':
          return this.scanNext(segs, i + 1);
        case 'torn':
          this.counters.tornTails += 1;
          this.counters.truncatedBytes += buf.length - tail.pos;
          this.note(`${name}: torn tail at byte ${tail.pos}, ${buf.length - tail.pos} bytes cut; log ends at ${this.lastOffset}`);
          this.laneSeq([{ op: 'truncate', file: name, length: tail.pos }, { op: 'fsync', file: name }], (err) => {
            if (err) this.recoveryFailed(`cut torn tail of ${name}: ${err.code}`);
          });
          return this.finishRecovery();
        case 'corrupt': {
          const to = Math.max(tail.laterOffset, (segs[i + 1] ?? 0) - 1, this.lastOffset + 1);
          return this.cutAtCorruption(segs, i + 1, tail.pos, this.lastOffset + 1, to, `${name} byte ${tail.pos}: ${tail.reason}`);
        }
        default:
          unreachable(tail, 'scan tail');
      }
    });
  }

  /**
   * Mid-log corruption: nothing from `fromOffset` on is applied. Cut the local log there
   * (segment `segs[i-1]` at `pos` when it is kept, and every later segment), report the range
   * and fetch it from the peers, which repairs it.
   */
  private cutAtCorruption(segs: number[], i: number, pos: number, fromOffset: number, toOffset: number, why: string): void {
    this.counters.corruptRecords += 1;
    this.addCorrupt(fromOffset, toOffset);
    this.note(`corruption: ${why}; offsets ${fromOffset}..${toOffset} not applied, repairing from peers`);
    const kept = this.segments[this.segments.length - 1];
    const ops: DiskOp[] = [];
    if (kept && kept.first === segs[i - 1]) {
      ops.push({ op: 'truncate', file: kept.name, length: pos }, { op: 'fsync', file: kept.name });
      kept.sizeBytes = pos;
    }
    for (const f of segs.slice(i)) ops.push({ op: 'delete', file: segmentName(f) });
    this.laneSeq(ops, (err) => {
      if (err) this.recoveryFailed(`cut at corruption: ${err.code}`);
    });
    this.finishRecovery();
  }

  private finishRecovery(): void {
    this.laneOp({ op: 'fsyncDir' }, (r) => {
      if (!r.ok) return this.recoveryFailed(`fsyncDir: ${r.code}`);
      if (this.recoveryBroken) return; // a step failed; the retry timer is armed
      const last = this.segments[this.segments.length - 1];
      // The newest segment takes new records only if they continue it densely.
      const lastOffsetIn = last ? last.first + this.countIn(last) - 1 : 0;
      this.current = last && lastOffsetIn === this.lastOffset ? last : null;
      this.durableOffset = this.writtenOffset = this.lastOffset;
      this.dropRepaired();
      this.fenceTerm = Math.max(this.fenceTerm, this.snapshotTerm, this.termAt(this.lastOffset) ?? 0);
      this.phase = 'serving';
      this.note(
        `recovered: snapshot ${this.snapshotOffset}, durable ${this.durableOffset}, term ${this.fenceTerm}, ` +
          `segments ${this.segments.length}, corrupt ranges ${JSON.stringify(this.corruptRanges)}`,
      );
      this.maybeCatchUp();
      this.maybeCompact();
    });
  }

  /** Records a recovered segment holds (its last record may sit below the snapshot). */
  private countIn(seg: Segment): number {
    const lastIn = this.log.lastIndexIn(seg);
    if (lastIn >= 0) return this.snapshotOffset + 1 + lastIn - seg.first + 1;
    return seg.sizeBytes === segmentHeaderBytes ? 0 : -1; // records all below the snapshot: unusable
  }
}

function partition<T>(xs: readonly T[], pred: (x: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const x of xs) (pred(x) ? yes : no).push(x);
  return [yes, no];
}
