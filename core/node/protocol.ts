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

export type ClientMsg =
  | {
      readonly type: 'c.req';
      /** The client's request id, echoed in the reply. */
      readonly req: number;
      readonly argv: readonly Uint8Array[];
      readonly db: number;
      /** Authenticated user (null: no ACL check — solo mode without users, internal callers). */
      readonly user: string | null;
      readonly ack: AckLevel;
    }
  | {
      readonly type: 'c.reply';
      readonly req: number;
      readonly reply: Reply;
      /** The log offset this reply depends on (0: none); WAIT and tests use it. */
      readonly offset: number;
    };

export type NodeMsg = ClientMsg | KeeperMsg;

export const nodeFrameTags = {
  'c.req': 1,
  'c.reply': 2,
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
} as const;
