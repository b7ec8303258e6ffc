// The messages a Core speaks: with clients (the RESP server's connections in the real
// world, simulated clients in the simulator) and with Keepers (core/keeper/messages.ts).

import type { Reply } from '../../net/reply';
import type { KeeperMsg } from '../keeper/messages';

/**
 * What a write waits for before the client hears OK (README: "Acknowledgement levels").
 * - memory: the Core applied it (survives nothing but the Core process staying up);
 * - one:    at least one Keeper fsynced it;
 * - quorum: a majority of Keepers fsynced it (the default; survives losing every Core at once
 *           and a minority of Keepers);
 * - all:    every Keeper fsynced it.
 * Reads at a level above `memory` also wait until everything they could have observed is
 * durable at that level, so a read never returns a write that a crash can still take back.
 */
export type AckLevel = 'memory' | 'one' | 'quorum' | 'all';
export const ackLevels: readonly AckLevel[] = ['memory', 'one', 'quorum', 'all'];

/** One command of a client. */
export interface ClientRequest {
  readonly type: 'c.req';
  /** The client's request id, echoed in the reply. */
  readonly req: number;
  readonly argv: readonly Uint8Array[];
  readonly db: number;
  /** Authenticated user (null: no ACL check — solo mode without users, internal callers). */
  readonly user: string | null;
  readonly ack: AckLevel;
}

/** Most requests in one `c.batch` (a connection sends a longer pipeline in several). */
/**
 * Default of CoreConfig.lazyPumpMs (the server's --memory-flush-ms): how long `memory`-level
 * entries wait for company before going to the Keepers. Here so the CLI can name it without
 * loading the Core.
 */
export const lazyPumpMsDefault = 10;
/** Largest --memory-flush-ms the server accepts: beyond a second, `memory` is no level at all. */
export const lazyPumpMsMax = 1000;

export const batchRequestsMax = 1024;

export type ClientMsg =
  | ClientRequest
  /**
   * Several requests of one client, in order (a pipelined chunk): exactly as many `c.req`s one
   * after another, answered one `c.reply` each, but stepped once, so their log entries go to the
   * Keepers in one append.
   */
  | { readonly type: 'c.batch'; readonly reqs: readonly ClientRequest[] }
  /**
   * EXEC of a MULTI block: the queued commands run as one state-machine command and become one
   * log entry (all of it survives a crash, or none). `watches` are the connection's WATCHed keys
   * with the log offset at which each was watched: if any was modified after that offset, nothing
   * runs and the reply is a null array (Redis's WATCH semantics).
   */
  | {
      readonly type: 'c.exec';
      readonly req: number;
      readonly commands: readonly (readonly Uint8Array[])[];
      readonly db: number;
      readonly user: string | null;
      readonly ack: AckLevel;
      readonly watches: readonly WatchToken[];
    }
  /** The client is gone (connection closed): forget its blocked requests and its request ids. */
  | { readonly type: 'c.gone' }
  /** CLIENT UNBLOCK: end `target`'s blocked request (as a timeout, or with an UNBLOCKED error); answers 1 or 0. */
  | { readonly type: 'c.unblock'; readonly req: number; readonly target: string; readonly error: boolean }
  | {
      readonly type: 'c.reply';
      readonly req: number;
      readonly reply: Reply;
      /** The log offset this reply depends on (0: none); WAIT and tests use it. */
      readonly offset: number;
    };

/** A watched key: WATCH answers with the log offset it was taken at (`c.reply.offset`). */
export interface WatchToken {
  readonly db: number;
  readonly key: Uint8Array;
  readonly offset: number;
}

/** Most commands in one MULTI block, and most watched keys per connection. */
export const multiCommandsMax = 10_000;
export const watchedKeysMax = 10_000;

export type NodeMsg = ClientMsg | KeeperMsg;

export const nodeFrameTags = {
  'c.req': 1,
  'c.reply': 2,
  'c.exec': 3,
  'c.gone': 4,
  'c.unblock': 5,
  'c.batch': 6,
  'k.append': 10,
  'k.appendOk': 11,
  'k.appendReject': 12,
  'k.query': 13,
  'k.state': 14,
  'k.fetch': 15,
  'k.snapshot': 16,
  'k.entries': 17,
  'k.compact': 18,
} as const satisfies Record<NodeMsg['type'], number>;

/** Error words. LOADING and MISCONF are Redis's own (clients know them); UNCERTAIN is ours. */
export const CoreErrors = {
  loading: 'LOADING Keepsake is loading the dataset in memory',
  misconf: (why: string) => `MISCONF Keepsake cannot persist writes right now: ${why}`,
  /** The write may or may not have been applied (leadership lost while it awaited durability). */
  uncertain: 'UNCERTAIN the outcome of this write is unknown: leadership was lost before it was durable',
  busy: 'MISCONF Keepsake has too many writes awaiting persistence; retry later',
  unblockedLeadership: 'UNBLOCKED leadership was lost while the client was blocked',
  execTooLarge: `ERR a MULTI block may hold at most ${multiCommandsMax} commands and watch ${watchedKeysMax} keys`,
  batchTooLarge: `ERR a request batch may hold at most ${batchRequestsMax} requests`,
} as const;
