// `keepsake server`: the solo node. One process runs a Core with an embedded Keeper — the
// same state machines the simulator runs — on the event loop (real/driver.ts), with a real
// data directory, TLS by default (certificates made on first boot), the RESP protocol for
// redis-cli / redis-benchmark / ioredis, Prometheus metrics and JSON logs.

import { createHmac, randomBytes, scrypt as scryptCb, pbkdf2 as pbkdf2Cb, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type client from 'prom-client';
import { Colocated } from '../../core/node/colocated';
import { Core, coreConfigDefaults, type CoreConfig } from '../../core/node/core';
import { blockingKinds } from '../../core/node/blocking';
import { isKeeperMsg, keeperNode } from '../../core/node/keeper-node';
import { CoreSnapshots } from '../../core/node/core-snapshots';
import { multiCommandsMax, watchedKeysMax, type AckLevel, type ClientRequest, type NodeMsg } from '../../core/node/protocol';
import { Keeper } from '../../core/keeper/keeper';
import { arityOk, commandKeys, commandTable, findCommand, isInternalCommand, type EvictionPolicy, type UserRecord } from '../../core/store';
import { globMatch } from '../../core/store/glob';
import { hashBytes, passwordBytesMax, pbkdf2Iterations, saltBytes, scryptN, type PasswordRecord } from '../../net/password';
import { array, bulk, bulkStr, err, Errors, int, NULL, OK, simple, type Reply } from '../../net/reply';
import { assert, nodeId, type NodeId } from '../../net/types';
import { RealDisk } from '../disk';
import { Driver } from '../driver';
import { ensurePki } from '../pki/index';
import { serverTlsOptions, onRefusedHandshake } from '../tls';
import { Connection, parseAck, type ConnectionHost } from './connection';
import { infoText } from './info';
import { Introspection } from './introspection';
import type { CommandStat } from './command-stats';
import { NodeMetrics } from './metrics';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const pbkdf2 = promisify(pbkdf2Cb);

export const version = '0.1.0';
/** The Redis version we report, so clients enable the features we implement. */
export const redisCompatVersion = '7.2.0';

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly metricsPort: number | null;
  readonly insecure: boolean;
  readonly requireClientCert: boolean;
  readonly maxmemoryBytes: number;
  readonly policy: EvictionPolicy;
  readonly defaultAck: AckLevel;
  readonly adminPassword: string | null;
  readonly snapshotEveryRecords: number;
  readonly log: Logger;
  /** Most client connections open at once (Redis's maxclients); default `connectionsMaxDefault`. */
  readonly connectionsMax?: number;
  /**
   * Longest a `memory`-level write waits before it goes to the Keeper (its write and fsync),
   * together with the others of that interval; default `coreConfigDefaults.lazyPumpMs`.
   */
  readonly memoryFlushMs?: number;
}

/** Redis's maxclients default: beyond it new connections are closed at once (and counted). */
export const connectionsMaxDefault = 10_000;
/** Users whose verified password is remembered (as an HMAC) so reconnects skip scrypt. */
export const verifiedUsersMax = 1024;

/** Longest a graceful shutdown waits for in-flight writes to become durable and be answered. */
export const shutdownDrainMsMax = 10_000;
/** Longest it waits for one client connection to take its last replies and close. */
export const shutdownEndMsMax = 1_000;

/**
 * The Keeper's snapshot schedule, after Redis's AOF rewrite (auto-aof-rewrite-min-size 64mb,
 * auto-aof-rewrite-percentage 100): a snapshot once the log since the last one reaches
 * `--snapshot-every` records or this many bytes, and has grown to the size of that snapshot.
 * Rewriting the whole state costs in proportion to its size; this keeps it a constant share
 * of the write work, while a restart replays at most about one snapshot's worth of log.
 */
export const snapshotEveryBytesMin = 64 * 1024 * 1024;
export const snapshotGrowthPercent = 100;

/** Longest SAVE waits for the Keeper's snapshot. */
export const saveWaitMsMax = 30_000;

const soloId = nodeId('solo');
const coreId = nodeId('core');
const keeperId = nodeId('keeper');

export interface RunningServer {
  readonly port: number;
  readonly metricsPort: number | null;
  readonly caCertPath: string | null;
  /** Set when this boot generated the admin password (print it once). */
  readonly generatedAdminPassword: string | null;
  readonly metrics: NodeMetrics;
  /** Graceful stop: stop accepting, let in-flight writes become durable, fsync, close. */
  close(): Promise<void>;
  /**
   * Serve a connection that did not come through the listener (the in-process benchmark feeds
   * a socket-shaped object to measure the server's own work without the kernel's).
   */
  adopt(socket: net.Socket): void;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log;
  const disk = await RealDisk.open(path.join(opts.dir, 'wal'));
  const coreCfg: CoreConfig = {
    ...coreConfigDefaults,
    keepers: [keeperId],
    maxmemoryBytes: opts.maxmemoryBytes,
    policy: opts.policy,
    lazyPumpMs: opts.memoryFlushMs ?? coreConfigDefaults.lazyPumpMs,
  };
  let core!: Core;
  let keeper!: Keeper;
  const connections = new Map<NodeId, Connection>();
  const startedAtMs = Date.now();
  let recovered: () => void = () => {};
  /** Set once the Core first serves (the boot waits for it; later steps skip the check). */
  let servingOnce = false;
  const recoveredP = new Promise<void>((resolve) => (recovered = resolve));
  /** When the Keeper last wrote a snapshot (observed from its counters after each step). */
  const snapshotState = { seen: 0, lastAtMs: null as number | null };
  /** Requests the server itself sends through the Core (admin bootstrap, ACL changes). */
  let internalReq = 0;
  const internalWaiters = new Map<number, (r: Reply, offset: number) => void>();
  const internalId = nodeId('conn:internal');

  const driver = new Driver<NodeMsg>({
    id: soloId,
    disk,
    factory: (env) => {
      core = new Core({ ...env, id: coreId }, coreCfg);
      // The Keeper snapshots the Core's store (no second copy of the data in this process).
      const snapshots = new CoreSnapshots();
      snapshots.attach(core);
      keeper = new Keeper({
        id: keeperId,
        peers: [],
        snapshotEveryRecords: opts.snapshotEveryRecords,
        snapshotEveryBytes: snapshotEveryBytesMin,
        snapshotGrowthPercent,
        segmentBytesMax: 16 * 1024 * 1024,
        stateMachine: snapshots,
      });
      return new Colocated<NodeMsg>(
        soloId,
        [
          { id: coreId, machine: core },
          { id: keeperId, machine: keeperNode(keeper) },
        ],
        (_from, msg) => (isKeeperMsg(msg) ? 1 : 0),
      );
    },
    send: (to, msg) => {
      if (msg.type === 'c.reply' && to === internalId) {
        internalWaiters.get(msg.req)?.(msg.reply, msg.offset);
        internalWaiters.delete(msg.req);
        return;
      }
      if (msg.type !== 'c.reply') {
        log.warn({ to, type: msg.type }, 'message for an unknown peer dropped');
        return;
      }
      connections.get(to)?.fill(msg.req, msg.reply, msg.offset);
    },
    // Damage found on disk is an operator's business: warn (the metric counts it too).
    note: (text) => (/corrupt|torn/i.test(text) ? log.warn({ note: text }, 'keeper found damage on disk') : log.debug({ note: text }, 'machine')),
    afterStep: () => {
      if (!servingOnce && core.phaseNow === 'serving') {
        servingOnce = true;
        recovered();
      }
      const written = keeper.snapshotsWritten;
      if (written > snapshotState.seen) {
        snapshotState.seen = written;
        snapshotState.lastAtMs = Date.now();
      }
    },
  });

  const introspection = new Introspection();
  const metrics = new NodeMetrics({
    usedMemoryBytes: () => core.view().store.usedMemoryBytes(),
    keys: () => totalKeys(core),
    evictedKeys: () => core.view().store.stats.evictedKeys,
    expiredKeys: () => core.view().store.stats.expiredKeys,
    keeperDurableOffset: () => keeper.durableOffset,
    walBytes: () => driver.stats.bytesWritten,
    snapshots: () => keeper.stats().snapshotsWritten,
    snapshotAgeSeconds: () => (snapshotState.lastAtMs === null ? -1 : (Date.now() - snapshotState.lastAtMs) / 1000),
    logTail: () => core.view().tail,
    keeperCorruption: () => {
      const k = keeper.stats();
      return { tornTails: k.tornTails, corruptRecords: k.corruptRecords, corruptSnapshots: k.corruptSnapshots };
    },
  }, introspection.stats);
  driver.onDiskOp = (op, ms) => {
    if (op.op === 'fsync' || op.op === 'fsyncDir') metrics.fsyncSeconds.observe(ms / 1000);
  };

  log.info({ dir: opts.dir }, 'recovering from the data directory');
  const t0 = Date.now();
  driver.start();
  await recoveredP;
  log.info({ ms: Date.now() - t0, offset: core.view().tail, keys: totalKeys(core) }, 'recovered; serving');

  // ---- Internal commands through the Core (admin bootstrap, ACL, WATCH, EXEC) --------
  /** Send a request to the Core on the server's own channel; resolves with its reply and offset. */
  const viaCore = (make: (req: number) => NodeMsg): Promise<{ reply: Reply; offset: number }> =>
    new Promise((resolve) => {
      const req = ++internalReq;
      internalWaiters.set(req, (reply, offset) => resolve({ reply, offset }));
      driver.deliver(internalId, make(req));
    });
  const internal = async (argv: string[], ack: AckLevel = 'quorum'): Promise<Reply> =>
    (await viaCore((req) => ({ type: 'c.req', req, argv: argv.map((a) => Buffer.from(a)), db: 0, user: null, ack }))).reply;

  let generatedAdminPassword: string | null = null;
  if (!core.view().store.users().has('admin')) {
    const password = opts.adminPassword ?? randomBytes(18).toString('base64url');
    if (opts.adminPassword === null) generatedAdminPassword = password;
    const rec = await hashPasswordAsync(password);
    const r = await internal(['KSUSER.SET', 'admin', 'admin', '*', rec.algo, rec.salt, rec.hash]);
    if (r.t === 'error') throw new Error(`could not create the admin user: ${r.s}`);
    log.info({ user: 'admin', fromEnv: opts.adminPassword !== null }, 'created the admin user');
  }

  // ---- Connections ------------------------------------------------------------------
  /** CONFIG SET keepsake-ack changes the level new connections start with. */
  const defaultAck = { level: opts.defaultAck };
  /** The stat of each known command name (a fixed set); other names share 'unknown'. */
  const knownStats = new Map<string, CommandStat>();
  const statFor = (name: string): CommandStat => {
    const known = knownStats.get(name);
    if (known !== undefined) return known;
    // Label values come from a fixed set: a client inventing names must not grow the registry.
    if (!storeCommandNames.has(name) && !serverCommandNames.has(name)) return introspection.stats.of('unknown');
    const stat = introspection.stats.of(name);
    knownStats.set(name, stat);
    return stat;
  };
  /** A store command of `conn` as the Core takes it (MONITOR connections see it go by). */
  const clientRequest = (conn: Connection, req: number, argv: Buffer[]): ClientRequest => {
    introspection.monitorFeed(conn, argv);
    return { type: 'c.req', req, argv, db: conn.session.db, user: conn.session.user, ack: conn.session.ack };
  };
  const host: ConnectionHost = {
    submit(conn, req, argv) {
      driver.deliver(conn.nodeId, clientRequest(conn, req, argv));
    },
    submitBatch(conn, batch) {
      driver.deliver(conn.nodeId, { type: 'c.batch', reqs: batch.map(({ req, argv }) => clientRequest(conn, req, argv)) });
    },
    isLocal(conn, name) {
      // Store commands (the hot path) go to the Core; the rest is answered here.
      return conn.session.multi !== null || conn.session.monitor || serverCommandNames.has(name);
    },
    serverCommand(conn, name, argv) {
      if (conn.session.multi !== null && !transactionControl.has(name)) return queueInMulti(conn, name, argv);
      if (conn.session.monitor && name !== 'quit') return err('ERR a MONITOR connection can only QUIT');
      const r = serverCommand(conn, name, argv);
      if (r !== null) introspection.monitorFeed(conn, argv);
      return r;
    },
    statOf(conn, name) {
      // Commands queued inside MULTI are counted when EXEC runs them (as EXEC), not when queued.
      if (conn.session.multi !== null && !transactionControl.has(name)) return null;
      return statFor(name);
    },
    record(conn, stat, seconds, reply, argv) {
      introspection.record(stat, seconds, reply, argv, conn);
    },
    closed(conn) {
      introspection.monitors.delete(conn);
      driver.deliver(conn.nodeId, { type: 'c.gone' }); // its blocked requests end with it
      connections.delete(conn.nodeId);
      metrics.connections.set(connections.size);
    },
    protocolError(conn, message) {
      metrics.protocolErrors.inc();
      log.warn({ client: conn.addr, message }, 'protocol error; closing the connection');
    },
  };

  const onSocket = (socket: net.Socket) => {
    const conn = new Connection(socket, host, { authRequired: true, defaultAck: defaultAck.level });
    connections.set(conn.nodeId, conn);
    metrics.connectionsTotal.inc();
    metrics.connections.set(connections.size);
  };

  let caCertPath: string | null = null;
  let server: net.Server;
  if (opts.insecure) {
    server = net.createServer(onSocket);
    log.warn('serving PLAINTEXT (--insecure): for loopback experiments only');
  } else {
    const pki = await ensurePki(opts.dir, {});
    caCertPath = pki.caCertPath;
    server = tls.createServer(serverTlsOptions(pki, { requireClientCert: opts.requireClientCert }), onSocket);
    onRefusedHandshake(server as tls.Server, (e) => {
      metrics.tlsRefused.inc();
      log.warn({ error: e.message }, 'TLS handshake refused');
    });
  }
  server.maxConnections = opts.connectionsMax ?? connectionsMaxDefault;
  server.on('drop', () => {
    metrics.connectionsRefused.inc();
    log.warn({ connectionsMax: server.maxConnections }, 'connection refused: too many clients');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const metricsServer = opts.metricsPort === null ? null : await metrics.serve(opts.metricsPort, opts.host);
  log.info({ host: opts.host, port, tls: !opts.insecure, mutualTls: opts.requireClientCert, metricsPort: metricsServer?.port ?? null, caCert: caCertPath }, 'listening');

  // ---- Connection-level commands ----------------------------------------------------
  /**
   * Passwords verified since boot, as HMAC-SHA256(process secret, password) per user and stored
   * hash: a reconnecting client with the right password skips scrypt (about 40 ms of CPU). A
   * wrong password never matches and still pays the full scrypt, so guessing gets no cheaper.
   */
  const verified = new Map<string, { readonly storedHash: string; readonly mac: Buffer }>();
  const authSecret = randomBytes(32);
  const macOf = (password: string) => createHmac('sha256', authSecret).update(password).digest();
  async function authenticate(conn: Connection, user: string, password: string): Promise<Reply> {
    const rec = core.view().store.users().get(user);
    const cached = rec !== undefined ? verified.get(user) : undefined;
    const fast = cached !== undefined && cached.storedHash === rec!.hash && timingSafeEqual(cached.mac, macOf(password));
    const ok = rec !== undefined && (fast || (await verifyPasswordAsync(password, rec)));
    if (ok && !fast && verified.size < verifiedUsersMax) verified.set(user, { storedHash: rec!.hash, mac: macOf(password) });
    if (!ok) {
      metrics.authFailures.inc();
      log.warn({ client: conn.addr, user }, 'AUTH failed');
      return err('WRONGPASS invalid username-password pair or user is disabled.');
    }
    conn.setAuthenticated(user);
    return OK;
  }

  function isAdmin(conn: Connection): boolean {
    const u = conn.session.user;
    return u !== null && core.view().store.users().get(u)?.role === 'admin';
  }

  function serverCommand(conn: Connection, name: string, argv: Buffer[]): Reply | Promise<Reply> | null {
    const args = argv.slice(1).map((b) => b.toString('utf8'));
    const arity = (n: number) => (n >= 0 ? argv.length === n : argv.length >= -n);
    switch (name) {
      case 'ping':
        if (!arity(-1) || argv.length > 2) return err(Errors.wrongArity(name));
        return argv.length === 2 ? bulk(argv[1]!) : simple('PONG');
      case 'echo':
        return arity(2) ? bulk(argv[1]!) : err(Errors.wrongArity(name));
      case 'quit':
        return OK;
      case 'auth': {
        if (argv.length !== 2 && argv.length !== 3) return err(Errors.wrongArity(name));
        const [user, pw] = argv.length === 3 ? [args[0]!, args[1]!] : ['admin', args[0]!];
        return authenticate(conn, user, pw);
      }
      case 'hello':
        return hello(conn, args);
      case 'select': {
        if (!arity(2)) return err(Errors.wrongArity(name));
        if (!/^\d+$/.test(args[0]!)) return err(Errors.notInteger);
        const db = Number(args[0]);
        if (db >= 16) return err('ERR DB index is out of range');
        const u = conn.session.user === null ? undefined : core.view().store.users().get(conn.session.user);
        if (u && u.dbs !== null && !u.dbs.includes(db)) return err(`NOPERM User ${u.name} has no permissions to access database ${db}`);
        conn.session.db = db;
        return OK;
      }
      case 'client':
        return clientCommand(conn, args);
      case 'multi':
        if (!arity(1)) return err(Errors.wrongArity(name));
        if (conn.session.multi !== null) return err('ERR MULTI calls can not be nested');
        conn.session.multi = [];
        conn.session.multiError = false;
        return OK;
      case 'discard':
        if (!arity(1)) return err(Errors.wrongArity(name));
        if (conn.session.multi === null) return err('ERR DISCARD without MULTI');
        conn.session.multi = null;
        conn.session.watches = [];
        return OK;
      case 'exec':
        return execCommand(conn, argv);
      case 'watch':
        return watchCommand(conn, argv);
      case 'unwatch':
        if (!arity(1)) return err(Errors.wrongArity(name));
        conn.session.watches = [];
        return OK;
      case 'config':
        return configCommand(conn, args);
      case 'command':
        return commandCommand(args, argv);
      case 'info':
        return { t: 'verbatim', format: 'txt', s: infoText(args.length === 0 ? ['default'] : args.map((a) => a.toLowerCase()), infoInput()) };
      case 'slowlog':
        return introspection.slowlogCommand(args);
      case 'monitor':
        if (!arity(1)) return err(Errors.wrongArity(name));
        if (!isAdmin(conn)) return err(Errors.noPerm(name));
        conn.session.monitor = true;
        introspection.monitors.add(conn);
        return OK;
      case 'wait':
        return waitCommand(conn, args);
      case 'acl':
        return aclCommand(conn, args);
      case 'save':
      case 'bgsave':
        if (!isAdmin(conn)) return err(Errors.noPerm(name));
        driver.deliver(nodeId('server'), { type: 'k.compact' });
        return name === 'save' ? saveCommand(keeper.durableOffset) : simple('Background saving started');
      case 'lastsave':
        return int(Math.floor((snapshotState.lastAtMs ?? startedAtMs) / 1000));
      case 'time': {
        if (!arity(1)) return err(Errors.wrongArity(name));
        const us = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
        return array([bulkStr(String(us / 1_000_000n)), bulkStr(String(us % 1_000_000n))]);
      }
      default:
        return null;
    }
  }

  /** SAVE answers once a snapshot covers everything durable when it was asked (as Redis's SAVE is synchronous). */
  async function saveCommand(targetOffset: number): Promise<Reply> {
    const deadline = Date.now() + saveWaitMsMax;
    while (keeper.snapshotOffset < targetOffset) {
      if (Date.now() > deadline || closing !== null) return err(`ERR the snapshot did not complete within ${saveWaitMsMax} ms (see the server log)`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return OK;
  }

  /** Inside MULTI: check and queue (Redis answers QUEUED, or an error that dooms the EXEC). */
  function queueInMulti(conn: Connection, name: string, argv: Buffer[]): Reply {
    const queue = conn.session.multi!;
    const fail = (r: Reply): Reply => {
      conn.session.multiError = true;
      return r;
    };
    const enqueue = (): Reply => {
      if (queue.length >= multiCommandsMax) return err(`ERR too many commands queued in MULTI (at most ${multiCommandsMax})`);
      queue.push(argv.map((a) => Buffer.from(a)));
      return simple('QUEUED');
    };
    /** Enqueue; a full queue dooms the EXEC. */
    const queued = (): Reply => {
      const r = enqueue();
      return r.t === 'error' ? fail(r) : r;
    };
    // Blocking commands are the Core's own (they never block inside MULTI); it checks their
    // arguments. A full queue refuses one without dooming the EXEC, as it always has.
    if (blockingKinds.has(name)) return enqueue();
    const spec = findCommand(name);
    if (!spec || isInternalCommand(spec)) {
      const local = queueableServerCommands.get(name);
      if (spec === undefined && local !== undefined) {
        if (argv.length < local[0] || argv.length > local[1]) return fail(err(Errors.wrongArity(name)));
        return queued();
      }
      if (spec === undefined && serverOnlyCommands.has(name)) return fail(err(`ERR Command '${name}' cannot be used inside MULTI in Keepsake (only data commands and ${[...queueableServerCommands.keys()].join('/').toUpperCase()} are transactional)`));
      return fail(err(Errors.unknownCommand(argv[0]!.toString('latin1'), argv.slice(1, 20).map((a) => a.toString('latin1').slice(0, 128)))));
    }
    if (!arityOk(spec, argv.length)) return fail(err(Errors.wrongArity(name)));
    return queued();
  }

  async function execCommand(conn: Connection, argv: Buffer[]): Promise<Reply> {
    if (argv.length !== 1) return err(Errors.wrongArity('exec'));
    const s = conn.session;
    if (s.multi === null) return err('ERR EXEC without MULTI');
    const commands = s.multi;
    const watches = s.watches;
    const aborted = s.multiError;
    s.multi = null;
    s.multiError = false;
    s.watches = [];
    if (aborted) return err('EXECABORT Transaction discarded because of previous errors.');
    // The Core runs the data commands as one; the stateless server commands queued among them
    // (PING, ECHO, TIME, INFO, LASTSAVE) are answered here, in their places, once it has.
    const isLocal = (c: readonly Buffer[]): boolean => queueableServerCommands.has(c[0]!.toString('latin1').toLowerCase());
    const dataCommands = commands.some(isLocal) ? commands.filter((c) => !isLocal(c)) : commands;
    const { reply, offset } = await viaCore((req) => ({ type: 'c.exec', req, commands: dataCommands, db: s.db, user: s.user, ack: s.ack, watches }));
    if (offset > s.lastOffset) s.lastOffset = offset;
    if (dataCommands === commands || reply.t !== 'array') return reply;
    let next = 0;
    return array(commands.map((c) => (isLocal(c) ? localReply(conn, c) : reply.items[next++]!)));
  }

  /** A queueable server command's reply at EXEC (each of them answers synchronously). */
  function localReply(conn: Connection, argv: Buffer[]): Reply {
    const r = serverCommand(conn, argv[0]!.toString('latin1').toLowerCase(), argv);
    assert(r !== null && !(r instanceof Promise), 'a queueable server command answers synchronously');
    return r;
  }

  async function watchCommand(conn: Connection, argv: Buffer[]): Promise<Reply> {
    if (argv.length < 2) return err(Errors.wrongArity('watch'));
    const s = conn.session;
    if (s.multi !== null) return err('ERR WATCH inside MULTI is not allowed');
    if (s.watches.length + argv.length - 1 > watchedKeysMax) return err(`ERR too many watched keys (at most ${watchedKeysMax})`);
    const { reply, offset } = await viaCore((req) => ({ type: 'c.req', req, argv: [Buffer.from('WATCH'), ...argv.slice(1)], db: s.db, user: s.user, ack: 'memory' }));
    if (reply.t === 'error') return reply;
    for (const key of argv.slice(1)) s.watches.push({ db: s.db, key: Buffer.from(key), offset });
    return OK;
  }

  function infoInput() {
    const v = core.view();
    const ks = keeper.stats();
    return {
      version,
      redisCompatVersion,
      port,
      uptimeSeconds: Math.floor((Date.now() - startedAtMs) / 1000),
      connectedClients: connections.size,
      blockedClients: v.blocked,
      commandStats: introspection.commandStats(),
      errorStats: introspection.errorStats(),
      totalErrorReplies: introspection.totalErrors,
      usedMemory: v.store.usedMemoryBytes(),
      maxmemory: v.store.maxmemory,
      policy: v.store.policy,
      logTail: v.tail,
      durableOffset: keeper.durableOffset,
      snapshots: ks.snapshotsWritten,
      lastSnapshotAtMs: snapshotState.lastAtMs,
      walBytes: driver.stats.bytesWritten,
      commands: v.stats.commands,
      connectionsReceived: Number((metrics.connectionsTotal as unknown as { hashMap: Record<string, { value: number }> }).hashMap['']?.value ?? 0),
      expiredKeys: v.store.stats.expiredKeys,
      evictedKeys: v.store.stats.evictedKeys,
      keyspace: Array.from({ length: 16 }, (_, db) => ({ db, keys: v.store.dbSize(db) })).filter((d) => d.keys > 0),
    };
  }

  async function hello(conn: Connection, args: string[]): Promise<Reply> {
    let i = 0;
    if (args.length > 0) {
      const p = args[0]!;
      if (!/^\d+$/.test(p)) return err('ERR Protocol version is not an integer or out of range');
      const proto = Number(p);
      if (proto !== 2 && proto !== 3) return err('NOPROTO unsupported protocol version');
      i = 1;
      for (; i < args.length; i++) {
        const opt = args[i]!.toLowerCase();
        if (opt === 'auth' && i + 2 < args.length + 1 && args[i + 2] !== undefined) {
          const r = await authenticate(conn, args[i + 1]!, args[i + 2]!);
          if (r.t === 'error') return r;
          i += 2;
        } else if (opt === 'setname' && args[i + 1] !== undefined) {
          conn.session.name = args[i + 1]!;
          i += 1;
        } else return err(`ERR Syntax error in HELLO option '${args[i]}'`);
      }
      if (!conn.session.authenticated) return err(Errors.noAuth);
      conn.session.proto = proto as 2 | 3;
    } else if (!conn.session.authenticated) return err(Errors.noAuth);
    return {
      t: 'map',
      entries: [
        [bulkStr('server'), bulkStr('redis')],
        [bulkStr('version'), bulkStr(redisCompatVersion)],
        [bulkStr('proto'), int(conn.session.proto)],
        [bulkStr('id'), int(conn.id)],
        [bulkStr('mode'), bulkStr('standalone')],
        [bulkStr('role'), bulkStr('master')],
        [bulkStr('modules'), array([])],
        [bulkStr('keepsake'), bulkStr(version)],
      ],
    };
  }

  function clientCommand(conn: Connection, args: string[]): Reply | Promise<Reply> {
    const sub = (args[0] ?? '').toLowerCase();
    switch (sub) {
      case 'id':
        return int(conn.id);
      case 'setname':
        if (args.length !== 2) return err(Errors.wrongArity('client|setname'));
        if (/\s/.test(args[1]!)) return err('ERR Client names cannot contain spaces, newlines or special characters.');
        conn.session.name = args[1]!;
        return OK;
      case 'getname':
        return conn.session.name === '' ? NULL : bulkStr(conn.session.name);
      case 'setinfo':
        return OK;
      case 'info':
        return { t: 'verbatim', format: 'txt', s: clientLine(conn) + '\n' };
      case 'list':
        return { t: 'verbatim', format: 'txt', s: [...connections.values()].map((c) => clientLine(c) + '\n').join('') };
      case 'kill': {
        if (!isAdmin(conn)) return err(Errors.noPerm('client|kill'));
        const target =
          args.length === 2
            ? [...connections.values()].find((c) => c.addr === args[1])
            : args[1]?.toLowerCase() === 'id'
              ? [...connections.values()].find((c) => String(c.id) === args[2])
              : args[1]?.toLowerCase() === 'addr'
                ? [...connections.values()].find((c) => c.addr === args[2])
                : undefined;
        if (!target) return args.length === 2 ? err('ERR No such client') : int(0);
        target.destroy();
        return args.length === 2 ? OK : int(1);
      }
      case 'unblock': {
        if (args.length < 2 || args.length > 3) return err(Errors.wrongArity('client|unblock'));
        if (!/^\d+$/.test(args[1]!)) return err(Errors.notInteger);
        const how = (args[2] ?? 'timeout').toLowerCase();
        if (how !== 'timeout' && how !== 'error') return err('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
        return viaCore((req) => ({ type: 'c.unblock', req, target: `conn:${args[1]}`, error: how === 'error' })).then((r) => r.reply);
      }
      case 'ack': {
        if (args.length === 1) return bulkStr(conn.session.ack);
        const level = parseAck(args[1] ?? '');
        if (!level || args.length !== 2) return err('ERR CLIENT ACK takes one of: memory, one, quorum, all');
        conn.session.ack = level;
        return OK;
      }
      default:
        return err(`ERR unknown subcommand '${args[0] ?? ''}'. Try CLIENT HELP.`);
    }
  }

  function clientLine(c: Connection): string {
    const now = Date.now();
    return `id=${c.id} addr=${c.addr} laddr=${c.socket.localAddress}:${c.socket.localPort} name=${c.session.name} age=${Math.floor((now - c.createdAtMs) / 1000)} idle=${Math.max(0, Math.floor((now - c.lastCommandAtMs) / 1000))} db=${c.session.db} user=${c.session.user ?? 'default'} resp=${c.session.proto} ack=${c.session.ack} cmd=${c.lastCommand}`;
  }

  /** Every tunable the server really has: readable with CONFIG GET, the live ones settable with CONFIG SET. */
  function configParams(): Record<string, { get: () => string; set?: (v: string) => string | null }> {
    const store = () => core.view().store;
    return {
      maxmemory: {
        get: () => String(store().maxmemory),
        set: (v) => {
          if (!/^\d+([kmg]b?)?$/i.test(v)) return "argument must be a memory value";
          store().setMemoryLimit(parseMemory(v), store().policy);
          return null;
        },
      },
      'maxmemory-policy': {
        get: () => store().policy,
        set: (v) => {
          if (!evictionPolicyNames.includes(v.toLowerCase())) return 'argument(s) must be one of the following: ' + evictionPolicyNames.join(', ');
          store().setMemoryLimit(store().maxmemory, v.toLowerCase() as EvictionPolicy);
          return null;
        },
      },
      'slowlog-log-slower-than': { get: () => String(introspection.slowerThanUs), set: (v) => (/^-?\d+$/.test(v) ? ((introspection.slowerThanUs = Number(v)), null) : 'argument couldn\'t be parsed into an integer') },
      'slowlog-max-len': { get: () => String(introspection.slowlogMax), set: (v) => (/^\d+$/.test(v) ? ((introspection.slowlogMax = Number(v)), introspection.trimSlowlog(), null) : 'argument couldn\'t be parsed into an integer') },
      'keepsake-ack': { get: () => defaultAck.level, set: (v) => (parseAck(v) ? ((defaultAck.level = parseAck(v)!), null) : 'argument must be one of memory, one, quorum, all') },
      save: { get: () => '' },
      appendonly: { get: () => 'yes' },
      appendfsync: { get: () => 'always' },
      databases: { get: () => '16' },
      port: { get: () => String(port) },
      bind: { get: () => opts.host },
      dir: { get: () => path.resolve(opts.dir) },
      timeout: { get: () => '0' },
      maxclients: { get: () => String(opts.connectionsMax ?? connectionsMaxDefault) },
      'proto-max-bulk-len': { get: () => String(512 * 1024 * 1024) },
      'keepsake-snapshot-every': { get: () => String(opts.snapshotEveryRecords) },
      'keepsake-tls': { get: () => (opts.insecure ? 'no' : 'yes') },
      'keepsake-mtls': { get: () => (opts.requireClientCert ? 'yes' : 'no') },
    };
  }

  function configCommand(conn: Connection, args: string[]): Reply {
    const sub = (args[0] ?? '').toLowerCase();
    const params = configParams();
    if (sub === 'get') {
      if (args.length < 2) return err(Errors.wrongArity('config|get'));
      const out: Reply[] = [];
      for (const pattern of args.slice(1)) {
        const lower = pattern.toLowerCase();
        for (const [k, p] of Object.entries(params)) if (globMatch(lower, k)) out.push(bulkStr(k), bulkStr(p.get()));
      }
      return conn.session.proto === 3 ? { t: 'map', entries: pairs(out) } : array(out);
    }
    if (sub === 'set') {
      if (args.length < 3 || args.length % 2 === 0) return err(Errors.wrongArity('config|set'));
      if (!isAdmin(conn)) return err(Errors.noPerm('config|set'));
      for (let i = 1; i < args.length; i += 2) {
        const name = args[i]!.toLowerCase();
        const p = params[name];
        if (!p) return err(`ERR Unknown option or number of arguments for CONFIG SET - '${args[i]}'`);
        if (!p.set) return err(`ERR CONFIG SET failed (possibly related to argument '${args[i]}') - can't set immutable config`);
        const why = p.set(args[i + 1]!);
        if (why !== null) return err(`ERR CONFIG SET failed (possibly related to argument '${args[i]}') - ${why}`);
      }
      return OK;
    }
    if (sub === 'resetstat') {
      introspection.resetStats();
      return OK;
    }
    return err(`ERR unknown subcommand '${args[0] ?? ''}'. Try CONFIG HELP.`);
  }

  function commandCommand(args: string[], argv: readonly Buffer[]): Reply {
    const sub = (args[0] ?? '').toLowerCase();
    const specs = [...commandTable.values()].filter((c) => !isInternalCommand(c));
    const entry = (c: (typeof specs)[number]): Reply =>
      array([bulkStr(c.name), int(c.arity), array([...c.flags, ...(c.numkeysAt === undefined ? [] : ['movablekeys'])].map((f) => simple(f))), int(c.firstKey), int(c.lastKey), int(c.keyStep)]);
    if (sub === '') return array(specs.map(entry));
    if (sub === 'count') return int(specs.length);
    if (sub === 'info') return array(args.slice(1).map((n) => {
      const c = specs.find((x) => x.name === n.toLowerCase());
      return c ? entry(c) : NULL;
    }));
    if (sub === 'docs') return array([]);
    if (sub === 'getkeys') return commandGetKeys(argv.slice(2));
    return err(`ERR unknown subcommand '${args[0]}'. Try COMMAND HELP.`);
  }

  function waitCommand(conn: Connection, args: string[]): Reply | Promise<Reply> {
    if (args.length !== 2) return err(Errors.wrongArity('wait'));
    if (!/^\d+$/.test(args[0]!) || !/^\d+$/.test(args[1]!)) return err(Errors.notInteger);
    const want = Number(args[0]);
    const timeoutMs = Number(args[1]);
    const count = () => core.keepersDurableAt(conn.session.lastOffset);
    if (count() >= want) return int(count());
    return new Promise((resolve) => {
      const started = Date.now();
      const tick = setInterval(() => {
        if (count() >= want || (timeoutMs > 0 && Date.now() - started >= timeoutMs) || conn.isClosing || closing !== null) {
          clearInterval(tick);
          resolve(int(count()));
        }
      }, 2);
    });
  }

  async function aclCommand(conn: Connection, args: string[]): Promise<Reply> {
    const sub = (args[0] ?? '').toLowerCase();
    const users = core.view().store.users();
    switch (sub) {
      case 'whoami':
        return bulkStr(conn.session.user ?? 'default');
      case 'list':
      case 'users':
        if (!isAdmin(conn)) return err(Errors.noPerm(`acl|${sub}`));
        return array([...users.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((u) => bulkStr(sub === 'users' ? u.name : aclLine(u))));
      case 'setuser': {
        if (!isAdmin(conn)) return err(Errors.noPerm('acl|setuser'));
        const name = args[1];
        if (!name) return err(Errors.wrongArity('acl|setuser'));
        const existing = users.get(name);
        let role = existing?.role ?? 'readonly';
        let dbs = existing?.dbs === undefined || existing.dbs === null ? '*' : existing.dbs.join(',');
        let password: string | null = null;
        for (const rule of args.slice(2)) {
          if (rule.startsWith('>')) password = rule.slice(1);
          else if (rule.startsWith('role:')) role = rule.slice(5) as UserRecord['role'];
          else if (rule.startsWith('db:')) dbs = rule.slice(3);
          else return err(`ERR Error in ACL SETUSER modifier '${rule}': use >password, role:admin|readwrite|readonly, db:*|0,1,...`);
        }
        if (password === null && !existing) return err('ERR a new user needs a password (>password)');
        if (password !== null && Buffer.byteLength(password) > passwordBytesMax) return err('ERR password too long');
        const rec = password !== null ? await hashPasswordAsync(password) : { algo: existing!.algo, salt: existing!.salt, hash: existing!.hash };
        return internal(['KSUSER.SET', name, role, dbs, rec.algo, rec.salt, rec.hash]);
      }
      case 'deluser': {
        if (!isAdmin(conn)) return err(Errors.noPerm('acl|deluser'));
        let n = 0;
        for (const name of args.slice(1)) {
          if (name === 'admin') return err("ERR The 'admin' user cannot be removed.");
          const r = await internal(['KSUSER.DEL', name]);
          if (r.t === 'int') n += Number(r.n);
        }
        return int(n);
      }
      default:
        return err(`ERR unknown subcommand '${args[0] ?? ''}'. Try ACL HELP.`);
    }
  }

  // ---- Shutdown ---------------------------------------------------------------------
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      log.info('shutting down: no new connections; waiting for in-flight writes to become durable');
      server.close();
      // Clients keep sending on open connections: read nothing more, so the writes in
      // flight are a finite set that can finish.
      for (const c of connections.values()) c.stopReading();
      const owed = () => [...connections.values()].reduce((n, c) => n + c.repliesOwed, 0);
      const deadline = Date.now() + shutdownDrainMsMax;
      while ((core.view().waiters > 0 || keeper.durableOffset < core.view().tail || owed() > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      if (owed() > 0) log.warn({ owed: owed() }, 'shutdown: replies still owed at the deadline; their clients see the connection close');
      await Promise.all([...connections.values()].map((c) => c.endGracefully(shutdownEndMsMax)));
      await driver.stop();
      await disk.close();
      await metricsServer?.close();
      log.info({ offset: core.view().tail, durable: keeper.durableOffset }, 'stopped');
    })();
    return closing;
  };

  return { port, metricsPort: metricsServer?.port ?? null, caCertPath, generatedAdminPassword, metrics, close, adopt: onSocket };
}

/** Commands that are not allowed to be queued after MULTI (they change the connection, not data). */
const transactionControl = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/**
 * Server commands that may be queued in MULTI, with their argument counts (name included): they
 * change nothing and answer synchronously, so EXEC answers them in place (see execCommand).
 */
const queueableServerCommands: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['ping', [1, 2]],
  ['echo', [2, 2]],
  ['time', [1, 1]],
  ['info', [1, Infinity]],
  ['lastsave', [1, 1]],
] as const);
const serverOnlyCommands = new Set(['ping', 'echo', 'auth', 'hello', 'select', 'client', 'config', 'command', 'info', 'wait', 'acl', 'save', 'bgsave', 'lastsave', 'unwatch', 'slowlog', 'monitor', 'time']);

const evictionPolicyNames = ['noeviction', 'allkeys-lru', 'allkeys-lfu', 'volatile-lru', 'volatile-ttl', 'allkeys-random'];

function parseMemory(v: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(v)!;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

/** Server-level command names, for metric labels and command statistics (a fixed set). */
const serverCommandNames: ReadonlySet<string> = new Set([...serverOnlyCommands, ...transactionControl, 'unwatch', 'lastsave']);

const storeCommandNames: ReadonlySet<string> = new Set([...commandTable.map((c) => c.name), ...blockingKinds]);

function aclLine(u: UserRecord): string {
  return `user ${u.name} on role:${u.role} db:${u.dbs === null ? '*' : u.dbs.join(',')} #${u.algo}`;
}

function totalKeys(core: Core): number {
  let n = 0;
  for (let db = 0; db < 16; db++) n += core.view().store.dbSize(db);
  return n;
}

/** COMMAND GETKEYS name arg...: the key arguments of a data command, as the table names them
 *  (fixed positions and numkeys keys), and SORT's STORE destination, which sits anywhere. */
function commandGetKeys(cmdArgv: readonly Buffer[]): Reply {
  if (cmdArgv.length < 2) return err(Errors.wrongArity('command|getkeys'));
  const spec = findCommand(cmdArgv[0]!.toString('latin1').toLowerCase());
  if (spec === undefined || isInternalCommand(spec)) return err('ERR Invalid command specified');
  if (!arityOk(spec, cmdArgv.length)) return err('ERR Invalid number of arguments specified for command');
  const keys = commandKeys(spec, cmdArgv);
  if (spec.name === 'sort') {
    // The last STORE wins, as in Redis.
    let dest: Buffer | null = null;
    for (let i = 2; i + 1 < cmdArgv.length; i++) if (cmdArgv[i]!.toString('latin1').toLowerCase() === 'store') dest = cmdArgv[++i]!;
    if (dest !== null) keys.push(dest);
  }
  if (keys.length === 0) return err('ERR The command has no key arguments');
  return array(keys.map((k) => bulk(k)));
}

function pairs(flat: Reply[]): (readonly [Reply, Reply])[] {
  const out: (readonly [Reply, Reply])[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** `hashPassword` (net/password.ts) off the event loop: ACL SETUSER must not stall every client for ~50 ms. */
export async function hashPasswordAsync(pw: string): Promise<PasswordRecord> {
  if (Buffer.byteLength(pw) > passwordBytesMax) throw new RangeError('password too long');
  const salt = randomBytes(saltBytes);
  const hash = await scrypt(pw, salt, hashBytes, { N: scryptN, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return { algo: 'scrypt', salt: salt.toString('hex'), hash: hash.toString('hex') };
}

/** Verify without blocking the event loop (scrypt is deliberately slow). */
export async function verifyPasswordAsync(pw: string, rec: { algo: string; salt: string; hash: string }): Promise<boolean> {
  if (Buffer.byteLength(pw) > passwordBytesMax) return false;
  const salt = Buffer.from(rec.salt, 'hex');
  const want = Buffer.from(rec.hash, 'hex');
  if (want.length !== hashBytes) return false;
  const got = rec.algo === 'scrypt' ? await scrypt(pw, salt, hashBytes, { N: scryptN, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }) : await pbkdf2(pw, salt, pbkdf2Iterations, hashBytes, 'sha512');
  return timingSafeEqual(got, want);
}
