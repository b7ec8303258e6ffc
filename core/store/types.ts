// Shared shapes of the store: sessions, mutations, entries, the command table entry, and
// the narrow interface (`StoreOps`) that command handlers use to touch the keyspace.

import type { Rng } from '../../net/types';
import type { Reply } from '../../net/reply';
import type { Value } from './values';

export type EvictionPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'allkeys-lfu'
  | 'volatile-lru'
  | 'volatile-ttl'
  | 'allkeys-random';

export interface StoreOptions {
  /** 0 = unlimited. */
  maxmemoryBytes: number;
  policy: EvictionPolicy;
  rng: Rng;
  /** Default 16. */
  databases?: number;
}

export interface Session {
  db: number;
  /** null = no ACL check (internal callers, tests, solo mode without users). */
  user: string | null;
}

/** A normalized, replayable mutation: what goes into the WAL and to followers. */
export interface Mutation {
  readonly db: number;
  readonly argv: readonly Buffer[];
}

export interface ExecResult {
  readonly reply: Reply;
  readonly mutations: readonly Mutation[];
}

export type Role = 'admin' | 'readwrite' | 'readonly';
export const roles: readonly Role[] = ['admin', 'readwrite', 'readonly'];

export type PasswordAlgo = 'scrypt' | 'pbkdf2';

/** A user as replicated state. `dbs` null = every database. Salt and hash are hex. */
export interface UserRecord {
  readonly name: string;
  readonly role: Role;
  readonly dbs: readonly number[] | null;
  readonly algo: PasswordAlgo;
  readonly salt: string;
  readonly hash: string;
}

/** One key's slot in a database. `expireAtMs` is Infinity when the key has no deadline. */
export interface Entry {
  readonly key: string;
  v: Value;
  expireAtMs: number;
  /** Index in the database's key array (O(1) random sampling, swap-remove). */
  slot: number;
  /** Index in the database's volatile-key array, -1 when no deadline. */
  vslot: number;
  /** Bytes charged for this key at the last accounting (see values.ts). */
  chargedBytes: number;
  /**
   * Redis's 24-bit `lru` field, node-local and not replicated. Under an LFU policy: the decay
   * clock's minute of the last decrement (16 bits) above the logarithmic counter (8 bits, 0..255).
   * Under any other policy: the LRU clock, the second of the last access on the leader's clock
   * modulo `lruClockSeconds` (same one-second resolution as Redis). Reinterpreted, as in Redis,
   * when the policy changes. A small integer, so V8 keeps it in the entry itself.
   */
  lru: number;
}

export type CommandFlag = 'write' | 'readonly' | 'denyoom' | 'fast' | 'admin';

/** What a handler can do to the keyspace of its session's database. */
export interface StoreOps {
  /** The command's time; -Infinity while applying a mutation (nothing expires). */
  readonly nowMs: number;
  readonly databases: number;
  /** Live entry of `key` in the current db; an expired one is deleted (and logged) first. */
  lookup(key: string): Entry | undefined;
  /** Like lookup, without updating the LRU clock or LFU counter (OBJECT, MEMORY USAGE). */
  lookupNoTouch(key: string): Entry | undefined;
  /** The entry as stored, expired or not, with no side effect (KEYS, SCAN). */
  peek(key: string): Entry | undefined;
  /** Add a key that does not exist (lookup returned undefined). */
  create(key: string, v: Value, expireAtMs: number): Entry;
  /** Delete a live key. Returns whether it existed. Marks the command dirty. */
  remove(key: string): boolean;
  /** After changing `e.v` in place: re-charge memory, delete the key if it became empty. */
  wrote(e: Entry): void;
  /** Set or clear (Infinity) a deadline. */
  setExpire(e: Entry, atMs: number): void;
  /** Replace the command's own mutation with these argv (all in the current db). */
  propagate(argvs: readonly (readonly Buffer[])[]): void;
  /** Replace the command's own mutation with these, each in its own db (COPY ... DB). */
  propagateMutations(muts: readonly Mutation[]): void;
  /** Run f with `db` as the current database, then switch back (MOVE, COPY ... DB). */
  inDb<T>(db: number, f: () => T): T;
  /** Exchange the contents of two databases (SWAPDB). */
  swapDbs(a: number, b: number): void;
  readonly policy: EvictionPolicy;
  /** The LFU counter after decay, without counting an access (OBJECT FREQ). */
  lfuCount(e: Entry): number;
  /** Switch the current database (SELECT, after checks). */
  selectDb(db: number): void;
  readonly currentDb: number;
  /** Number of keys (live or not yet swept) in the current db. */
  size(): number;
  /** Key at a position of the current db's key array (SCAN/RANDOMKEY/KEYS). */
  keyAt(i: number): string;
  /** Uniform integer in [0, n) from the store's seeded generator. */
  randomInt(n: number): number;
  flushDb(): void;
  flushAll(): void;
  users(): Map<string, UserRecord>;
  /** Mark the command as having changed state (propagate argv as is). */
  markDirty(): void;
}

export type Handler = (s: StoreOps, argv: readonly Buffer[], session: Session) => Reply;

/**
 * One command described once (redis's command table): arity counts the command name;
 * negative means "at least". Key positions are argv indices (lastKey -1 = last arg);
 * firstKey 0 means no keys. The server layer adds its own commands with the same shape.
 */
export interface CommandSpec<H = Handler> {
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /**
   * For commands whose keys follow a count (ZUNION, LMPOP: Redis's movablekeys): the argv
   * index of that numkeys argument; its keys are the next numkeys arguments, after any the
   * fixed positions name (ZUNIONSTORE's destination). Absent for every other command.
   */
  readonly numkeysAt?: number;
  readonly roles: readonly Role[];
  readonly handler: H;
}
