// The real disk: one directory on a real file system, with real fsync of files and of the
// directory. Same interface and contract as the simulated disk (test/contracts/disk-contract.ts).

import fs, { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { diskError, diskReadBytesMax, validFileName, type Disk, type DiskErrorCode, type DiskOp, type DiskResult } from '../net/disk';

/**
 * Appends up to this size are written synchronously, on the event loop: a write into the page
 * cache takes microseconds, less than handing it to the thread pool and back (Redis writes its
 * AOF on its main thread too). Larger writes and every fsync stay on the thread pool.
 */
export const syncAppendBytesMax = 256 * 1024;

/** Open file descriptors kept for writing (the WAL segment being appended to, mostly). */
export const realDiskHandlesMax = 16;

/** A file this process writes to: its descriptor, and its size once known (we are its only writer). */
interface Handle {
  readonly fd: number;
  size: number | null;
}

export class RealDisk implements Disk {
  /**
   * Descriptors of files written recently, most recent last. An append or fsync then costs one
   * system call on the thread pool instead of open + fstat + write + close; deleting, renaming
   * or truncating a file drops (or corrects) its entry first.
   */
  private readonly handles = new Map<string, Handle>();

  constructor(readonly dir: string) {}

  static async open(dir: string): Promise<RealDisk> {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    return new RealDisk(dir);
  }

  async exec(op: DiskOp): Promise<DiskResult> {
    const bad = badName(op);
    if (bad !== null) return diskError('EINVAL', `invalid file name: ${JSON.stringify(bad)}`);
    try {
      return await this.run(op);
    } catch (e) {
      return fromErrno(e);
    }
  }

  /** Close every kept descriptor (the disk stays usable: they are reopened on demand). */
  async close(): Promise<void> {
    const fds = [...this.handles.values()].map((h) => h.fd);
    this.handles.clear();
    await Promise.all(fds.map(closeQuietly));
  }

  private p(name: string): string {
    return path.join(this.dir, name);
  }

  /** The kept descriptor of `name`, opened (and created) for writing if needed. */
  private async writable(name: string): Promise<Handle> {
    const h = this.handles.get(name);
    if (h !== undefined) {
      this.handles.delete(name); // re-inserted below: most recently used last
      this.handles.set(name, h);
      return h;
    }
    const fd = await call<number>((cb) => fs.open(this.p(name), constants.O_RDWR | constants.O_CREAT, 0o600, cb));
    const fresh: Handle = { fd, size: null };
    this.handles.set(name, fresh);
    while (this.handles.size > realDiskHandlesMax) {
      const [oldest, old] = this.handles.entries().next().value!;
      this.handles.delete(oldest);
      await closeQuietly(old.fd);
    }
    return fresh;
  }

  /** Forget `name`'s descriptor (before it is deleted or renamed). */
  private async drop(name: string): Promise<void> {
    const h = this.handles.get(name);
    if (h === undefined) return;
    this.handles.delete(name);
    await closeQuietly(h.fd);
  }

  private async run(op: DiskOp): Promise<DiskResult> {
    switch (op.op) {
      case 'write': {
        if (op.offset < 0 || !Number.isInteger(op.offset)) return diskError('EINVAL', 'write: bad offset');
        const h = await this.writable(op.file);
        await writeAll(h.fd, op.data, op.offset);
        if (h.size !== null) h.size = Math.max(h.size, op.offset + op.data.length);
        return { ok: true, offset: op.offset };
      }
      case 'append': {
        const h = await this.writable(op.file);
        if (h.size === null) h.size = (await call<fs.Stats>((cb) => fs.fstat(h.fd, cb))).size;
        const at = h.size;
        try {
          if (op.data.length <= syncAppendBytesMax) writeAllSync(h.fd, op.data, at);
          else await writeAll(h.fd, op.data, at);
        } catch (e) {
          h.size = null; // part of it may have landed: ask the file next time
          throw e;
        }
        h.size = at + op.data.length;
        return { ok: true, offset: at };
      }
      case 'fsync': {
        const h = this.handles.get(op.file);
        if (h !== undefined) {
          // fdatasync, as Redis uses for its AOF: the data and the size a read needs are made
          // durable; timestamps are not (the contract asks nothing of them).
          await call<void>((cb) => fs.fdatasync(h.fd, cb));
          return { ok: true };
        }
        const fh = await fsp.open(this.p(op.file), constants.O_RDONLY);
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        return { ok: true };
      }
      case 'fsyncDir': {
        const fh = await fsp.open(this.dir, constants.O_RDONLY);
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        return { ok: true };
      }
      case 'read': {
        const offset = op.offset ?? 0;
        if (offset < 0 || (op.length !== undefined && op.length < 0)) return diskError('EINVAL', 'read: bad range');
        const fh = await fsp.open(this.p(op.file), constants.O_RDONLY);
        try {
          const { size } = await fh.stat();
          const end = op.length === undefined ? size : Math.min(size, offset + op.length);
          const n = Math.max(0, end - offset);
          if (n > diskReadBytesMax) return diskError('EINVAL', 'read: larger than diskReadBytesMax');
          const data = new Uint8Array(n);
          let got = 0;
          while (got < n) {
            const { bytesRead } = await fh.read(data, got, n - got, offset + got);
            if (bytesRead === 0) break;
            got += bytesRead;
          }
          return { ok: true, data: data.subarray(0, got) };
        } finally {
          await fh.close();
        }
      }
      case 'size': {
        const st = await fsp.stat(this.p(op.file));
        return { ok: true, size: st.size };
      }
      case 'truncate': {
        if (op.length < 0 || !Number.isInteger(op.length)) return diskError('EINVAL', 'truncate: bad length');
        await fsp.access(this.p(op.file));
        await fsp.truncate(this.p(op.file), op.length);
        const h = this.handles.get(op.file);
        if (h !== undefined) h.size = op.length;
        return { ok: true };
      }
      case 'rename':
        await this.drop(op.from);
        await this.drop(op.to);
        await fsp.rename(this.p(op.from), this.p(op.to));
        return { ok: true };
      case 'delete':
        await this.drop(op.file);
        await fsp.unlink(this.p(op.file));
        return { ok: true };
      case 'list': {
        const names = (await fsp.readdir(this.dir)).filter(validFileName).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return { ok: true, names };
      }
    }
  }
}

/** Close a kept descriptor; a failure to close changes nothing we rely on (it is forgotten). */
function closeQuietly(fd: number): Promise<void> {
  return call<void>((cb) => fs.close(fd, cb)).catch(() => {});
}

/** A Node callback-style fs call as a promise (one promise per system call, no FileHandle). */
function call<T>(f: (cb: (e: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v))));
}

async function writeAll(fd: number, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const n = await call<number>((cb) => fs.write(fd, data, done, data.length - done, position + done, cb));
    done += n;
  }
}

function writeAllSync(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, position + done);
}

function badName(op: DiskOp): string | null {
  if (op.op === 'fsyncDir' || op.op === 'list') return null;
  if (op.op === 'rename') return !validFileName(op.from) ? op.from : !validFileName(op.to) ? op.to : null;
  return validFileName(op.file) ? null : op.file;
}

function fromErrno(e: unknown): DiskResult {
  const code = (e as NodeJS.ErrnoException).code;
  const message = (e as Error).message;
  const known: Record<string, DiskErrorCode> = { ENOENT: 'ENOENT', ENOSPC: 'ENOSPC', EDQUOT: 'ENOSPC', EIO: 'EIO', EINVAL: 'EINVAL', EISDIR: 'EINVAL', ENAMETOOLONG: 'EINVAL' };
  return diskError((code !== undefined ? known[code] : undefined) ?? 'EIO', message);
}
