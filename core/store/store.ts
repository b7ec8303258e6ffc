// The store state machine. `execute` runs a client command at the leader's time and
// returns its reply plus the mutations to replicate (Redis-style effect replication);
// `applyMutation` replays one on a follower, never consulting a clock or the rng.
// Expiry is exact (every lookup checks the deadline); eviction samples with the seeded rng.

import { decode } from '@msgpack/msgpack';
import { assert, type Rng } from '../../net/types';
import { err, Errors, type Reply } from '../../net/reply';
import { dbAllowed, noPermDb } from './acl';
import { arityOk, commandNameOf, findCommand, type StoreCommand } from './commands';
import type { Entry, EvictionPolicy, ExecResult, Mutation, Session, StoreOps, StoreOptions, UserRecord } from './types';
import { bytesLatin1, decodeValue, type Payload } from './dump';
import { KeyTable } from './key-table';
import { encodeStoreSnapshot } from './snapshot-codec';
import { serializeJson } from './json';
import { entryOverheadBytes, isStr, stringTextBytesMax, valueBytes, valueBytesFromScratch, valueLength, valueType, type Value, type ValueType } from './values';
import { lruClock, lruIdleSeconds } from './util';

export type { EvictionPolicy, ExecResult, Mutation, Session, StoreOptions } from './types';

/** A read with no side effect returns this: no allocation on GET. */
export const EMPTY_MUTATIONS: readonly Mutation[] = Object.freeze([]) as readonly Mutation[];

export const databasesDefault = 16;
export const databasesMax = 1024;
/** Candidates sampled per database per eviction (redis's maxmemory-samples default). */
export const evictionSamples = 5;
/** Bound on evictions in one call; reaching it answers OOM rather than loop on. */
export const evictionsPerCallMax = 100_000;
/** Redis's LFU constants: initial counter, log factor, decay period (1 minute). */
export const lfuInitCounter = 5;
export const lfuLogFactor = 10;
export const lfuDecayMs = 60_000;
const lfuCounterMax = 255;
/** The LFU decay clock (whole `lfuDecayMs` periods) wraps after this many, as Redis's 16 bits do. */
const lfuClockPeriods = 65_536;

/** The LFU decay clock at `nowMs` (Redis's LFUGetTimeInMinutes), 0..lfuClockPeriods-1 (a skewed clock may be negative). */
function lfuClock(nowMs: number): number {
  const periods = Math.floor(nowMs / lfuDecayMs) % lfuClockPeriods;
  return periods < 0 ? periods + lfuClockPeriods : periods;
}
/** Arguments echoed by the unknown-command error (redis: 128 characters). */
const unknownArgsCharsMax = 128;

const DEL = Buffer.from('DEL');

/** A key's entry (types.ts). */
class StoreEntry implements Entry {
  vslot = -1;
  chargedBytes = 0;
  /**
   * The deadline, null for none. Not a double field: V8 gives each object with a double field a
   * 16-byte box of its own, Infinity included; a field that starts null holds nothing for a key
   * without a deadline, and a number only for a key with one.
   */
  private deadline: number | null = null;
  constructor(
    readonly key: string,
    public v: Value,
    public slot: number,
    public lru: number,
  ) {}
  get expireAtMs(): number {
    return this.deadline ?? Infinity;
  }
  set expireAtMs(atMs: number) {
    this.deadline = atMs === Infinity ? null : atMs;
  }
}

class Db {
  readonly table: KeyTable<Entry>;
  /**
   * Every entry, in slot order (entries hold their slot): O(1) uniform sampling, and the order
   * KEYS, SCAN, snapshots and the digest see. Deleting swaps the last entry into the hole.
   */
  readonly entries: Entry[] = [];
  /** Entries with a deadline (volatile-* eviction and the active sweep); entries hold their vslot. */
  readonly ventries: Entry[] = [];
  sweepCursor = 0;
  constructor(nextSeed: () => number) {
    this.table = new KeyTable(nextSeed);
  }
}

export class Store implements StoreOps {
  readonly databases: number;
  private readonly dbs: Db[];
  private readonly userTable = new Map<string, UserRecord>();
  private maxmemoryBytes: number;
  policy: EvictionPolicy;
  private readonly rng: Rng;
  private usedBytes = 0;
  /** Node-local counters (INFO's expired_keys / evicted_keys); not part of the replicated state. */
  readonly stats = { expiredKeys: 0, evictedKeys: 0 };
  private sweepDbCursor = 0;

  // Per-call state (one command at a time; the store is synchronous).
  nowMs = 0;
  currentDb = 0;
  private db: Db;
  private replaying = false;
  private dirty = false;
  private override: readonly Mutation[] | null = null;
  private muts: Mutation[] | null = null;

  constructor(opts: StoreOptions) {
    const n = opts.databases ?? databasesDefault;
    assert(Number.isInteger(n) && n >= 1 && n <= databasesMax, 'databases out of range');
    assert(opts.maxmemoryBytes >= 0, 'maxmemoryBytes must be >= 0');
    this.databases = n;
    this.rng = opts.rng;
    this.seedState = this.rng.int(0x7fffffff);
    this.dbs = Array.from({ length: n }, () => new Db(this.nextSeed));
    this.db = this.dbs[0]!;
    this.maxmemoryBytes = opts.maxmemoryBytes;
    this.policy = opts.policy;
  }

  /** Key table hash seeds: a sequence from one draw of the node's randomness (see key-table.ts). */
  private seedState: number;
  private readonly nextSeed = (): number => {
    this.seedState = (Math.imul(this.seedState, 1103515245) + 12345) | 0;
    return this.seedState;
  };

  // ---- Driver API ------------------------------------------------------------------

  /** Leader/solo path: run one client command at local time nowMs. */
  execute(argv: readonly Buffer[], nowMs: number, session: Session): ExecResult {
    if (argv.length === 0) return { reply: err('ERR empty command'), mutations: EMPTY_MUTATIONS };
    const c = findCommand(commandNameOf(argv[0]!));
    if (c === undefined) return { reply: unknownCommand(argv), mutations: EMPTY_MUTATIONS };
    const refused = this.checkCall(c, argv, session);
    if (refused !== null) return { reply: refused, mutations: EMPTY_MUTATIONS };
    // Deadlines are whole milliseconds (they are logged as PXAT integers).
    this.begin(Math.floor(nowMs), session.db, false);
    let reply: Reply;
    if (this.maxmemoryBytes > 0 && c.flags.includes('denyoom') && !this.evictUntilUnder()) {
      reply = err(Errors.oom);
    } else {
      reply = c.handler(this, argv, session);
      this.finish(argv);
      if (this.maxmemoryBytes > 0 && c.flags.includes('write')) this.evictUntilUnder();
    }
    const muts = this.muts;
    this.muts = null;
    return { reply, mutations: muts ?? EMPTY_MUTATIONS };
  }

  /** Follower/replica/recovery path: apply one mutation; no clock, no rng; deterministic. */
  applyMutation(m: Mutation): void {
    assert(m.argv.length > 0, 'empty mutation');
    const c = findCommand(m.argv[0]!.toString('latin1'));
    if (c === undefined) assert(false, `unknown mutation command ${m.argv[0]!.toString('latin1')}`);
    if (!(arityOk(c, m.argv.length))) assert(false, `bad mutation arity for ${c.name}`);
    if (!(c.flags.includes('write'))) assert(false, `mutation of a read command ${c.name}`);
    assert(m.db >= 0 && m.db < this.databases, 'mutation db out of range');
    this.begin(-Infinity, m.db, true);
    c.handler(this, m.argv, { db: m.db, user: null });
    this.replaying = false;
    this.muts = null;
  }

  /** Bounded active expiry: examine at most maxKeys keys with deadlines, delete expired ones. */
  sweepExpired(nowMsIn: number, maxKeys: number): readonly Mutation[] {
    const nowMs = Math.floor(nowMsIn);
    this.begin(nowMs, 0, false);
    let examined = 0;
    for (let visited = 0; visited < this.databases && examined < maxKeys; visited++) {
      const dbIndex = this.sweepDbCursor;
      const db = this.dbs[dbIndex]!;
      while (examined < maxKeys && db.sweepCursor < db.ventries.length) {
        const e = db.ventries[db.sweepCursor]!;
        examined++;
        if (e.expireAtMs <= nowMs) {
          this.deleteLogged(db, dbIndex, e);
          this.stats.expiredKeys += 1;
        } else db.sweepCursor++;
      }
      if (db.sweepCursor >= db.ventries.length) {
        db.sweepCursor = 0;
        this.sweepDbCursor = (this.sweepDbCursor + 1) % this.databases;
      }
    }
    const muts = this.muts;
    this.muts = null;
    return muts ?? EMPTY_MUTATIONS;
  }

  usedMemoryBytes(): number {
    return this.usedBytes;
  }

  dbSize(db: number): number {
    return this.dbs[db]!.entries.length;
  }

  /** CONFIG SET maxmemory / maxmemory-policy: node-local limits (eviction decisions are logged as DELs). */
  setMemoryLimit(maxmemoryBytes: number, policy: EvictionPolicy): void {
    assert(maxmemoryBytes >= 0, 'maxmemoryBytes must be >= 0');
    this.maxmemoryBytes = maxmemoryBytes;
    this.policy = policy;
  }

  get maxmemory(): number {
    return this.maxmemoryBytes;
  }

  /** A user record for the connection layer's AUTH (password check lives in net/password.ts). */
  user(name: string): UserRecord | undefined {
    return this.userTable.get(name);
  }

  // ---- Handler API (StoreOps) -------------------------------------------------------

  lookup(k: string): Entry | undefined {
    const e = this.lookupNoTouch(k);
    if (e !== undefined && !this.replaying) this.touch(e);
    return e;
  }

  lookupNoTouch(k: string): Entry | undefined {
    const e = this.db.table.get(k);
    if (e === undefined) return undefined;
    // `vslot` (a small integer, in the entry itself) says whether there is a deadline at all:
    // the deadline is a double, which V8 keeps in a separate box, one more cache miss per lookup.
    if (e.vslot >= 0 && e.expireAtMs <= this.nowMs) {
      this.deleteLogged(this.db, this.currentDb, e);
      this.stats.expiredKeys += 1;
      return undefined;
    }
    return e;
  }

  lfuCount(e: Entry): number {
    return this.lfuDecayed(e);
  }

  peek(k: string): Entry | undefined {
    return this.db.table.get(k);
  }

  create(k: string, v: Value, expireAtMs: number): Entry {
    const db = this.db;
    assert(!db.table.has(k), 'create of an existing key');
    const e: Entry = new StoreEntry(k, v, db.entries.length, this.freshLru());
    db.table.add(e);
    db.entries.push(e);
    this.charge(e);
    if (expireAtMs !== Infinity) this.setExpire(e, expireAtMs);
    this.dirty = true;
    return e;
  }

  remove(k: string): boolean {
    const e = this.lookup(k);
    if (e === undefined) return false;
    this.deleteEntry(this.db, e);
    this.dirty = true;
    return true;
  }

  wrote(e: Entry): void {
    this.dirty = true;
    if (valueLength(e.v) === 0) this.deleteEntry(this.db, e);
    else this.charge(e);
  }

  setExpire(e: Entry, atMs: number): void {
    const db = this.db;
    this.dirty = true;
    // No deadline before or after (a plain SET over a plain key): nothing to write (see lookupNoTouch).
    if (atMs === Infinity && e.vslot < 0) return;
    if (atMs === Infinity && e.vslot >= 0) {
      swapRemove(db.ventries, e.vslot, (moved, slot) => (moved.vslot = slot));
      e.vslot = -1;
    } else if (atMs !== Infinity && e.vslot < 0) {
      e.vslot = db.ventries.length;
      db.ventries.push(e);
    }
    e.expireAtMs = atMs;
  }

  propagate(argvs: readonly (readonly Buffer[])[]): void {
    this.override = argvs.map((argv) => ({ db: this.currentDb, argv }));
    this.dirty = true;
  }

  propagateMutations(muts: readonly Mutation[]): void {
    for (const m of muts) assert(m.db >= 0 && m.db < this.databases, 'propagated db out of range');
    this.override = muts;
    this.dirty = true;
  }

  inDb<T>(db: number, f: () => T): T {
    const back = this.currentDb;
    this.selectDb(db);
    try {
      return f();
    } finally {
      this.selectDb(back);
    }
  }

  swapDbs(a: number, b: number): void {
    assert(a >= 0 && a < this.databases && b >= 0 && b < this.databases, 'swapdb out of range');
    const x = this.dbs[a]!;
    this.dbs[a] = this.dbs[b]!;
    this.dbs[b] = x;
    this.selectDb(this.currentDb);
    this.dirty = true;
  }

  markDirty(): void {
    this.dirty = true;
  }

  selectDb(db: number): void {
    assert(db >= 0 && db < this.databases, 'select out of range');
    this.currentDb = db;
    this.db = this.dbs[db]!;
  }

  size(): number {
    return this.db.entries.length;
  }

  keyAt(i: number): string {
    return this.db.entries[i]!.key;
  }

  randomInt(n: number): number {
    return this.rng.int(n);
  }

  flushDb(): void {
    this.clearDb(this.currentDb);
    this.dirty = true;
  }

  flushAll(): void {
    for (let i = 0; i < this.databases; i++) this.clearDb(i);
    this.dirty = true;
  }

  users(): Map<string, UserRecord> {
    return this.userTable;
  }

  // ---- Internals --------------------------------------------------------------------

  private checkCall(c: StoreCommand, argv: readonly Buffer[], session: Session): Reply | null {
    if (!arityOk(c, argv.length)) return err(Errors.wrongArity(c.name));
    if (session.user === null) return null;
    const u = this.userTable.get(session.user);
    if (u === undefined || !c.roles.includes(u.role)) return err(Errors.noPerm(c.name));
    if (c.name !== 'select' && !dbAllowed(u, session.db)) return err(noPermDb(session.db));
    return null;
  }

  private begin(nowMs: number, db: number, replaying: boolean): void {
    this.nowMs = nowMs;
    this.replaying = replaying;
    this.dirty = false;
    this.override = null;
    this.muts = null;
    this.selectDb(db);
  }

  /** Log the command's own effect: its rewrite if the handler gave one, else argv. */
  private finish(argv: readonly Buffer[]): void {
    if (this.override !== null) {
      for (const m of this.override) this.pushMutation(m.db, m.argv);
    } else if (this.dirty) {
      this.pushMutation(this.currentDb, argv);
    }
  }

  private pushMutation(db: number, argv: readonly Buffer[]): void {
    if (this.replaying) return;
    (this.muts ??= []).push({ db, argv });
  }

  private deleteLogged(db: Db, dbIndex: number, e: Entry): void {
    this.deleteEntry(db, e);
    this.pushMutation(dbIndex, [DEL, Buffer.from(e.key, 'latin1')]);
  }

  private deleteEntry(db: Db, e: Entry): void {
    const deleted = db.table.delete(e.key);
    assert(deleted, 'delete of a key not in the table');
    swapRemove(db.entries, e.slot, (moved, slot) => (moved.slot = slot));
    if (e.vslot >= 0) swapRemove(db.ventries, e.vslot, (moved, slot) => (moved.vslot = slot));
    this.usedBytes -= e.chargedBytes;
  }

  private charge(e: Entry): void {
    const bytes = entryOverheadBytes + e.key.length + valueBytes(e.v);
    this.usedBytes += bytes - e.chargedBytes;
    e.chargedBytes = bytes;
  }

  private clearDb(i: number): void {
    const db = this.dbs[i]!;
    for (const e of db.entries) this.usedBytes -= e.chargedBytes;
    this.dbs[i] = new Db(this.nextSeed);
    if (i === this.currentDb) this.db = this.dbs[i]!;
  }

  /** A new key's `lru` (createObject): the clock now, or under LFU the initial counter. */
  private freshLru(): number {
    if (this.policy === 'allkeys-lfu') return ((this.replaying ? 0 : lfuClock(this.nowMs)) << 8) | lfuInitCounter;
    return this.replaying ? 0 : lruClock(this.nowMs);
  }

  /** Update the LRU clock, or under LFU redis's logarithmic counter (updateLFU: decay, LFULogIncr). */
  private touch(e: Entry): void {
    if (this.policy !== 'allkeys-lfu') {
      e.lru = lruClock(this.nowMs);
      return;
    }
    let counter = this.lfuDecayed(e);
    if (counter < lfuCounterMax) {
      const base = Math.max(0, counter - lfuInitCounter);
      if (this.rng.next() < 1 / (base * lfuLogFactor + 1)) counter++;
    }
    e.lru = (lfuClock(this.nowMs) << 8) | counter;
  }

  /** LFUDecrAndReturn: the counter less one point per decay period since its last decrement. */
  private lfuDecayed(e: Entry): number {
    const last = e.lru >>> 8;
    const now = lfuClock(this.nowMs);
    const periods = now >= last ? now - last : lfuClockPeriods - last + now;
    return Math.max(0, (e.lru & 0xff) - periods);
  }

  /** Evict per policy until used <= maxmemory. False: over the limit and nothing evictable. */
  private evictUntilUnder(): boolean {
    for (let n = 0; this.usedBytes > this.maxmemoryBytes; n++) {
      if (this.policy === 'noeviction' || n >= evictionsPerCallMax) return false;
      const victim = this.pickVictim();
      if (victim === null) return false;
      this.deleteLogged(this.dbs[victim.db]!, victim.db, victim.e);
      this.stats.evictedKeys += 1;
    }
    return true;
  }

  /** Redis-style sampling: evictionSamples candidates from every non-empty db's pool. */
  private pickVictim(): { db: number; e: Entry } | null {
    const volatile = this.policy === 'volatile-lru' || this.policy === 'volatile-ttl';
    let best: { db: number; e: Entry; score: number } | null = null;
    const candidates: { db: number; e: Entry }[] = [];
    for (let i = 0; i < this.databases; i++) {
      const db = this.dbs[i]!;
      const pool = volatile ? db.ventries : db.entries;
      if (pool.length === 0) continue;
      for (let j = 0; j < evictionSamples; j++) {
        const e = pool[this.rng.int(pool.length)]!;
        candidates.push({ db: i, e });
        const score = this.evictionScore(e);
        if (best === null || score < best.score) best = { db: i, e, score };
      }
    }
    if (this.policy === 'allkeys-random' && candidates.length > 0) {
      return candidates[this.rng.int(candidates.length)]!;
    }
    return best;
  }

  /** Lower = evict first. */
  private evictionScore(e: Entry): number {
    switch (this.policy) {
      case 'allkeys-lru':
      case 'volatile-lru':
        return -lruIdleSeconds(this.nowMs, e.lru);
      case 'allkeys-lfu':
        return this.lfuDecayed(e);
      case 'volatile-ttl':
        return e.expireAtMs;
      case 'allkeys-random':
      case 'noeviction':
        return 0;
      default:
        return unreachablePolicy(this.policy);
    }
  }

  // ---- Digest, snapshot, invariants -------------------------------------------------

  /**
   * Deterministic content hash (every db's keys, values and deadlines; users). The entries of a
   * db are combined by a sum of their own hashes, so the digest does not depend on their order:
   * slot order is not the same on a leader and on a replica that applied its mutations (a command
   * that deletes an expired key and creates another logs the DEL first, whatever it did first).
   */
  digest(): string {
    const h = new Fnv2x32();
    for (let i = 0; i < this.databases; i++) {
      const db = this.dbs[i]!;
      if (db.entries.length === 0) continue;
      h.str(`db${i}:${db.entries.length}`);
      let sumA = 0;
      let sumB = 0;
      for (const e of db.entries) {
        const eh = new Fnv2x32();
        eh.str(e.key);
        eh.str(String(e.expireAtMs));
        hashValue(eh, e.v);
        sumA = (sumA + eh.laneA) | 0;
        sumB = (sumB + eh.laneB) | 0;
      }
      h.str(`${sumA >>> 0}:${sumB >>> 0}`);
    }
    for (const u of [...this.userTable.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      h.str(JSON.stringify(u));
    }
    return h.hex();
  }

  /** Full state as msgpack bytes, keys in slot order (so KEYS order survives a restore). */
  snapshot(): Uint8Array {
    return encodeStoreSnapshot(this.dbs.map((db) => db.entries), this.userTable.values());
  }

  static restore(bytes: Uint8Array, opts: StoreOptions): Store {
    const snap = decode(bytes) as SnapshotShape;
    assert(snap.version === 1, 'unknown snapshot version');
    const s = new Store({ ...opts, databases: snap.dbs.length });
    s.begin(-Infinity, 0, true);
    snap.dbs.forEach((entries, i) => {
      s.selectDb(i);
      for (const [k, deadline, type, payload] of entries) {
        s.create(bytesLatin1(k), decodeValue(type, payload), deadline ?? Infinity);
      }
    });
    for (const u of snap.users) s.userTable.set(u.name, u);
    s.begin(0, 0, false);
    return s;
  }

  /** Check internal consistency (slots, byte accounting); for tests. Throws on a bug. */
  invariants(): void {
    let used = 0;
    for (const db of this.dbs) {
      db.table.invariants(db.entries);
      db.entries.forEach((e, i) => assert(e.slot === i, `slot of ${e.key}`));
      db.ventries.forEach((e, i) => assert(e.vslot === i && db.table.get(e.key) === e, `vslot of ${e.key}`));
      for (const e of db.entries) {
        assert(valueLength(e.v) > 0, `empty container at ${e.key}`);
        assert((e.vslot >= 0) === (e.expireAtMs !== Infinity), `vslot/deadline of ${e.key}`);
        assert(valueBytes(e.v) === valueBytesFromScratch(e.v), `byte count of ${e.key}`);
        if (isStr(e.v)) assert((typeof e.v === 'string') === e.v.length <= stringTextBytesMax, `string form of ${e.key}`);
        assert(e.chargedBytes === entryOverheadBytes + e.key.length + valueBytes(e.v), `charge of ${e.key}`);
        used += e.chargedBytes;
      }
    }
    assert(used === this.usedBytes, `used ${this.usedBytes} != recomputed ${used}`);
  }
}

function unknownCommand(argv: readonly Buffer[]): Reply {
  const args: string[] = [];
  let chars = 0;
  for (let i = 1; i < argv.length && chars < unknownArgsCharsMax; i++) {
    const a = argv[i]!.toString('latin1').slice(0, unknownArgsCharsMax - chars);
    args.push(a);
    chars += a.length + 3;
  }
  return err(Errors.unknownCommand(argv[0]!.toString('latin1').slice(0, unknownArgsCharsMax), args));
}

function swapRemove(arr: Entry[], i: number, moved: (e: Entry, slot: number) => void): void {
  const last = arr.pop()!;
  if (i < arr.length) {
    arr[i] = last;
    moved(last, i);
  }
}

function unreachablePolicy(x: never): never {
  throw new Error(`unreachable policy ${String(x)}`);
}

type SnapshotShape = {
  version: number;
  dbs: [Uint8Array, number | null, ValueType, Payload][][];
  users: UserRecord[];
};

/** Two independent 32-bit FNV-1a lanes: a 64-bit content hash with no node:crypto. */
class Fnv2x32 {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;
  get laneA(): number {
    return this.a;
  }
  get laneB(): number {
    return this.b;
  }
  str(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i) & 0xffff);
    this.byte(0x1f);
  }
  buf(x: Uint8Array): void {
    for (let i = 0; i < x.length; i++) this.byte(x[i]!);
    this.byte(0x1e);
  }
  /** The bytes a latin1 string holds: the same hash as `buf` of them. */
  latin1(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
    this.byte(0x1e);
  }
  private byte(c: number): void {
    this.a = Math.imul(this.a ^ c, 0x01000193);
    this.b = Math.imul(this.b ^ c, 0x01000193) ^ (this.b >>> 15);
  }
  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}

function hashValue(h: Fnv2x32, v: Value): void {
  h.str(valueType(v));
  if (isStr(v)) {
    if (typeof v === 'string') h.latin1(v);
    else h.buf(v);
    return;
  }
  switch (v.type) {
    case 'hash':
      for (const [f, x] of v.m) (h.str(f), h.buf(x));
      return;
    case 'list':
      for (const x of v.a.toArray()) h.buf(x);
      return;
    case 'set':
      for (const m of v.s) h.str(m);
      return;
    case 'zset':
      for (const it of v.sorted) (h.str(it.member), h.str(String(it.score)));
      return;
    case 'json':
      h.str(serializeJson(v.doc));
      return;
    default:
      unreachablePolicy(v as never);
  }
}
