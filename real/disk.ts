// The real disk: one directory on a real file system, with real fsync of files and of the
// directory. Same interface and contract as the simulated disk (test/contracts/disk-contract.ts).

import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { diskError, diskReadBytesMax, validFileName, type Disk, type DiskErrorCode, type DiskOp, type DiskResult } from '../net/disk';

export class RealDisk implements Disk {
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

  private p(name: string): string {
    return path.join(this.dir, name);
  }

  private async run(op: DiskOp): Promise<DiskResult> {
    switch (op.op) {
      case 'write': {
        if (op.offset < 0 || !Number.isInteger(op.offset)) return diskError('EINVAL', 'write: bad offset');
        const fh = await fsp.open(this.p(op.file), constants.O_WRONLY | constants.O_CREAT, 0o600);
        try {
          await writeAll(fh, op.data, op.offset);
        } finally {
          await fh.close();
        }
        return { ok: true, offset: op.offset };
      }
      case 'append': {
        const fh = await fsp.open(this.p(op.file), constants.O_WRONLY | constants.O_CREAT, 0o600);
        try {
          const { size } = await fh.stat();
          await writeAll(fh, op.data, size);
          return { ok: true, offset: size };
        } finally {
          await fh.close();
        }
      }
      case 'fsync': {
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
        return { ok: true };
      }
      case 'rename':
        await fsp.rename(this.p(op.from), this.p(op.to));
        return { ok: true };
      case 'delete':
        await fsp.unlink(this.p(op.file));
        return { ok: true };
      case 'list': {
        const names = (await fsp.readdir(this.dir)).filter(validFileName).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return { ok: true, names };
      }
    }
  }
}

async function writeAll(fh: fsp.FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
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
