import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { RealDisk } from '../../real/disk';
import { describeDiskContract } from '../contracts/disk-contract';

describeDiskContract('RealDisk', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'keepsake-disk-'));
  return { disk: await RealDisk.open(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

it('RealDisk creates files readable by the owner only', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'keepsake-disk-'));
  try {
    const d = await RealDisk.open(dir);
    await d.exec({ op: 'write', file: 'key.pem', offset: 0, data: new Uint8Array([1]) });
    expect((await stat(path.join(dir, 'key.pem'))).mode & 0o777).toBe(0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
