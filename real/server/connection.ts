// One client connection of the RESP server: parse requests incrementally, answer the
// connection-level commands here (HELLO, AUTH, SELECT, CLIENT, CONFIG, COMMAND, INFO, WAIT,
// ACL, ...), hand every store command to the Core as a `c.req` message, and write replies
// back in request order (a pipelined GET after a write that still awaits durability waits
// for it, as Redis clients expect). An asynchronous connection-level command (AUTH, HELLO,
// ACL, WAIT) holds back the requests behind it until it answers, and before AUTH succeeds
// even their parsing waits, so they meet the limits AUTH decides. Limits per connection keep
// one bad client from harming the others: query buffer and request sizes (the parser),
// pending replies, output buffer (checked per reply), and unauthenticated request size.

import type { Socket } from 'node:net';
import { array, bulk, bulkStr, err, Errors, int, NULL, OK, simple, type Reply } from '../../net/reply';
import { ReplyWriter, RespRequestParser, type Proto } from '../../net/resp/index';
import type { NodeId } from '../../net/types';
import { ackLevels, batchRequestsMax, type AckLevel, type WatchToken } from '../../core/node/protocol';
import { commandNameOf } from '../../core/store';
import type { CommandStat } from './command-stats';

/** Replies queued (not yet written) before the connection stops reading. */
export const pendingRepliesMax = 10_000;
/** Bytes of replies buffered in the socket before we pause reading (backpressure). */
export const outputBufferBytesMax = 64 * 1024 * 1024;

export interface ConnectionHost {
  /** Run a store command through the Core; the reply comes back through `fill`. */
  submit(conn: Connection, req: number, argv: Buffer[]): void;
  /** Run several store commands, in order, through the Core in one step (a pipelined chunk). */
  submitBatch(conn: Connection, reqs: readonly Submitted[]): void;
  /** Whether `name` is answered by `serverCommand` on this connection now (else: a store command). */
  isLocal(conn: Connection, name: string): boolean;
  /** Answer a connection-level command; null means "not one of mine: submit it". */
  serverCommand(conn: Connection, name: string, argv: Buffer[]): Reply | Promise<Reply> | null;
  /** Where a command's numbers go (null: not counted, e.g. a command queued inside MULTI). */
  statOf(conn: Connection, name: string): CommandStat | null;
  /** A counted command was answered `seconds` after it was parsed. */
  record(conn: Connection, stat: CommandStat, seconds: number, reply: Reply, argv: Buffer[]): void;
  /** The connection closed (for CLIENT LIST, metrics). */
  closed(conn: Connection): void;
  /** A protocol error or limit was hit (metrics, logs). */
  protocolError(conn: Connection, message: string): void;
}

export interface Session {
  db: number;
  user: string | null;
  authenticated: boolean;
  proto: Proto;
  name: string;
  ack: AckLevel;
  /** Highest log offset a reply on this connection depended on (WAIT uses it). */
  lastOffset: number;
  /** Commands queued since MULTI (null: not in a transaction). */
  multi: Buffer[][] | null;
  /** A command failed to queue: EXEC answers EXECABORT. */
  multiError: boolean;
  /** WATCHed keys with the log offset each was watched at. */
  watches: WatchToken[];
  /** MONITOR: this connection receives every command the server executes. */
  monitor: boolean;
}

/** A store command waiting to go to the Core with the rest of its chunk. */
export interface Submitted {
  readonly req: number;
  readonly argv: Buffer[];
}

/** A reply owed, in request order; `stat` and `startedMs` time it for the command metrics. */
type Slot = { reply: Reply | null; closeAfter: boolean; stat: CommandStat | null; startedMs: number; argv: Buffer[] | null };

let connSeq = 0;

/** Connections with replies to write at the end of this event-loop turn (`Connection.flushAtTurnEnd`). */
const turnEndQueue: Connection[] = [];

function flushTurnEndQueue(): void {
  // A flush only writes (it queues nothing), so the queue is taken whole.
  const q = turnEndQueue.splice(0);
  for (const c of q) c.flushTurnEnd();
}

/** Fed to the parser to go on with what it holds (one shared empty buffer, not one per chunk). */
const NO_BYTES = Buffer.alloc(0);

export class Connection {
  readonly id: number;
  readonly nodeId: NodeId;
  readonly createdAtMs = Date.now();
  /** When the last chunk of requests arrived, on the wall clock (CLIENT LIST's idle). */
  get lastCommandAtMs(): number {
    // Derived from the chunk's performance.now() stamp: one clock read per chunk, not two.
    return performance.timeOrigin + this.chunkAtMs;
  }
  lastCommand = 'NULL';
  readonly session: Session;
  private readonly parser: RespRequestParser;
  private readonly writer = new ReplyWriter();
  private readonly slots: Slot[] = [];
  private slotBase = 0;
  private reqSeq = 0;
  private closing = false;
  private flushScheduled = false;
  /** In `turnEndQueue`. */
  private turnEndFlush = false;
  /** Set while a chunk's requests run: their replies are written once, when the chunk is done. */
  private pumping = false;
  /** When the chunk being pumped arrived (performance.now()): the start of its commands' latency. */
  private chunkAtMs = performance.now();
  /**
   * When the chunk's replies came back (performance.now()), read at the first and kept for the
   * rest: the Core answers a chunk's requests all at once, after running all of them. -1: not yet.
   */
  private chunkDoneMs = -1;
  /** Commands parsed from the chunk being pumped. */
  private chunkCommands = 0;
  /** Whether we paused the socket (we are the only ones who do). */
  private readPaused = false;
  /**
   * The chunk's store commands not yet sent to the Core: they go in one batch when the chunk
   * is parsed, or before any connection-level command runs (which may read what they did).
   */
  private readonly toSubmit: Submitted[] = [];
  /**
   * Set while an asynchronous connection-level command (AUTH, HELLO, ACL, WAIT) runs: the
   * commands parsed after it wait here, so they see its effect (ioredis pipelines
   * `AUTH` and `SELECT` on connect; SELECT must not run before AUTH has finished).
   */
  private blocked = false;
  /** Shutdown: no more requests are read; the replies owed are still written. */
  private readStopped = false;
  private readonly queued: (Buffer[] | { readonly protocolError: string })[] = [];
  /** Chunks that arrived while an unauthenticated connection's AUTH was running (the socket is paused). */
  private readonly stashed: Buffer[] = [];

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
    opts: { authRequired: boolean; defaultAck: AckLevel },
  ) {
    this.id = ++connSeq;
    this.nodeId = `conn:${this.id}` as NodeId;
    this.session = { db: 0, user: null, authenticated: !opts.authRequired, proto: 2, name: '', ack: opts.defaultAck, lastOffset: 0, multi: null, multiError: false, watches: [], monitor: false };
    this.parser = new RespRequestParser();
    this.parser.authenticated = this.session.authenticated;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => {
      this.closing = true;
      this.host.closed(this);
    });
  }

  get addr(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? 0}`;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  setAuthenticated(user: string): void {
    this.session.user = user;
    this.session.authenticated = true;
    this.parser.authenticated = true;
  }

  private onData(chunk: Buffer): void {
    if (this.closing || this.readStopped) return;
    if (this.awaitingAuth) {
      // Bytes after a pending AUTH are parsed once it answered, under the limits it decides.
      this.stashed.push(chunk);
      this.pauseReading();
      return;
    }
    this.pump(chunk);
  }

  /** While unauthenticated, an async command (AUTH, HELLO) holds back parsing, not just running. */
  private get awaitingAuth(): boolean {
    return this.blocked && !this.session.authenticated;
  }

  private pump(chunk: Buffer): void {
    this.chunkAtMs = performance.now();
    this.chunkDoneMs = -1;
    this.chunkCommands = 0;
    this.pumping = true;
    try {
      this.pumpChunk(chunk);
      this.submitPending();
    } finally {
      this.pumping = false;
    }
    // The replies the chunk's requests got at once (reads, `memory`-level writes) go out in one
    // write: a pipelined chunk's at the end of this event-loop turn, with every other pipelined
    // connection's (`flushAtTurnEnd`); a lone request's now, as its client waits for nothing else.
    // Later replies (awaiting durability) are flushed by `scheduleFlush`.
    if (this.closing) return;
    if (this.chunkCommands > 1) this.flushAtTurnEnd();
    else this.flush();
  }

  private pumpChunk(chunk: Buffer): void {
    // Unauthenticated, the parser yields after each request; stop feeding it while AUTH runs.
    for (let events = this.parser.feed(chunk); events.length > 0; events = this.awaitingAuth ? [] : this.parser.feed(NO_BYTES)) {
      for (const ev of events) {
        const item = ev.type === 'error' ? { protocolError: ev.message } : ev.argv;
        if (this.blocked) {
          this.queued.push(item);
          if (ev.type === 'error') return;
          continue;
        }
        this.run(item);
        if (this.closing) return;
      }
    }
    this.maybePause();
  }

  private maybeResume(): void {
    if (this.readPaused && !this.readStopped && !this.awaitingAuth && this.slots.length + this.queued.length < pendingRepliesMax / 2) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  private pauseReading(): void {
    this.readPaused = true;
    this.socket.pause();
  }

  /** Shutdown, step 1: read no more requests (those already parsed still run). */
  stopReading(): void {
    this.readStopped = true;
    this.pauseReading();
  }

  /** Replies this connection still owes its client (requests running or waiting to run). */
  get repliesOwed(): number {
    return this.slots.length + this.queued.length;
  }

  /** Shutdown, step 2: write what is buffered, end the connection; resolves when it closed. */
  endGracefully(timeoutMs: number): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    this.flush();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.destroy();
        resolve();
      }, timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.closing = true;
      this.socket.end();
    });
  }

  private maybePause(): void {
    if (this.slots.length + this.queued.length >= pendingRepliesMax) {
      // Too many replies outstanding: stop reading until they drain.
      this.pauseReading();
    }
  }

  private run(item: Buffer[] | { readonly protocolError: string }): void {
    if (Array.isArray(item)) {
      this.onCommand(item);
      return;
    }
    this.host.protocolError(this, item.protocolError);
    this.pushReady(err(item.protocolError), true);
  }

  private onCommand(argv: Buffer[]): void {
    this.chunkCommands += 1;
    const startedMs = this.pumping ? this.chunkAtMs : performance.now();
    const name = argv[0] === undefined ? '' : commandNameOf(argv[0]);
    this.lastCommand = name;
    if (!this.session.authenticated && !preAuthCommands.has(name)) {
      this.pushReady(err(Errors.noAuth));
      return;
    }
    const stat = this.host.statOf(this, name);
    if (!this.host.isLocal(this, name)) {
      const req = this.reserve(stat, startedMs, argv);
      if (!this.pumping) {
        this.host.submit(this, req, argv);
        return;
      }
      this.toSubmit.push({ req, argv });
      if (this.toSubmit.length >= batchRequestsMax) this.submitPending();
      return;
    }
    // A connection-level command sees the effects of every command before it.
    this.submitPending();
    const local = this.host.serverCommand(this, name, argv);
    if (local === null) {
      const req = this.reserve(stat, startedMs, argv);
      this.host.submit(this, req, argv);
      return;
    }
    if (local instanceof Promise) {
      const req = this.reserve(stat, startedMs, argv);
      this.blocked = true;
      local.then(
        (r) => this.unblock(req, r),
        (e: unknown) => this.unblock(req, err(`ERR ${(e as Error).message}`)),
      );
      return;
    }
    if (stat !== null) this.record(stat, startedMs, local, argv);
    this.pushReady(local, name === 'quit');
  }

  /** Count a command answered now that started at `startedMs` (performance.now() clock). */
  private record(stat: CommandStat, startedMs: number, reply: Reply, argv: Buffer[]): void {
    let now: number;
    if (!this.pumping) now = performance.now();
    else if (this.chunkDoneMs >= 0) now = this.chunkDoneMs;
    else now = this.chunkDoneMs = performance.now();
    this.host.record(this, stat, (now - startedMs) / 1000, reply, argv);
  }

  /** Send the chunk's store commands so far to the Core (one request alone goes as itself). */
  private submitPending(): void {
    const n = this.toSubmit.length;
    if (n === 0 || this.socket.destroyed) {
      this.toSubmit.length = 0;
      return;
    }
    if (n === 1) {
      const only = this.toSubmit[0]!;
      this.toSubmit.length = 0;
      this.host.submit(this, only.req, only.argv);
      return;
    }
    const batch = this.toSubmit.splice(0);
    this.host.submitBatch(this, batch);
  }

  /** An asynchronous command finished: answer it, then run the commands that waited for it. */
  private unblock(req: number, reply: Reply): void {
    this.blocked = false;
    this.fill(req, reply);
    while (!this.blocked && !this.closing && this.queued.length > 0) this.run(this.queued.shift()!);
    if (!this.blocked && !this.closing) {
      this.pump(NO_BYTES); // what the parser holds back
      for (const chunk of this.stashed.splice(0)) {
        if (this.closing) return;
        if (this.awaitingAuth) this.stashed.push(chunk);
        else this.pump(chunk);
      }
    }
    this.maybeResume();
  }

  /** Reserve the next reply slot; returns its request id. */
  private reserve(stat: CommandStat | null, startedMs: number, argv: Buffer[]): number {
    const req = ++this.reqSeq;
    this.slots.push({ reply: null, closeAfter: false, stat, startedMs, argv });
    return req;
  }

  /** Out-of-band output (MONITOR lines): queued after every reply already owed, in order. */
  pushOutOfBand(reply: Reply): void {
    if (!this.closing) this.pushReady(reply);
  }

  private pushReady(reply: Reply, closeAfter = false): void {
    this.reqSeq += 1;
    this.slots.push({ reply, closeAfter, stat: null, startedMs: 0, argv: null });
    this.drain();
  }

  /** A reply for request `req` (from the Core or an async server command). */
  fill(req: number, reply: Reply, offset = 0): void {
    const idx = req - 1 - this.slotBase;
    const slot = this.slots[idx];
    if (!slot || slot.reply !== null) return; // a duplicate or a reply for a closed connection
    slot.reply = reply;
    if (slot.stat !== null) this.record(slot.stat, slot.startedMs, reply, slot.argv!);
    slot.argv = null;
    if (offset > this.session.lastOffset) this.session.lastOffset = offset;
    this.drain();
  }

  private drain(): void {
    if (this.socket.destroyed) return; // replies for a connection already gone
    let wrote = false;
    let close = false;
    while (this.slots.length > 0 && this.slots[0]!.reply !== null) {
      const s = this.slots.shift()!;
      this.slotBase += 1;
      this.writer.write(s.reply!, this.session.proto);
      wrote = true;
      if (this.writer.pendingBytes() + this.socket.writableLength > outputBufferBytesMax) {
        // Checked per reply, before anything reaches the socket: a pipeline of big replies
        // to a client that does not read must not build a huge buffer first.
        this.host.protocolError(this, 'output buffer limit exceeded');
        this.writer.take();
        this.destroy();
        return;
      }
      if (s.closeAfter) {
        close = true;
        break;
      }
    }
    if (close) {
      this.flush();
      this.closing = true;
      // Closed, not only ended: a client that keeps sending after QUIT or a protocol error gets
      // a reset (as from Redis) instead of a half-open socket that accepts bytes forever.
      this.socket.destroySoon();
      return;
    }
    if (wrote) this.scheduleFlush();
    this.maybeResume();
  }

  /** Write once per event-loop turn: a pipeline's replies go out in one write. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.pumping) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Write at the end of this event-loop turn, once the turn has read every connection that had
   * input (as Redis writes replies in beforeSleep). Under a pipelined load the client process,
   * which waits on many connections, is then woken once per turn rather than once per
   * connection; a waking write costs an interprocessor interrupt, dear in a VM.
   */
  private flushAtTurnEnd(): void {
    if (this.turnEndFlush || this.writer.pendingBytes() === 0) return;
    this.turnEndFlush = true;
    turnEndQueue.push(this);
    if (turnEndQueue.length === 1) setImmediate(flushTurnEndQueue);
  }

  /** Its turn in `flushTurnEndQueue`. */
  flushTurnEnd(): void {
    this.turnEndFlush = false;
    this.flush();
  }

  private flush(): void {
    if (this.writer.pendingBytes() === 0 || this.socket.destroyed) return;
    this.socket.write(this.writer.take());
    if (this.socket.writableLength > outputBufferBytesMax) {
      this.host.protocolError(this, 'output buffer limit exceeded');
      this.destroy();
    }
  }

  destroy(): void {
    if (this.closing && this.socket.destroyed) return;
    this.closing = true;
    this.socket.destroy();
  }
}

/** Commands a connection may send before authenticating (Redis's CMD_NO_AUTH set). */
const preAuthCommands = new Set(['auth', 'hello', 'quit']);

export function parseAck(s: string): AckLevel | null {
  const l = s.toLowerCase();
  return (ackLevels as readonly string[]).includes(l) ? (l as AckLevel) : null;
}

export { array, bulk, bulkStr, err, int, NULL, OK, simple };
