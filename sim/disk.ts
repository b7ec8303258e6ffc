// A simulated disk with the durability semantics of a POSIX file system on Linux, so that
// the simulator can attack the code that relies on them:
// - file data written but not fsynced may, at a crash, be lost, partly kept (a prefix of the
//   pending writes) or torn (the last kept write only partly on disk, its tail zero-filled or
//   keeping the old bytes);
// - a name created, renamed or deleted is durable only after `fsyncDir`; at a crash a prefix of
//   the unsynced directory operations survives (so a fsynced file whose directory entry was never
//   synced may vanish, and an unsynced rename may or may not have happened, but never half);
// - bit rot flips a bit in stored data; a capacity limit answers ENOSPC; injected EIO.
// Latency (a slow disk) is the world's business: see `World` in sim/world.ts.

import { diskError, validFileName, diskReadBytesMax, type Disk, type DiskOp, type DiskResult } from '../net/disk';
import { assert, type Rng } from '../net/types';

interface PendingWrite {
  readonly kind: 'write';
  readonly offset: number;
  readonly data: Uint8Array;
}
interface PendingTruncate {
  readonly kind: 'truncate';
  readonly length: number;
}
type PendingFileOp = PendingWrite | PendingTruncate;

type DirOp =
  | { readonly kind: 'link'; readonly name: string; readonly inode: Inode } // create or rename target
  | { readonly kind: 'unlink'; readonly name: string };

/** One file's content, independent of the names that point to it. */
class Inode {
  buf: Buffer = Buffer.alloc(0);
  size = 0;
  /** Copy of the durable content, made only when a write touches the durable region. */
  durableCopy: Buffer | null = null;
  durableSize = 0;
  pending: PendingFileOp[] = [];

  content(): Buffer {
    return this.buf.subarray(0, this.size);
  }

  durableContent(): Buffer {
    return this.durableCopy ?? this.buf.subarray(0, this.durableSize);
  }

  private protectDurable(from: number): void {
    if (this.durableCopy === null && from < this.durableSize) {
      this.durableCopy = Buffer.from(this.buf.subarray(0, this.durableSize));
    }
  }

  private ensureCapacity(bytes: number): void {
    if (bytes <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(bytes, this.buf.length * 2, 256));
    this.buf.copy(next, 0, 0, this.size);
    this.buf = next;
  }

  write(offset: number, data: Uint8Array): void {
    this.protectDurable(offset);
    const end = offset + data.length;
    this.ensureCapacity(end);
    if (offset > this.size) this.buf.fill(0, this.size, offset);
    this.buf.set(data, offset);
    this.size = Math.max(this.size, end);
    this.pending.push({ kind: 'write', offset, data: Uint8Array.from(data) });
  }

  truncate(length: number): void {
    this.protectDurable(length);
    if (length > this.size) {
      this.ensureCapacity(length);
      this.buf.fill(0, this.size, length);
    }
    this.size = length;
    this.pending.push({ kind: 'truncate', length });
  }

  fsync(): void {
    this.durableCopy = null;
    this.durableSize = this.size;
    this.pending = [];
  }

  /** Replace the content by what survives a crash; afterwards everything present is durable. */
  settle(content: Buffer): void {
    this.buf = content;
    this.size = content.length;
    this.durableCopy = null;
    this.durableSize = content.length;
    this.pending = [];
  }
}

/** How a crash treats unsynced state: chosen at random in runs, enumerated in crash-point tests. */
export interface CrashChooser {
  /** How many of the `pending` unsynced directory operations survive (a prefix), 0..pending. */
  dirOpsKept(pending: number): number;
  /** How many of a file's `pending` unsynced writes/truncates survive (a prefix), 0..pending. */
  fileOpsKept(fileName: string, pending: number): number;
  /** For the first lost write of a file: how many of its bytes still reach the disk (0 = none). */
  tornBytes(fileName: string, writeBytes: number): number;
}

export const crashLoseAll: CrashChooser = {
  dirOpsKept: () => 0,
  fileOpsKept: () => 0,
  tornBytes: () => 0,
};

export const crashKeepAll: CrashChooser = {
  dirOpsKept: (n) => n,
  fileOpsKept: (_f, n) => n,
  tornBytes: () => 0,
};

/** The usual random crash: each pending prefix length uniform, a torn write half the time. */
export function randomCrash(rng: Rng): CrashChooser {
  return {
    dirOpsKept: (n) => rng.int(n + 1),
    fileOpsKept: (_f, n) => rng.int(n + 1),
    tornBytes: (_f, bytes) => (bytes > 0 && rng.chance(0.5) ? rng.int(bytes) : 0),
  };
}

export interface SimDiskStats {
  writes: number;
  fsyncs: number;
  dirFsyncs: number;
  bytesWritten: number;
  crashes: number;
  rotFlips: number;
  enospc: number;
  eio: number;
}

export class SimDisk implements Disk {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private pendingDir: DirOp[] = [];
  /** Bytes the disk can hold (sum of file sizes); Infinity = unlimited. */
  capacityBytes = Infinity;
  /** The next `failNext` operations (other than read/list/size) answer EIO. */
  failNext = 0;
  readonly stats: SimDiskStats = {
    writes: 0,
    fsyncs: 0,
    dirFsyncs: 0,
    bytesWritten: 0,
    crashes: 0,
    rotFlips: 0,
    enospc: 0,
    eio: 0,
  };

  /** Promise form, for the disk contract suite shared with the real disk. */
  exec(op: DiskOp): Promise<DiskResult> {
    return Promise.resolve(this.execute(op));
  }

  execute(op: DiskOp): DiskResult {
    if (op.op !== 'fsyncDir' && op.op !== 'list') {
      const bad = this.badName(op);
      if (bad !== null) return diskError('EINVAL', `invalid file name: ${JSON.stringify(bad)}`);
    }
    if (this.failNext > 0 && op.op !== 'read' && op.op !== 'list' && op.op !== 'size') {
      this.failNext -= 1;
      this.stats.eio += 1;
      return diskError('EIO', `injected I/O error on ${op.op}`);
    }
    switch (op.op) {
      case 'write':
        return this.write(op.file, op.offset, op.data);
      case 'append': {
        const size = this.names.get(op.file)?.size ?? 0;
        return this.write(op.file, size, op.data);
      }
      case 'fsync': {
        const inode = this.names.get(op.file);
        if (!inode) return diskError('ENOENT', `fsync: no such file ${op.file}`);
        inode.fsync();
        this.stats.fsyncs += 1;
        return { ok: true };
      }
      case 'fsyncDir':
        this.durableNames = new Map(this.names);
        this.pendingDir = [];
        this.stats.dirFsyncs += 1;
        return { ok: true };
      case 'read':
        return this.read(op.file, op.offset, op.length);
      case 'size': {
        const inode = this.names.get(op.file);
        return inode ? { ok: true, size: inode.size } : diskError('ENOENT', `size: no such file ${op.file}`);
      }
      case 'truncate': {
        const inode = this.names.get(op.file);
        if (!inode) return diskError('ENOENT', `truncate: no such file ${op.file}`);
        if (op.length < 0 || !Number.isInteger(op.length)) return diskError('EINVAL', 'truncate: bad length');
        if (op.length > inode.size && this.usedBytes() + (op.length - inode.size) > this.capacityBytes) {
          this.stats.enospc += 1;
          return diskError('ENOSPC', 'no space left on device');
        }
        inode.truncate(op.length);
        return { ok: true };
      }
      case 'rename': {
        const inode = this.names.get(op.from);
        if (!inode) return diskError('ENOENT', `rename: no such file ${op.from}`);
        if (op.from === op.to) return { ok: true };
        this.link(op.to, inode);
        this.unlink(op.from);
        return { ok: true };
      }
      case 'delete':
        if (!this.names.has(op.file)) return diskError('ENOENT', `delete: no such file ${op.file}`);
        this.unlink(op.file);
        return { ok: true };
      case 'list':
        return { ok: true, names: [...this.names.keys()].sort(byteOrder) };
    }
  }

  /**
   * Power loss: volatile state is settled by `chooser`. Afterwards the disk holds exactly what
   * survived, all of it durable.
   */
  crash(chooser: CrashChooser): void {
    this.stats.crashes += 1;
    const keptDir = clampInt(chooser.dirOpsKept(this.pendingDir.length), 0, this.pendingDir.length);
    const names = new Map(this.durableNames);
    for (const op of this.pendingDir.slice(0, keptDir)) {
      if (op.kind === 'link') names.set(op.name, op.inode);
      else names.delete(op.name);
    }
    // Each inode settles once, whatever names point at it; iterate in a deterministic order.
    const settled = new Set<Inode>();
    const ordered = [...names.entries()].sort((a, b) => byteOrder(a[0], b[0]));
    for (const [name, inode] of ordered) {
      if (settled.has(inode)) continue;
      settled.add(inode);
      inode.settle(survivingContent(inode, name, chooser));
    }
    this.names = names;
    this.durableNames = new Map(names);
    this.pendingDir = [];
  }

  /** Bit rot: flip one stored bit of `file` at byte `pos` (bit `bit`), durable and current alike. */
  flipBit(file: string, pos: number, bit: number): boolean {
    const inode = this.names.get(file) ?? this.durableNames.get(file);
    if (!inode || pos < 0 || pos >= inode.size) return false;
    const mask = 1 << (bit & 7);
    inode.buf[pos] = (inode.buf[pos] ?? 0) ^ mask;
    if (inode.durableCopy && pos < inode.durableCopy.length) {
      inode.durableCopy[pos] = (inode.durableCopy[pos] ?? 0) ^ mask;
    }
    this.stats.rotFlips += 1;
    return true;
  }

  /** Bit rot at a random stored position of a random non-empty file; returns what was hit. */
  rot(rng: Rng): { file: string; pos: number } | null {
    const files = [...this.names.entries()].filter(([, i]) => i.size > 0).sort((a, b) => byteOrder(a[0], b[0]));
    if (files.length === 0) return null;
    const [file, inode] = files[rng.int(files.length)]!;
    const pos = rng.int(inode.size);
    this.flipBit(file, pos, rng.int(8));
    return { file, pos };
  }

  usedBytes(): number {
    let total = 0;
    for (const inode of new Set(this.names.values())) total += inode.size;
    return total;
  }

  /** Names present now (sorted), for tests and traces. */
  fileNames(): string[] {
    return [...this.names.keys()].sort(byteOrder);
  }

  /** Current content of a file, for tests (not a disk operation). */
  peek(file: string): Buffer | undefined {
    const inode = this.names.get(file);
    return inode ? Buffer.from(inode.content()) : undefined;
  }

  /** Whether anything is not yet durable (used by invariants and tests). */
  hasUnsyncedState(): boolean {
    if (this.pendingDir.length > 0) return true;
    for (const inode of this.names.values()) if (inode.pending.length > 0) return true;
    return false;
  }

  private write(file: string, offset: number, data: Uint8Array): DiskResult {
    if (offset < 0 || !Number.isInteger(offset)) return diskError('EINVAL', 'write: bad offset');
    let inode = this.names.get(file);
    const oldSize = inode?.size ?? 0;
    const growth = Math.max(0, offset + data.length - oldSize);
    if (this.usedBytes() + growth > this.capacityBytes) {
      this.stats.enospc += 1;
      return diskError('ENOSPC', 'no space left on device');
    }
    if (!inode) {
      inode = new Inode();
      this.link(file, inode);
    }
    inode.write(offset, data);
    this.stats.writes += 1;
    this.stats.bytesWritten += data.length;
    return { ok: true, offset };
  }

  private read(file: string, offset = 0, length?: number): DiskResult {
    const inode = this.names.get(file);
    if (!inode) return diskError('ENOENT', `read: no such file ${file}`);
    if (offset < 0 || (length !== undefined && length < 0)) return diskError('EINVAL', 'read: bad range');
    const end = length === undefined ? inode.size : Math.min(inode.size, offset + length);
    if (end - offset > diskReadBytesMax) return diskError('EINVAL', 'read: larger than diskReadBytesMax');
    const data = offset >= end ? new Uint8Array(0) : Uint8Array.from(inode.buf.subarray(offset, end));
    return { ok: true, data };
  }

  private link(name: string, inode: Inode): void {
    this.names.set(name, inode);
    this.pendingDir.push({ kind: 'link', name, inode });
  }

  private unlink(name: string): void {
    this.names.delete(name);
    this.pendingDir.push({ kind: 'unlink', name });
  }

  private badName(op: Exclude<DiskOp, { op: 'fsyncDir' } | { op: 'list' }>): string | null {
    if (op.op === 'rename') {
      if (!validFileName(op.from)) return op.from;
      if (!validFileName(op.to)) return op.to;
      return null;
    }
    return validFileName(op.file) ? null : op.file;
  }
}

function survivingContent(inode: Inode, name: string, chooser: CrashChooser): Buffer {
  const pending = inode.pending;
  const kept = clampInt(chooser.fileOpsKept(name, pending.length), 0, pending.length);
  let content: Buffer = Buffer.from(inode.durableContent());
  for (let i = 0; i < kept; i++) content = applyOp(content, pending[i]!);
  const lost = pending[kept];
  if (lost && lost.kind === 'write') {
    const torn = clampInt(chooser.tornBytes(name, lost.data.length), 0, lost.data.length);
    if (torn > 0) content = applyOp(content, { kind: 'write', offset: lost.offset, data: lost.data.subarray(0, torn) });
  }
  return content;
}

function applyOp(content: Buffer, op: PendingFileOp): Buffer {
  if (op.kind === 'truncate') {
    if (op.length <= content.length) return Buffer.from(content.subarray(0, op.length));
    return Buffer.concat([content, Buffer.alloc(op.length - content.length)]);
  }
  const end = op.offset + op.data.length;
  const out = end > content.length ? Buffer.concat([content, Buffer.alloc(end - content.length)]) : content;
  out.set(op.data, op.offset);
  return out;
}

function clampInt(x: number, lo: number, hi: number): number {
  assert(Number.isFinite(x), 'crash chooser returned a non-finite count');
  return Math.max(lo, Math.min(hi, Math.floor(x)));
}

/** Byte order of names (ASCII file names compare the same as code units). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
