// A toy durable register: one server holding a single value, persisted as a log of
// checksummed records (fsync before acknowledging), recovered on start. It exists to prove
// the simulation kernel end to end before the real state machines exist, and as a target
// for planted bugs (see `RegisterBugs`): it follows the same rules as core/ — pure, inputs in,
// effects out.

import type { DiskOp, DiskResult } from '../../net/disk';
import { assert, unreachable, type Effect, type Input, type Machine, type MachineEnv, type NodeId } from '../../net/types';

export type RegMsg =
  | { readonly type: 'reg.write'; readonly req: number; readonly value: string }
  | { readonly type: 'reg.read'; readonly req: number }
  | { readonly type: 'reg.writeOk'; readonly req: number }
  | { readonly type: 'reg.readOk'; readonly req: number; readonly value: string | null }
  | { readonly type: 'reg.fail'; readonly req: number; readonly reason: string };

export const regFrameTags = {
  'reg.write': 1,
  'reg.read': 2,
  'reg.writeOk': 3,
  'reg.readOk': 4,
  'reg.fail': 5,
} as const satisfies Record<RegMsg['type'], number>;

/** Bugs a test build can switch on, to prove the checkers catch them. */
export interface RegisterBugs {
  /** Acknowledge a write before it is fsynced (a crash loses an acknowledged write). */
  readonly ackBeforeFsync?: boolean;
  /** Serve reads from a stale cached value that lags the last write by one (a stale read). */
  readonly staleRead?: boolean;
}

const logFile = 'reg.log';
export const regValueBytesMax = 1024;
export const regQueueMax = 64;

/** Record: [u32 len][value bytes][u32 checksum(len, bytes)]. */
export function encodeRegRecord(value: string): Uint8Array {
  const body = Buffer.from(value, 'utf8');
  assert(body.length <= regValueBytesMax, 'register value too large');
  const out = Buffer.alloc(8 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(checksum(body), 4 + body.length);
  return out;
}

/** Decode records until the first incomplete or corrupt one; returns values and the valid length. */
export function decodeRegLog(data: Uint8Array): { values: string[]; validBytes: number } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const values: string[] = [];
  let pos = 0;
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    if (len > regValueBytesMax || pos + 8 + len > buf.length) break;
    const body = buf.subarray(pos + 4, pos + 4 + len);
    if (buf.readUInt32BE(pos + 4 + len) !== checksum(body)) break;
    values.push(body.toString('utf8'));
    pos += 8 + len;
  }
  return { values, validBytes: pos };
}

function checksum(b: Uint8Array): number {
  let h = 0x811c9dc5 ^ b.length;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

type Pending = { readonly from: NodeId; readonly req: number; readonly value: string };

type Phase = 'listing' | 'reading' | 'truncating' | 'serving';

export class RegisterServer implements Machine<RegMsg> {
  private phase: Phase = 'listing';
  private value: string | null = null;
  private previous: string | null = null;
  private queue: Pending[] = [];
  private inFlight: Pending | null = null;
  private diskSeq = 0;
  /** Which disk request is which step. */
  private readonly reqKind = new Map<number, 'list' | 'read' | 'truncate' | 'append' | 'fsync' | 'fsyncDir'>();
  private needDirSync = true;
  /** Highest request id seen per client: a duplicated message must not apply a write twice. */
  private readonly lastReq = new Map<NodeId, number>();

  constructor(
    private readonly env: MachineEnv,
    private readonly bugs: RegisterBugs = {},
  ) {}

  step(input: Input<RegMsg>, _nowMs: number): Effect<RegMsg>[] {
    switch (input.type) {
      case 'start':
        return [this.disk('list', { op: 'list' })];
      case 'message':
        return this.onMessage(input.from, input.msg);
      case 'timeout':
        return [];
      case 'disk':
        return this.onDisk(input.req, input.result);
      default:
        return unreachable(input, 'input');
    }
  }

  private disk(kind: 'list' | 'read' | 'truncate' | 'append' | 'fsync' | 'fsyncDir', op: DiskOp): Effect<RegMsg> {
    const req = ++this.diskSeq;
    this.reqKind.set(req, kind);
    return { type: 'disk', req, op };
  }

  private onMessage(from: NodeId, msg: RegMsg): Effect<RegMsg>[] {
    if (msg.type === 'reg.read' || msg.type === 'reg.write') {
      if (msg.req <= (this.lastReq.get(from) ?? 0)) return [{ type: 'note', text: `duplicate #${msg.req} from ${from} dropped` }];
      this.lastReq.set(from, msg.req);
    }
    switch (msg.type) {
      case 'reg.read': {
        if (this.phase !== 'serving') return [{ type: 'send', to: from, msg: { type: 'reg.fail', req: msg.req, reason: 'recovering' } }];
        const value = this.bugs.staleRead ? this.previous : this.value;
        return [{ type: 'send', to: from, msg: { type: 'reg.readOk', req: msg.req, value } }];
      }
      case 'reg.write': {
        if (this.phase !== 'serving') return [{ type: 'send', to: from, msg: { type: 'reg.fail', req: msg.req, reason: 'recovering' } }];
        if (Buffer.byteLength(msg.value) > regValueBytesMax) return [{ type: 'send', to: from, msg: { type: 'reg.fail', req: msg.req, reason: 'value too large' } }];
        if (this.queue.length >= regQueueMax) return [{ type: 'send', to: from, msg: { type: 'reg.fail', req: msg.req, reason: 'busy' } }];
        this.queue.push({ from, req: msg.req, value: msg.value });
        return this.maybeStartWrite();
      }
      case 'reg.writeOk':
      case 'reg.readOk':
      case 'reg.fail':
        return [{ type: 'note', text: `unexpected ${msg.type} from ${from}` }];
      default:
        return unreachable(msg, 'message');
    }
  }

  private maybeStartWrite(): Effect<RegMsg>[] {
    if (this.inFlight || this.queue.length === 0) return [];
    this.inFlight = this.queue.shift()!;
    const effects: Effect<RegMsg>[] = [this.disk('append', { op: 'append', file: logFile, data: encodeRegRecord(this.inFlight.value) })];
    if (this.bugs.ackBeforeFsync) effects.push(...this.commit());
    return effects;
  }

  /** The in-flight write is durable (or, with the bug, pretends to be): apply and acknowledge. */
  private commit(): Effect<RegMsg>[] {
    const w = this.inFlight;
    assert(w, 'commit without a write in flight');
    this.previous = this.value;
    this.value = w.value;
    return [{ type: 'send', to: w.from, msg: { type: 'reg.writeOk', req: w.req } }];
  }

  private onDisk(req: number, result: DiskResult): Effect<RegMsg>[] {
    const kind = this.reqKind.get(req);
    assert(kind, `unknown disk request ${req}`);
    this.reqKind.delete(req);
    switch (kind) {
      case 'list': {
        const names = result.ok ? (result.names ?? []) : [];
        if (!names.includes(logFile)) return this.becomeServing();
        this.phase = 'reading';
        return [this.disk('read', { op: 'read', file: logFile })];
      }
      case 'read': {
        if (!result.ok) return [{ type: 'note', text: `recovery read failed: ${result.code}` }, this.disk('list', { op: 'list' })];
        const data = result.data ?? new Uint8Array(0);
        const { values, validBytes } = decodeRegLog(data);
        this.value = values.length > 0 ? values[values.length - 1]! : null;
        this.previous = values.length > 1 ? values[values.length - 2]! : null;
        this.needDirSync = false;
        if (validBytes < data.length) {
          this.phase = 'truncating';
          return [{ type: 'note', text: `torn tail: truncating ${data.length - validBytes} bytes at ${validBytes}` }, this.disk('truncate', { op: 'truncate', file: logFile, length: validBytes })];
        }
        return this.becomeServing();
      }
      case 'truncate':
        return [this.disk('fsync', { op: 'fsync', file: logFile })];
      case 'append': {
        if (!result.ok) return this.failInFlight(result.code);
        return [this.disk('fsync', { op: 'fsync', file: logFile })];
      }
      case 'fsync': {
        if (this.phase === 'truncating') return this.becomeServing();
        if (!result.ok) return this.failInFlight(result.code);
        if (this.needDirSync) return [this.disk('fsyncDir', { op: 'fsyncDir' })];
        return this.finishWrite();
      }
      case 'fsyncDir':
        if (!result.ok) return this.failInFlight(result.code);
        this.needDirSync = false;
        return this.finishWrite();
      default:
        return unreachable(kind, 'disk step');
    }
  }

  private finishWrite(): Effect<RegMsg>[] {
    const effects = this.bugs.ackBeforeFsync ? [] : this.commit();
    this.inFlight = null;
    return [...effects, ...this.maybeStartWrite()];
  }

  private failInFlight(code: string): Effect<RegMsg>[] {
    const w = this.inFlight;
    assert(w, 'disk failure without a write in flight');
    this.inFlight = null;
    // The write may be partly on disk; after a failed fsync we cannot vouch for the log, so
    // the client hears "unknown" semantics via a failure reason it must treat as indefinite.
    return [{ type: 'send', to: w.from, msg: { type: 'reg.fail', req: w.req, reason: `indefinite: disk ${code}` } }, ...this.maybeStartWrite()];
  }

  private becomeServing(): Effect<RegMsg>[] {
    this.phase = 'serving';
    return [{ type: 'note', text: `${this.env.id} serving value=${JSON.stringify(this.value)}` }];
  }
}
