// The Core: the hot store in memory, never touching disk. Every write becomes one log entry
// (the store's mutations for that command, msgpack-encoded) shipped to the Keepers; a client
// hears OK when the entry is durable at the client's acknowledgement level.
//
// Lifecycle:
//   recovering: ask every Keeper for its durable state; once all answered (or a read quorum
//     after `recoveryWaitAllMs`), load the newest snapshot and replay the entries from the
//     Keeper with the highest durable offset; then take a new term (one above any term any
//     Keeper has seen) and establish it on a write quorum of Keepers (an empty append), which
//     fences every older incarnation: Keepers refuse appends from lower terms.
//   serving: execute commands, append, acknowledge by level, sweep expired keys.
//   fenced: a Keeper reported a higher term: some newer leader exists; stop serving and
//     recover again (in solo mode this only happens if an old incarnation lingers).
//
// Why this is safe without a disk (docs/durability.md has the long form): a write is
// acknowledged at `quorum` only when a majority of Keepers fsynced it; recovery reads a
// quorum (read quorum + write quorum > Keepers) and takes the highest durable offset, so it
// sees every quorum-acknowledged write; Keepers fence by term, so a stale Core can never
// make anything durable after a newer one has established its term.

import { array, err, Errors, int, NULL_ARRAY, OK, type Reply } from '../../net/reply';
import { assert, unreachable, type Effect, type Input, type Machine, type MachineEnv, type NodeId } from '../../net/types';
import type { KeeperEntry, KeeperMsg } from '../keeper/messages';
import { batchEntriesMax, fetchBytesMax } from '../keeper/messages';
import { decodeMutationBatch, encodeMutationBatch } from '../keeper/store-materializer';
import { recordPayloadBytesMax } from '../wal/record';
import { commandKeys, commandNameOf, findCommand, Store, writeCommandNames, type EvictionPolicy, type Mutation } from '../store';
import { attemptArgv, blockedRequestsMax, blockingKinds, blockingReply, emptyInMultiReply, parseBlocking, TIMEOUT_REPLY, waitedType, type BlockedRequest, type BlockingKind } from './blocking';
import { batchRequestsMax, CoreErrors, lazyPumpMsDefault, multiCommandsMax, watchedKeysMax, type AckLevel, type ClientMsg, type ClientRequest, type NodeMsg, type WatchToken } from './protocol';

export interface CoreConfig {
  readonly keepers: readonly NodeId[];
  readonly maxmemoryBytes: number;
  readonly policy: EvictionPolicy;
  /** Resend unacknowledged entries to a Keeper after this long without progress. */
  readonly appendRetryMs: number;
  /** During recovery: wait this long for every Keeper before settling for a read quorum. */
  readonly recoveryWaitAllMs: number;
  /** During recovery: how often unanswered queries, fetches and term establishment are resent. */
  readonly recoveryRetryMs: number;
  readonly sweepIntervalMs: number;
  readonly sweepKeysMax: number;
  /** Entries kept for retransmission / writes awaiting durability before new writes are refused. */
  readonly pendingEntriesMax: number;
  /** Client requests waiting for durability before new requests are refused. */
  readonly waitersMax: number;
  /** Clients whose last request id is remembered for duplicate suppression (oldest forgotten first). */
  readonly clientsTrackedMax: number;
  /**
   * While no request waits for durability (only `memory`-level writes), new entries go to the
   * Keepers at most this long after they were appended, together, instead of at once: at the
   * `memory` level nobody waits for the fsync, so one Keeper round per interval does the same
   * job as one per write. A waiting request (any other level) ships everything at once.
   * 0: always at once. Default 10 ms (`lazyPumpMsDefault`; the server's --memory-flush-ms): an
   * fsync costs a virtual machine the CPU of dozens of requests (scripts/server-cpu.sh), and
   * 10 ms still bounds what a Core crash can take from `memory` writes far below Redis's
   * `appendfsync everysec` second.
   */
  readonly lazyPumpMs: number;
  /** Planted bugs for checker tests (never set outside scenarios named bug-*). */
  readonly bugs?: { readonly splitTransactions?: boolean; readonly ignoreWatches?: boolean };
}

export const coreConfigDefaults: Omit<CoreConfig, 'keepers'> = {
  maxmemoryBytes: 0,
  policy: 'noeviction',
  appendRetryMs: 100,
  recoveryWaitAllMs: 300,
  recoveryRetryMs: 50,
  sweepIntervalMs: 100,
  sweepKeysMax: 20,
  pendingEntriesMax: 100_000,
  waitersMax: 100_000,
  clientsTrackedMax: 100_000,
  lazyPumpMs: lazyPumpMsDefault,
};

type Phase = 'recovering' | 'establishing' | 'serving' | 'fenced';

interface KeeperView {
  /** Highest offset this Keeper reported durable (from k.appendOk / k.state). */
  durable: number;
  /** Highest offset sent and not yet known durable; resend from durable+1 on retry. */
  sentUpTo: number;
  /** Whether its last answer was a refusal for lack of space or a disk error. */
  refusing: 'diskFull' | 'diskError' | null;
  /** Last time it made progress (local clock), for retries. */
  progressAtMs: number;
  /** Whether it acknowledged our term (establishing phase). */
  acceptedTerm: boolean;
  /** Recovery: its answer to k.query. */
  state: Extract<KeeperMsg, { type: 'k.state' }> | null;
}

interface Waiter {
  readonly to: NodeId;
  readonly req: number;
  readonly reply: Reply;
  /** Everything up to this offset must be durable at `ack` before the reply goes out. */
  readonly offset: number;
  readonly ack: AckLevel;
}

export interface CoreStats {
  commands: number;
  writes: number;
  entriesAppended: number;
  refusedWrites: number;
  recoveries: number;
  recoveredEntries: number;
  recoveredFromSnapshot: number;
}

const EXISTS = Buffer.from('EXISTS');
const TYPE = Buffer.from('TYPE');
/** Mutations that change a whole database (or all of them) at once. */
const wholeDbCommands = new Set(['flushdb', 'flushall', 'swapdb']);
/** Keys whose last modification offset is remembered for WATCH. */
export const modifiedKeysTrackedMax = 100_000;
const trackKey = (db: number, key: Buffer): string => `${db}:${key.toString('latin1')}`;

/** Unanswered fetches from the chosen recovery source before recovery starts over. */
export const recoveryFetchRetriesMax = 5;

/** A write's arguments must fit one WAL record with room for the mutations it may add (evictions). */
export const requestBytesMax = recordPayloadBytesMax - 256 * 1024;

function argvBytes(argv: readonly Buffer[]): number {
  let n = 0;
  for (const a of argv) n += a.length + 8;
  return n;
}

/** Whether the command named `lname` (lowercase) writes. */
const isWriteName = (lname: string): boolean => writeCommandNames.has(lname);

export class Core implements Machine<NodeMsg> {
  private phase: Phase = 'recovering';
  private store: Store;
  private term = 0;
  /** Offset of the last entry applied to the store (the log's tail). */
  private tail = 0;
  private tailTerm = 0;
  /** Entries not yet durable on every Keeper, in offset order: pending[0].offset = firstPending. */
  private pending: KeeperEntry[] = [];
  /** Term of the entry just before pending[0] (or the recovered tail's term). */
  private retainedBaseTerm = 0;
  private waiters: Waiter[] = [];
  private readonly keepers = new Map<NodeId, KeeperView>();
  private recoverySource: NodeId | null = null;
  /**
   * Highest request id executed per client. Request ids of one client only grow (one per
   * connection in the real server; sequential simulated clients), so a request at or below it
   * is a duplicate (a network retransmission) and must not run twice: an INCR executed twice is
   * a lost-update bug (Raft thesis §6.3 keeps client sessions for the same reason).
   */
  private readonly lastReq = new Map<NodeId, { req: number }>();
  /** Whether the 'lazy-pump' timer is armed (entries appended, nobody waiting for them yet). */
  private lazyPumpArmed = false;
  /** Entries up to here have been released to the Keepers (`pump` sends nothing beyond it). */
  private shippedTail = 0;
  /**
   * WATCH support: the log offset of the last entry that modified each key (db + key), for the
   * most recently modified `modifiedKeysTrackedMax` keys; a key forgotten from the map was last
   * modified at or before `modifiedHorizon`, so an EXEC whose watch is older than the horizon
   * aborts (conservatively: a spurious retry, never a lost update).
   */
  private readonly modifiedAt = new Map<string, number>();
  private modifiedHorizon = 0;
  /** Whether modifications are tracked per key (from the first WATCH on). */
  private watchTracking = false;
  /** Offset of the last FLUSHDB/FLUSHALL/SWAPDB-style change of a whole database. */
  private readonly dbResetAt = new Map<number, number>();
  /** Blocked requests (BLPOP & co.), oldest first; served FIFO per key. */
  private blocked: BlockedRequest[] = [];
  private blockSeq = 0;
  /** Keys modified since blocked requests were last served (db:key). */
  private readonly toServe = new Set<string>();
  /** When the 'block' timer is armed to fire (local clock), Infinity when not armed. */
  private blockTimerAtMs = Infinity;
  private recoveryTarget = 0;
  private fetchRetries = 0;
  private recoveryStartedMs = 0;
  readonly stats: CoreStats = { commands: 0, writes: 0, entriesAppended: 0, refusedWrites: 0, recoveries: 0, recoveredEntries: 0, recoveredFromSnapshot: 0 };

  constructor(
    private readonly env: MachineEnv,
    private readonly cfg: CoreConfig,
  ) {
    assert(cfg.keepers.length >= 1, 'a Core needs at least one Keeper');
    this.store = this.freshStore();
    for (const k of cfg.keepers) this.keepers.set(k, emptyView());
  }

  // ---- Inputs ----------------------------------------------------------------------

  step(input: Input<NodeMsg>, nowMs: number): Effect<NodeMsg>[] {
    const effects = this.dispatch(input, nowMs);
    // After any change, wake blocked requests whose keys were modified, then re-arm their timer.
    if (this.toServe.size > 0) effects.push(...this.serveBlocked(nowMs));
    const rearm = this.rearmBlockTimer(nowMs);
    if (rearm.length > 0) effects.push(...rearm);
    // Entries appended by this input go to the Keepers now, or soon if nobody waits for them.
    const ship = this.pumpIfNeeded(nowMs);
    if (ship.length > 0) effects.push(...ship);
    return effects;
  }

  private dispatch(input: Input<NodeMsg>, nowMs: number): Effect<NodeMsg>[] {
    switch (input.type) {
      case 'start':
        return this.beginRecovery(nowMs);
      case 'message':
        return this.onMessage(input.from, input.msg, nowMs);
      case 'timeout':
        return this.onTimeout(input.name, nowMs);
      case 'disk':
        assert(false, 'a Core never touches disk');
        return [];
      default:
        return unreachable(input, 'input');
    }
  }

  private onMessage(from: NodeId, msg: NodeMsg, nowMs: number): Effect<NodeMsg>[] {
    switch (msg.type) {
      case 'c.req': {
        const out: Effect<NodeMsg>[] = [];
        this.onClientRequest(from, msg, nowMs, out);
        return out;
      }
      case 'c.batch':
        return this.onBatch(from, msg.reqs, nowMs);
      case 'c.exec':
        return this.onExec(from, msg, nowMs);
      case 'c.gone':
        this.lastReq.delete(from);
        this.blocked = this.blocked.filter((b) => b.from !== from);
        return [];
      case 'c.unblock': {
        const b = this.blocked.find((x) => x.from === msg.target);
        const answer = replyTo(from, msg.req, int(b ? 1 : 0), 0);
        if (!b) return [answer];
        this.blocked = this.blocked.filter((x) => x !== b);
        const r = msg.error ? err('UNBLOCKED client unblocked via CLIENT UNBLOCK') : TIMEOUT_REPLY;
        return [...this.replyWhenDurable(b.from, b.req, r, b.ack), answer];
      }
      case 'k.state':
        return this.onKeeperState(from, msg, nowMs);
      case 'k.snapshot':
      case 'k.entries':
        return this.onRecoveryData(from, msg, nowMs);
      case 'k.appendOk':
        return this.onAppendOk(from, msg.term, msg.durableOffset, nowMs);
      case 'k.appendReject':
        return this.onAppendReject(from, msg, nowMs);
      case 'c.reply':
      case 'k.append':
      case 'k.query':
      case 'k.fetch':
      case 'k.compact':
        return [{ type: 'note', text: `core ignores ${msg.type} from ${from}` }];
      default:
        return unreachable(msg, 'message');
    }
  }

  private onTimeout(name: string, nowMs: number): Effect<NodeMsg>[] {
    switch (name) {
      case 'recovery':
        return this.recoveryTick(nowMs);
      case 'pump':
        return [...this.pump(nowMs, true), { type: 'timer', name: 'pump', afterMs: this.cfg.appendRetryMs }];
      case 'lazy-pump':
        this.lazyPumpArmed = false;
        this.shippedTail = this.tail;
        return this.pump(nowMs, false);
      case 'sweep':
        return [...this.sweep(nowMs), { type: 'timer', name: 'sweep', afterMs: this.cfg.sweepIntervalMs }];
      case 'restart-recovery':
        return this.beginRecovery(nowMs);
      case 'block':
        this.blockTimerAtMs = Infinity;
        return this.expireBlocked(nowMs);
      default:
        return [{ type: 'note', text: `core: unknown timer ${name}` }];
    }
  }

  // ---- Recovery --------------------------------------------------------------------

  private beginRecovery(nowMs: number): Effect<NodeMsg>[] {
    this.phase = 'recovering';
    this.recoveryStartedMs = nowMs;
    this.stats.recoveries += 1;
    this.store = this.freshStore();
    this.tail = 0;
    this.tailTerm = 0;
    this.shippedTail = 0;
    this.pending = [];
    this.retainedBaseTerm = 0;
    this.waiters = [];
    this.modifiedAt.clear();
    this.dbResetAt.clear();
    this.blocked = [];
    this.toServe.clear();
    this.recoverySource = null;
    this.recoveryTarget = 0;
    for (const k of this.cfg.keepers) this.keepers.set(k, { ...emptyView(), progressAtMs: nowMs });
    return [
      ...this.cfg.keepers.map((k): Effect<NodeMsg> => ({ type: 'send', to: k, msg: { type: 'k.query' } })),
      { type: 'timer', name: 'recovery', afterMs: this.cfg.recoveryRetryMs },
      { type: 'note', text: `core ${this.env.id} recovering from ${this.cfg.keepers.length} keeper(s)` },
    ];
  }

  private onKeeperState(from: NodeId, msg: Extract<KeeperMsg, { type: 'k.state' }>, nowMs: number): Effect<NodeMsg>[] {
    const view = this.keepers.get(from);
    if (!view) return [];
    view.state = msg;
    // Not `durable`: that counts only offsets a Keeper acknowledged in our term (appendOk), which
    // certify its log matches ours. Its own durable offset may include an older leader's suffix.
    this.term = Math.max(this.term, msg.term);
    if (this.phase !== 'recovering' || this.recoverySource !== null) return [];
    const answered = [...this.keepers.values()].filter((v) => v.state !== null).length;
    if (answered === this.keepers.size) return this.chooseSource(nowMs);
    return [];
  }

  private recoveryTick(nowMs: number): Effect<NodeMsg>[] {
    if (this.phase === 'recovering' && this.recoverySource === null) {
      const answered = [...this.keepers.values()].filter((v) => v.state !== null).length;
      const waitedAll = nowMs - this.recoveryStartedMs >= this.cfg.recoveryWaitAllMs;
      if (answered === this.keepers.size || (answered >= this.readQuorum() && waitedAll)) return this.chooseSource(nowMs);
      // Ask again: queries or answers may have been lost.
      return [
        ...this.cfg.keepers.filter((k) => !this.keepers.get(k)!.state).map((k): Effect<NodeMsg> => ({ type: 'send', to: k, msg: { type: 'k.query' } })),
        { type: 'timer', name: 'recovery', afterMs: this.cfg.recoveryRetryMs },
      ];
    }
    if (this.phase === 'recovering' && this.recoverySource !== null) {
      // A fetch or its answer was lost: ask again from where we are; if the source stays silent,
      // start over (another Keeper may serve).
      if (++this.fetchRetries > recoveryFetchRetriesMax * Math.ceil(this.cfg.recoveryWaitAllMs / this.cfg.recoveryRetryMs)) return this.beginRecovery(nowMs);
      return [this.fetchFrom(this.recoverySource), { type: 'timer', name: 'recovery', afterMs: this.cfg.recoveryRetryMs }];
    }
    if (this.phase === 'establishing') {
      return [...this.sendEstablish(), { type: 'timer', name: 'recovery', afterMs: this.cfg.recoveryRetryMs }];
    }
    return [];
  }

  /**
   * Pick the Keeper whose log is the most up to date, by Raft's rule: the higher term of the last
   * durable entry, then the longer log (then one with no corrupt range). Length alone is wrong: a
   * Keeper that missed a newer term can hold a longer suffix of an older leader that was never
   * acknowledged, and adopting it would cut the newer term's acknowledged entries.
   */
  private chooseSource(nowMs: number): Effect<NodeMsg>[] {
    const candidates = [...this.keepers.entries()]
      .filter(([, v]) => v.state !== null)
      .sort(([a, va], [b, vb]) => {
        const sa = va.state!;
        const sb = vb.state!;
        if (sa.durableTerm !== sb.durableTerm) return sb.durableTerm - sa.durableTerm;
        if (sa.durableOffset !== sb.durableOffset) return sb.durableOffset - sa.durableOffset;
        const ca = sa.corruptRanges.length > 0 ? 1 : 0;
        const cb = sb.corruptRanges.length > 0 ? 1 : 0;
        if (ca !== cb) return ca - cb;
        return a < b ? -1 : a > b ? 1 : 0;
      });
    const best = candidates[0];
    assert(best, 'chooseSource without answers');
    const [source, view] = best;
    this.recoverySource = source;
    this.recoveryTarget = view.state!.durableOffset;
    if (this.recoveryTarget === 0) return this.establishTerm(nowMs);
    this.fetchRetries = 0;
    return [
      this.fetchFrom(source),
      { type: 'timer', name: 'recovery', afterMs: this.cfg.recoveryRetryMs },
      { type: 'note', text: `core recovering up to offset ${this.recoveryTarget} from ${source}` },
    ];
  }

  private fetchFrom(source: NodeId): Effect<NodeMsg> {
    return { type: 'send', to: source, msg: { type: 'k.fetch', fromOffset: this.tail + 1, maxBytes: fetchBytesMax } };
  }

  private onRecoveryData(from: NodeId, msg: Extract<KeeperMsg, { type: 'k.snapshot' | 'k.entries' }>, nowMs: number): Effect<NodeMsg>[] {
    if (this.phase !== 'recovering' || from !== this.recoverySource) return [];
    this.fetchRetries = 0; // the source is alive and answering
    if (msg.type === 'k.snapshot') {
      if (msg.offset <= this.tail) return [this.fetchFrom(from)];
      this.store = Store.restore(msg.data, this.storeOptions());
      this.tail = msg.offset;
      this.tailTerm = msg.term;
      this.pending = [];
      this.retainedBaseTerm = msg.term;
      this.stats.recoveredFromSnapshot += 1;
    } else {
      for (const e of msg.entries) {
        if (e.offset !== this.tail + 1) continue; // duplicates or a gap: the next fetch fixes it
        this.applyEntry(e);
        this.stats.recoveredEntries += 1;
      }
      if (msg.entries.length === 0 && this.tail < this.recoveryTarget) {
        // Nothing sent although it claims more (busy, or it could not read its next record):
        // ask again on the recovery timer (and start over with another source if it stays so).
        // Settling here would establish a term below acknowledged entries.
        if (msg.durableOffset > this.tail) return [];
        // The source has less than it claimed (it truncated a corrupt tail?): settle for what it has.
        this.recoveryTarget = this.tail;
      }
    }
    if (this.tail >= this.recoveryTarget) return this.establishTerm(nowMs);
    return [this.fetchFrom(from)];
  }

  private establishTerm(nowMs: number): Effect<NodeMsg>[] {
    this.phase = 'establishing';
    this.term += 1;
    this.shippedTail = this.tail; // recovered entries: any Keeper that lacks them is sent them
    for (const v of this.keepers.values()) {
      v.acceptedTerm = false;
      v.durable = 0;
      // Where to start sending: what it said it holds (a hint; a mismatch corrects it).
      v.sentUpTo = Math.min(v.state?.durableOffset ?? 0, this.tail);
      v.progressAtMs = nowMs;
    }
    return [...this.sendEstablish(), { type: 'note', text: `core establishing term ${this.term} at offset ${this.tail}` }, { type: 'timer', name: 'recovery', afterMs: this.cfg.recoveryRetryMs }];
  }

  /** An empty append at our term after our tail: Keepers that accept it are fenced against older terms. */
  private sendEstablish(): Effect<NodeMsg>[] {
    const commitOffset = this.durableAt('quorum');
    return this.cfg.keepers.map((k) => ({
      type: 'send',
      to: k,
      msg: { type: 'k.append', term: this.term, leader: this.env.id, prevOffset: this.tail, prevTerm: this.tailTerm, entries: [], commitOffset },
    }));
  }

  private becomeServing(): Effect<NodeMsg>[] {
    this.phase = 'serving';
    // Modifications before this incarnation are unknown: older watches abort.
    this.modifiedHorizon = this.tail;
    return [
      { type: 'cancelTimer', name: 'recovery' },
      { type: 'timer', name: 'pump', afterMs: this.cfg.appendRetryMs },
      { type: 'timer', name: 'sweep', afterMs: this.cfg.sweepIntervalMs },
      { type: 'note', text: `core serving at term ${this.term}, offset ${this.tail}, ${this.store.dbSize(0)} keys in db0` },
    ];
  }

  // ---- Client requests -------------------------------------------------------------

  /**
   * A pipelined run of requests: each as if sent alone. Their entries are shipped together at
   * the end of the step (as every step's are: `pumpIfNeeded`).
   */
  private onBatch(from: NodeId, reqs: readonly ClientRequest[], nowMs: number): Effect<NodeMsg>[] {
    const out: Effect<NodeMsg>[] = [];
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]!;
      if (i < batchRequestsMax) this.onClientRequest(from, r, nowMs, out);
      else out.push(replyTo(from, r.req, err(CoreErrors.batchTooLarge), 0));
    }
    return out;
  }

  /** One request; its effects go onto `out` (a pipelined batch's share one list). */
  private onClientRequest(from: NodeId, msg: ClientRequest, nowMs: number, out: Effect<NodeMsg>[]): void {
    if (this.isDuplicate(from, msg.req)) {
      out.push({ type: 'note', text: `duplicate request #${msg.req} from ${from} dropped` });
      return;
    }
    this.stats.commands += 1;
    // From a socket the arguments are Buffers already; from a decoded frame, Uint8Arrays.
    const argv = allBuffers(msg.argv) ? (msg.argv as Buffer[]) : msg.argv.map(toBuffer);
    const refusal = this.refusal(argv);
    if (refusal !== null) {
      out.push(replyTo(from, msg.req, refusal, 0));
      return;
    }
    const name = argv[0]!;
    const lname = commandNameOf(name);
    if (blockingKinds.has(lname)) {
      for (const e of this.onBlocking(from, msg, lname as BlockingKind, argv, nowMs)) out.push(e);
      return;
    }
    if (name.length === 5 && lname === 'watch') {
      // The watch offset is the log tail now: EXEC aborts if a watched key changes after it.
      if (argv.length >= 2) this.watchTracking = true;
      out.push(argv.length < 2 ? replyTo(from, msg.req, err(Errors.wrongArity('watch')), 0) : replyTo(from, msg.req, OK, this.tail));
      return;
    }
    const refused = this.admission(argv, lname);
    if (refused !== null) {
      out.push(replyTo(from, msg.req, refused, 0));
      return;
    }
    const res = this.store.execute(argv, nowMs, { db: msg.db, user: msg.user });
    if (res.mutations.length > 0) {
      this.stats.writes += 1;
      this.appendEntry(res.mutations);
    }
    this.replyWhenDurableInto(out, from, msg.req, res.reply, msg.ack);
  }

  /** Why no request can run now (loading, an empty command), or null. */
  private refusal(argv: readonly Buffer[]): Reply | null {
    if (this.phase !== 'serving') return err(CoreErrors.loading);
    if (argv.length === 0) return err('ERR empty command');
    return null;
  }

  /** Why this (non-blocking) command may not run now, or null: a write too large to log or refused by the Keepers, or too many replies waiting. */
  private admission(argv: readonly Buffer[], lname: string): Reply | null {
    if (isWriteName(lname)) {
      if (argvBytes(argv) > requestBytesMax) return err(`ERR request too large to persist (over ${requestBytesMax} bytes)`);
      const refused = this.writeRefusal();
      if (refused) {
        this.stats.refusedWrites += 1;
        return err(refused);
      }
    }
    if (this.waiters.length >= this.cfg.waitersMax) return err(CoreErrors.busy);
    return null;
  }

  /** Whether `req` was seen from `from` already; if not, it becomes the client's latest. */
  private isDuplicate(from: NodeId, req: number): boolean {
    const last = this.lastReq.get(from);
    if (last !== undefined) {
      if (req <= last.req) return true;
      last.req = req;
      return false;
    }
    // Map order is first-seen order: over the cap, the longest-known client is forgotten first.
    this.lastReq.set(from, { req });
    if (this.lastReq.size > this.cfg.clientsTrackedMax) this.lastReq.delete(this.lastReq.keys().next().value!);
    return false;
  }

  // ---- Transactions (MULTI/EXEC/WATCH) ---------------------------------------------

  private onExec(from: NodeId, msg: Extract<ClientMsg, { type: 'c.exec' }>, nowMs: number): Effect<NodeMsg>[] {
    if (this.isDuplicate(from, msg.req)) return [{ type: 'note', text: `duplicate exec #${msg.req} from ${from} dropped` }];
    this.stats.commands += 1;
    if (this.phase !== 'serving') return replyEffect(from, msg.req, err(CoreErrors.loading), 0);
    if (msg.commands.length > multiCommandsMax || msg.watches.length > watchedKeysMax) return replyEffect(from, msg.req, err(CoreErrors.execTooLarge), 0);
    const commands = msg.commands.map((c) => c.map(toBuffer));
    if (commands.some((c) => c[0] !== undefined && isWriteName(commandNameOf(c[0])))) {
      const refusal = this.writeRefusal();
      if (refusal) {
        this.stats.refusedWrites += 1;
        return replyEffect(from, msg.req, err(`EXECABORT Transaction discarded because of: ${refusal}`), 0);
      }
    }
    const effects: Effect<NodeMsg>[] = [];
    // A watched key that has expired counts as modified (Redis 7): touching it now deletes it
    // (and logs the DEL) before the check.
    const touched: Mutation[] = [];
    for (const w of msg.watches) touched.push(...this.store.execute([EXISTS, toBuffer(w.key)], nowMs, { db: w.db, user: null }).mutations);
    if (touched.length > 0) this.appendEntry(touched);
    let result: Reply;
    if (!this.cfg.bugs?.ignoreWatches && msg.watches.some((w) => this.modifiedSince(w))) {
      result = NULL_ARRAY;
    } else {
      const replies: Reply[] = [];
      const mutations: Mutation[] = [];
      const session = { db: msg.db, user: msg.user };
      for (const argv of commands) {
        const kind = argv[0] === undefined ? '' : commandNameOf(argv[0]);
        // Inside MULTI a blocking command never blocks (Redis): one attempt, or its timeout reply.
        const res = blockingKinds.has(kind) ? this.attemptOnce(kind as BlockingKind, argv, session, nowMs) : this.store.execute(argv, nowMs, session);
        replies.push(res.reply);
        mutations.push(...res.mutations);
      }
      // One entry for the whole transaction: after any crash it is all there or not at all.
      if (mutations.length > 0) {
        this.stats.writes += 1;
        if (this.cfg.bugs?.splitTransactions) for (const m of mutations) this.appendEntry([m]);
        else this.appendEntry(mutations);
      }
      result = array(replies);
    }
    return [...effects, ...this.replyWhenDurable(from, msg.req, result, msg.ack)];
  }

  private modifiedSince(w: WatchToken): boolean {
    if (w.offset < this.modifiedHorizon) return true;
    if ((this.dbResetAt.get(w.db) ?? 0) > w.offset) return true;
    return (this.modifiedAt.get(trackKey(w.db, toBuffer(w.key))) ?? 0) > w.offset;
  }

  /** Record which keys an entry modified (WATCH). */
  private noteModified(mutations: readonly Mutation[], offset: number): void {
    // Before the first WATCH nothing is tracked: every offset up to here counts as "maybe modified".
    if (!this.watchTracking) this.modifiedHorizon = offset;
    if (!this.watchTracking && this.blocked.length === 0) return;
    for (const m of mutations) {
      const name = m.argv[0] === undefined ? '' : commandNameOf(m.argv[0]);
      if (wholeDbCommands.has(name)) {
        const every = name === 'flushall' || name === 'swapdb';
        if (every) for (let db = 0; db < this.store.databases; db++) this.dbResetAt.set(db, offset);
        else this.dbResetAt.set(m.db, offset);
        // SWAPDB can bring a waited-for key into a database: every waiter there gets an attempt.
        for (const b of this.blocked) if (every || b.db === m.db) for (const k of b.keys) this.toServe.add(trackKey(b.db, k));
        continue;
      }
      const spec = findCommand(name);
      if (!spec) continue;
      // MOVE key db also changes `key` in the target database.
      if (name === 'move' && m.argv[1] && m.argv[2]) this.touchKey(Number(m.argv[2].toString('latin1')), m.argv[1], offset);
      for (const k of commandKeys(spec, m.argv)) this.touchKey(m.db, k, offset); // re-inserted: Map order is recency order
    }
    while (this.modifiedAt.size > modifiedKeysTrackedMax) {
      const [oldest, at] = this.modifiedAt.entries().next().value!;
      this.modifiedAt.delete(oldest);
      this.modifiedHorizon = Math.max(this.modifiedHorizon, at);
    }
  }

  // ---- Blocking commands -----------------------------------------------------------

  /** Reply now if everything the reply depends on (the log tail) is durable at `ack`, else when it is. */
  private replyWhenDurable(to: NodeId, req: number, reply: Reply, ack: AckLevel): Effect<NodeMsg>[] {
    const out: Effect<NodeMsg>[] = [];
    this.replyWhenDurableInto(out, to, req, reply, ack);
    return out;
  }

  /** replyWhenDurable onto `out`. */
  private replyWhenDurableInto(out: Effect<NodeMsg>[], to: NodeId, req: number, reply: Reply, ack: AckLevel): void {
    if (this.tail <= this.durableAt(ack)) out.push(replyTo(to, req, reply, this.tail));
    else this.waiters.push({ to, req, reply, offset: this.tail, ack });
  }

  private onBlocking(from: NodeId, msg: ClientRequest, kind: BlockingKind, argv: Buffer[], nowMs: number): Effect<NodeMsg>[] {
    const parsed = parseBlocking(kind, argv);
    if (!parsed.ok) return this.replyWhenDurable(from, msg.req, parsed.reply, 'memory');
    const refusal = this.writeRefusal();
    if (refusal) {
      this.stats.refusedWrites += 1;
      return this.replyWhenDurable(from, msg.req, err(refusal), 'memory');
    }
    const session = { db: msg.db, user: msg.user };
    const effects: Effect<NodeMsg>[] = [];
    const touched: Mutation[] = [];
    for (const key of parsed.keys) {
      const res = this.store.execute(attemptArgv(kind, key, parsed.rest), nowMs, session);
      const r = blockingReply(kind, key, res.reply);
      if (r !== null) {
        touched.push(...res.mutations);
        if (touched.length > 0) this.appendEntry(touched);
        return [...effects, ...this.replyWhenDurable(from, msg.req, r, msg.ack)];
      }
      touched.push(...res.mutations); // e.g. the DEL of an expired key it looked at
    }
    if (touched.length > 0) this.appendEntry(touched);
    if (this.blocked.length >= blockedRequestsMax) return [...effects, ...this.replyWhenDurable(from, msg.req, err('ERR too many blocked clients'), 'memory')];
    this.blocked.push({
      seq: ++this.blockSeq,
      from,
      req: msg.req,
      kind,
      keys: parsed.keys.map((k) => Buffer.from(k)),
      rest: parsed.rest.map((k) => Buffer.from(k)),
      db: msg.db,
      user: msg.user,
      ack: msg.ack,
      deadlineMs: parsed.timeoutMs === 0 ? Infinity : nowMs + parsed.timeoutMs,
    });
    return effects;
  }

  /** One non-blocking attempt over every key of a blocking command (inside MULTI). */
  private attemptOnce(kind: BlockingKind, argv: Buffer[], session: { db: number; user: string | null }, nowMs: number): { reply: Reply; mutations: readonly Mutation[] } {
    const parsed = parseBlocking(kind, argv);
    if (!parsed.ok) return { reply: parsed.reply, mutations: [] };
    const mutations: Mutation[] = [];
    for (const key of parsed.keys) {
      const res = this.store.execute(attemptArgv(kind, key, parsed.rest), nowMs, session);
      mutations.push(...res.mutations);
      const r = blockingReply(kind, key, res.reply);
      if (r !== null) return { reply: r, mutations };
    }
    return { reply: emptyInMultiReply(kind), mutations };
  }

  /** Serve the oldest blocked requests of every modified key, one element each, while there are elements. */
  private serveBlocked(nowMs: number): Effect<NodeMsg>[] {
    const out: Effect<NodeMsg>[] = [];
    let rounds = 0;
    while (this.toServe.size > 0 && this.phase === 'serving') {
      assert(++rounds <= blockedRequestsMax * 4, 'serving blocked requests does not terminate');
      const tk = this.toServe.values().next().value!;
      this.toServe.delete(tk);
      for (const b of this.blocked.filter((x) => x.keys.some((k) => trackKey(x.db, k) === tk))) {
        const key = b.keys.find((k) => trackKey(b.db, k) === tk)!;
        const typed = this.store.execute([TYPE, key], nowMs, { db: b.db, user: null });
        if (typed.mutations.length > 0) this.appendEntry(typed.mutations);
        const type = typed.reply.t === 'simple' ? typed.reply.s : 'none';
        if (type !== 'none' && type !== waitedType(b.kind)) continue; // keeps waiting (see waitedType)
        const res = this.store.execute(attemptArgv(b.kind, key, b.rest), nowMs, { db: b.db, user: b.user });
        const r = blockingReply(b.kind, key, res.reply);
        if (res.mutations.length > 0) this.appendEntry(res.mutations);
        if (r === null) break; // nothing left on this key for the next waiters either
        this.blocked = this.blocked.filter((x) => x !== b);
        out.push(...this.replyWhenDurable(b.from, b.req, r, b.ack));
      }
    }
    this.toServe.clear();
    return out;
  }

  private expireBlocked(nowMs: number): Effect<NodeMsg>[] {
    const out: Effect<NodeMsg>[] = [];
    const still: BlockedRequest[] = [];
    for (const b of this.blocked) {
      if (b.deadlineMs <= nowMs) out.push(...this.replyWhenDurable(b.from, b.req, TIMEOUT_REPLY, b.ack));
      else still.push(b);
    }
    this.blocked = still;
    return out;
  }

  private rearmBlockTimer(nowMs: number): Effect<NodeMsg>[] {
    let next = Infinity;
    for (const b of this.blocked) if (b.deadlineMs < next) next = b.deadlineMs;
    if (next === this.blockTimerAtMs) return [];
    this.blockTimerAtMs = next;
    if (next === Infinity) return [{ type: 'cancelTimer', name: 'block' }];
    return [{ type: 'timer', name: 'block', afterMs: Math.max(0, next - nowMs) }];
  }

  private touchKey(db: number, key: Buffer, offset: number): void {
    if (!Number.isInteger(db)) return;
    // Tracking costs a string and two map operations per modified key: only pay for what a
    // WATCH (since the first one) or a blocked request can ask about.
    if (!this.watchTracking && this.blocked.length === 0) return;
    const tk = trackKey(db, key);
    if (this.watchTracking) {
      this.modifiedAt.delete(tk);
      this.modifiedAt.set(tk, offset);
    }
    if (this.blocked.length > 0) this.toServe.add(tk);
  }

  /** Why a write must be refused now (a clear error beats a hang), or null. */
  private writeRefusal(): string | null {
    if (this.pending.length >= this.cfg.pendingEntriesMax) return CoreErrors.busy;
    // Once per write: counted in place, no arrays.
    let refusing = 0;
    let diskFull = false;
    for (const v of this.keepers.values()) {
      if (v.refusing === null) continue;
      refusing += 1;
      if (v.refusing === 'diskFull') diskFull = true;
    }
    if (this.cfg.keepers.length - refusing < this.writeQuorum()) return CoreErrors.misconf(diskFull ? 'keeper disk full' : 'keeper disk error');
    return null;
  }

  private appendEntry(mutations: readonly Mutation[]): void {
    const entry: KeeperEntry = { offset: this.tail + 1, term: this.term, payload: encodeMutationBatch(mutations) };
    this.tail = entry.offset;
    this.tailTerm = entry.term;
    this.pending.push(entry);
    this.stats.entriesAppended += 1;
    this.noteModified(mutations, entry.offset);
    // Shipped at the end of the step (`pumpIfNeeded`), with every other entry of the step.
  }

  /**
   * End of every step: send the Keepers the entries they lack — at once if a request waits for
   * durability (or a full batch is ready, or the term is being established), else within
   * `lazyPumpMs` (one timer, armed once).
   */
  private pumpIfNeeded(nowMs: number): Effect<NodeMsg>[] {
    if (this.phase !== 'serving' && this.phase !== 'establishing') return [];
    // Only entries appended since the last release: resending what a Keeper lacks is the job
    // of its answers and of the retry timer (resending here after a refusal would loop).
    const fresh = this.tail - this.shippedTail;
    if (fresh <= 0) return [];
    const urgent = this.cfg.lazyPumpMs <= 0 || this.phase === 'establishing' || this.waiters.length > 0 || fresh >= batchEntriesMax;
    if (urgent) {
      this.shippedTail = this.tail;
      const out = this.pump(nowMs, false);
      if (this.lazyPumpArmed) {
        this.lazyPumpArmed = false;
        out.push({ type: 'cancelTimer', name: 'lazy-pump' });
      }
      return out;
    }
    if (this.lazyPumpArmed) return [];
    this.lazyPumpArmed = true;
    return [{ type: 'timer', name: 'lazy-pump', afterMs: this.cfg.lazyPumpMs }];
  }

  // ---- Shipping entries to Keepers -------------------------------------------------

  /**
   * Send each Keeper what it lacks. Without `retry`, only Keepers that are caught up with
   * what we sent get the new entries (pipelining); with `retry`, Keepers that made no progress
   * for `appendRetryMs` get everything from their durable offset again (appends are idempotent).
   */
  private pump(nowMs: number, retry: boolean): Effect<NodeMsg>[] {
    if (this.phase !== 'serving' && this.phase !== 'establishing') return [];
    const out: Effect<NodeMsg>[] = [];
    const limit = Math.min(this.tail, this.shippedTail);
    // Same for every Keeper: the loop below changes only what was sent, not what is durable.
    const commitOffset = this.durableAt('quorum');
    for (const [id, v] of this.keepers) {
      if (retry && nowMs - v.progressAtMs >= this.cfg.appendRetryMs && v.sentUpTo > v.durable) v.sentUpTo = v.durable;
      if (v.sentUpTo >= limit) continue;
      const from = v.sentUpTo + 1;
      const first = this.pending[0];
      if (!first || from < first.offset) {
        // We no longer hold what it lacks: an empty append at our tail tells it how far behind it
        // is, and it fetches the gap from its peers (by offset). Resent on every retry tick.
        if (retry) {
          out.push({ type: 'send', to: id, msg: { type: 'k.append', term: this.term, leader: this.env.id, prevOffset: limit, prevTerm: limit === this.tail ? this.tailTerm : this.termAt(limit), entries: [], commitOffset } });
          out.push({ type: 'note', text: `keeper ${id} at ${v.durable} lags behind retained entries (from ${first?.offset ?? this.tail + 1}): told to catch up from peers` });
          v.sentUpTo = Math.max(v.durable, v.sentUpTo);
        }
        continue;
      }
      const startIdx = from - first.offset;
      const entries = this.pending.slice(startIdx, Math.min(startIdx + batchEntriesMax, limit - first.offset + 1));
      const prev = startIdx > 0 ? this.pending[startIdx - 1]! : null;
      const prevTerm = prev ? prev.term : from - 1 === 0 ? 0 : this.termAt(from - 1);
      out.push({ type: 'send', to: id, msg: { type: 'k.append', term: this.term, leader: this.env.id, prevOffset: from - 1, prevTerm, entries, commitOffset } });
      v.sentUpTo = entries[entries.length - 1]!.offset;
    }
    return out;
  }

  /** Term of an entry at or before the retained window (only its boundary is ever asked). */
  private termAt(offset: number): number {
    const first = this.pending[0];
    if (first && offset >= first.offset) return this.pending[offset - first.offset]!.term;
    return this.retainedBaseTerm;
  }

  private onAppendOk(from: NodeId, term: number, durableOffset: number, nowMs: number): Effect<NodeMsg>[] {
    const v = this.keepers.get(from);
    if (!v) return [];
    if (term > this.term) return this.fence(term);
    if (term < this.term) return []; // an answer to an older incarnation's append
    v.refusing = null;
    if (durableOffset > v.durable) {
      v.durable = durableOffset;
      v.progressAtMs = nowMs;
    }
    v.sentUpTo = Math.max(v.sentUpTo, v.durable);
    const out: Effect<NodeMsg>[] = [];
    if (this.phase === 'establishing') {
      v.acceptedTerm = true;
      const accepted = [...this.keepers.values()].filter((x) => x.acceptedTerm).length;
      if (accepted >= this.writeQuorum()) out.push(...this.becomeServing());
    }
    out.push(...this.releaseWaiters());
    this.trimPending();
    out.push(...this.pump(nowMs, false));
    return out;
  }

  private onAppendReject(from: NodeId, msg: Extract<KeeperMsg, { type: 'k.appendReject' }>, nowMs: number): Effect<NodeMsg>[] {
    const v = this.keepers.get(from);
    if (!v) return [];
    if (msg.term > this.term || msg.reason === 'staleTerm') return msg.term >= this.term ? this.fence(msg.term) : [];
    switch (msg.reason) {
      case 'mismatch':
        // It lacks (or disagrees about) what precedes our batch: resend from what it holds on the
        // next pump. Its `durable` in our term never goes down: a reordered old reply says nothing new.
        v.sentUpTo = Math.max(v.durable, Math.min(msg.durableOffset, this.tail, v.sentUpTo));
        return [];
      case 'diskFull':
      case 'diskError':
        v.refusing = msg.reason;
        v.sentUpTo = v.durable;
        v.progressAtMs = nowMs;
        return [{ type: 'note', text: `keeper ${from} refuses appends: ${msg.reason}` }];
      case 'recovering':
        v.sentUpTo = v.durable;
        return [];
      default:
        return unreachable(msg.reason, 'reject reason');
    }
  }

  private fence(term: number): Effect<NodeMsg>[] {
    this.phase = 'fenced';
    this.term = Math.max(this.term, term);
    // Outcomes of writes still awaiting durability are unknown: a newer leader decides.
    const out: Effect<NodeMsg>[] = this.waiters.map((w) => replyTo(w.to, w.req, err(CoreErrors.uncertain), w.offset));
    this.waiters = [];
    for (const b of this.blocked) out.push(replyTo(b.from, b.req, err(CoreErrors.unblockedLeadership), 0));
    this.blocked = [];
    this.lazyPumpArmed = false;
    out.push({ type: 'note', text: `core fenced by term ${term}: recovering again` }, { type: 'cancelTimer', name: 'pump' }, { type: 'cancelTimer', name: 'sweep' }, { type: 'cancelTimer', name: 'lazy-pump' });
    return [...out, { type: 'timer', name: 'restart-recovery', afterMs: 0 }];
  }

  // ---- Durability bookkeeping ------------------------------------------------------

  private writeQuorum(): number {
    return Math.floor(this.cfg.keepers.length / 2) + 1;
  }

  /** Keepers a recovery must hear from so that it intersects every write quorum. */
  private readQuorum(): number {
    return this.cfg.keepers.length - this.writeQuorum() + 1;
  }

  /** The highest offset durable on at least `n` Keepers. */
  private durableOn(n: number): number {
    if (n <= 0) return this.tail;
    if (n === 1) {
      // The common question (solo: the only Keeper), answered without sorting.
      let best = 0;
      for (const v of this.keepers.values()) if (v.durable > best) best = v.durable;
      return best;
    }
    const offsets = [...this.keepers.values()].map((v) => v.durable).sort((a, b) => b - a);
    return offsets[n - 1] ?? 0;
  }

  private durableAt(level: AckLevel): number {
    switch (level) {
      case 'memory':
        return this.tail;
      case 'one':
        return this.durableOn(1);
      case 'quorum':
        return this.durableOn(this.writeQuorum());
      case 'all':
        return this.durableOn(this.cfg.keepers.length);
      default:
        return unreachable(level, 'ack level');
    }
  }

  private releaseWaiters(): Effect<NodeMsg>[] {
    if (this.waiters.length === 0) return [];
    const out: Effect<NodeMsg>[] = [];
    const still: Waiter[] = [];
    // Each level's durable offset once, not once per waiter.
    const at: Record<AckLevel, number> = { memory: this.tail, one: this.durableAt('one'), quorum: this.durableAt('quorum'), all: this.durableAt('all') };
    for (const w of this.waiters) {
      if (w.offset <= at[w.ack]) out.push(replyTo(w.to, w.req, w.reply, w.offset));
      else still.push(w);
    }
    this.waiters = still;
    return out;
  }

  /** Drop retained entries every Keeper has (or, over the cap, that a quorum has). */
  private trimPending(): void {
    const first = this.pending[0];
    if (!first) return;
    let upTo = this.durableOn(this.cfg.keepers.length);
    if (this.pending.length > this.cfg.pendingEntriesMax / 2) upTo = Math.max(upTo, this.durableOn(this.writeQuorum()));
    const drop = Math.min(this.pending.length, Math.max(0, upTo - first.offset + 1));
    if (drop > 0) {
      this.retainedBaseTerm = this.pending[drop - 1]!.term;
      this.pending = this.pending.slice(drop);
    }
  }

  // ---- Expiry ----------------------------------------------------------------------

  private sweep(nowMs: number): Effect<NodeMsg>[] {
    if (this.phase !== 'serving') return [];
    const muts = this.store.sweepExpired(nowMs, this.cfg.sweepKeysMax);
    if (muts.length > 0) this.appendEntry(muts);
    return [];
  }

  // ---- Helpers ---------------------------------------------------------------------

  /**
   * Apply a recovered entry. It is also retained (up to the cap), so that Keepers lagging
   * behind the recovery source can be fed by this Core before they accept its term.
   */
  private applyEntry(e: KeeperEntry): void {
    if (!(e.offset === this.tail + 1)) assert(false, `entry ${e.offset} applied out of order after ${this.tail}`);
    const batch = decodeMutationBatch(e.payload);
    // Entries passed the Keeper's checksum and were written by our own encoder: a bad one is a bug.
    if (!(batch.ok)) assert(false, `undecodable log entry ${e.offset}`);
    for (const m of batch.mutations) this.store.applyMutation(m);
    this.tail = e.offset;
    this.tailTerm = e.term;
    this.pending.push(e);
    if (this.pending.length > this.cfg.pendingEntriesMax / 2) this.retainedBaseTerm = this.pending.shift()!.term;
  }

  private storeOptions() {
    return { maxmemoryBytes: this.cfg.maxmemoryBytes, policy: this.cfg.policy, rng: this.env.rng };
  }

  private freshStore(): Store {
    return new Store(this.storeOptions());
  }

  /** Read-only views for invariant checkers, tests and INFO. */
  /**
   * The store as a snapshot at the log tail (offset and term of the last applied entry), for a
   * Keeper in the same process (`CoreSnapshots`); null unless serving.
   */
  snapshotPoint(): { readonly offset: number; readonly term: number; readonly data: Uint8Array } | null {
    if (this.phase !== 'serving') return null;
    return { offset: this.tail, term: this.tailTerm, data: this.store.snapshot() };
  }

  /** The phase (what `view().phase` says, without building the view). */
  get phaseNow(): Phase {
    return this.phase;
  }

  view(): { phase: Phase; term: number; tail: number; pending: number; waiters: number; blocked: number; durableQuorum: number; store: Store; stats: CoreStats } {
    return { phase: this.phase, term: this.term, tail: this.tail, pending: this.pending.length, waiters: this.waiters.length, blocked: this.blocked.length, durableQuorum: this.durableAt('quorum'), store: this.store, stats: this.stats };
  }

  /** How many Keepers have everything up to `offset` durable (WAIT). */
  keepersDurableAt(offset: number): number {
    return [...this.keepers.values()].filter((v) => v.durable >= offset).length;
  }
}

function emptyView(): KeeperView {
  return { durable: 0, sentUpTo: 0, refusing: null, progressAtMs: 0, acceptedTerm: false, state: null };
}

/** The effect that answers request `req` of client `to`. */
function replyTo(to: NodeId, req: number, reply: Reply, offset: number): Effect<NodeMsg> {
  return { type: 'send', to, msg: { type: 'c.reply', req, reply, offset } };
}

/** The one-reply effect list (a plain function: no closure per request). */
function replyEffect(to: NodeId, req: number, reply: Reply, offset: number): Effect<NodeMsg>[] {
  return [replyTo(to, req, reply, offset)];
}

function allBuffers(argv: readonly Uint8Array[]): boolean {
  for (let i = 0; i < argv.length; i++) if (!Buffer.isBuffer(argv[i])) return false;
  return true;
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
