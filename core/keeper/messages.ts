// Messages between a Core leader and Keepers, and between Keepers (catch-up uses k.fetch).

import type { NodeId } from '../../net/types';

export interface KeeperEntry {
  /** Replicated log index, 1-based, dense. */
  readonly offset: number;
  /** Term of the leader that created the entry. */
  readonly term: number;
  /** Opaque bytes (msgpack of a batch of store mutations). */
  readonly payload: Uint8Array;
}

export type AppendRejectReason = 'staleTerm' | 'mismatch' | 'diskFull' | 'diskError' | 'recovering';

/** An inclusive offset range the keeper found corrupt and has not yet repaired. */
export interface CorruptRange {
  readonly fromOffset: number;
  readonly toOffset: number;
}

/** Most entries in one k.append or k.entries frame. */
export const batchEntriesMax = 1024;
/** Most payload bytes a k.fetch may ask for in one k.entries answer. */
export const fetchBytesMax = 8 * 1024 * 1024;

export type KeeperMsg =
  /** Leader → keeper: committed entries after (prevOffset, prevTerm). */
  | {
      readonly type: 'k.append';
      readonly term: number;
      readonly leader: NodeId;
      readonly prevOffset: number;
      readonly prevTerm: number;
      readonly entries: readonly KeeperEntry[];
      /**
       * The leader's commit point: its log up to here is durable on a write quorum of its term.
       * A keeper writes snapshots only of records it knows are committed (a snapshot is never
       * cut, so it must not hold records a later term may replace). Absent (tests, tools): the
       * append's own end.
       */
      readonly commitOffset?: number;
    }
  /** Everything up to `durableOffset` is fsynced on this keeper. */
  | { readonly type: 'k.appendOk'; readonly term: number; readonly durableOffset: number }
  | { readonly type: 'k.appendReject'; readonly term: number; readonly reason: AppendRejectReason; readonly durableOffset: number }
  | { readonly type: 'k.query' }
  | {
      readonly type: 'k.state';
      readonly term: number;
      readonly durableOffset: number;
      readonly durableTerm: number;
      readonly snapshotOffset: number;
      readonly corruptRanges: readonly CorruptRange[];
    }
  /** Ask for the records from `fromOffset` (or the snapshot, if they were compacted away). */
  | { readonly type: 'k.fetch'; readonly fromOffset: number; readonly maxBytes: number }
  | { readonly type: 'k.snapshot'; readonly offset: number; readonly term: number; readonly data: Uint8Array }
  /**
   * Records a keeper serves (to a peer catching up, or a recovering Core). `prevTerm`: the
   * server's term at the offset just before the first entry (0 when there are none), for the
   * receiver's consistency check: a keeper that rejoins with an uncommitted suffix of an old term
   * must find out that the records it is offered do not continue its own log.
   */
  | { readonly type: 'k.entries'; readonly entries: readonly KeeperEntry[]; readonly prevTerm: number; readonly durableOffset: number }
  /** Operator request (SAVE/BGSAVE): write a snapshot at the durable offset now, whatever the schedule. */
  | { readonly type: 'k.compact' };

/** Which messages a keeper answers (requests) and which it receives as answers. */
export const keeperMsgIsRequest = {
  'k.append': true,
  'k.appendOk': false,
  'k.appendReject': false,
  'k.query': true,
  'k.state': false,
  'k.fetch': true,
  'k.snapshot': false,
  'k.entries': false,
  'k.compact': true,
} as const satisfies Record<KeeperMsg['type'], boolean>;
