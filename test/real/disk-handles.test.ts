// RealDisk keeps descriptors of the files it writes (and the size of files it appends to):
// after every sequence that could leave a kept descriptor or size stale (truncate, rename,
// delete, a write past the end, eviction, close) the offsets it returns and the bytes on
// disk, read back with node:fs directly, must be exactly what a fresh open would give.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiskOp, DiskResult } from '../../net/disk';
import { RealDisk, realDiskHandlesMax } from '../../real/disk';

let dir: string;
let disk: RealDisk;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keepsake-handles-'));
  disk = await RealDisk.open(dir);
});

afterEach(async () => {
  await disk.close();
  await rm(dir, { recursive: true, force: true });
});

const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** Runs `op`, asserting it succeeded. */
async function ok(op: DiskOp): Promise<Extract<DiskResult, { ok: true }>> {
  const r = await disk.exec(op);
  if (!r.ok) throw new Error(`${op.op} failed: ${r.code} ${r.message}`);
  return r;
}

/** Appends `s` to `file`; returns the offset RealDisk says it wrote at. */
async function append(file: string, s: string): Promise<number | undefined> {
  return (await ok({ op: 'append', file, data: bytes(s) })).offset;
}

/** The file's bytes as node:fs sees them (not through RealDisk). */
function onDisk(file: string): string {
  return readFileSync(path.join(dir, file), 'latin1');
}

/** Open descriptors of this process (the listing's own descriptor is counted every time alike). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('RealDisk kept descriptors', () => {
  it('append, append: offsets are the old sizes', async () => {
    expect(await append('a', 'hello')).toBe(0);
    expect(await append('a', ', world')).toBe(5);
    expect(await append('a', '!')).toBe(12);
    expect(onDisk('a')).toBe('hello, world!');
  });

  it('append to a file that already exists (written by someone else before) starts at its size', async () => {
    writeFileSync(path.join(dir, 'a'), '0123');
    expect(await append('a', 'xy')).toBe(4);
    expect(onDisk('a')).toBe('0123xy');
  });

  it('append, truncate shorter, append: lands at the truncated length', async () => {
    expect(await append('a', 'abcdefgh')).toBe(0);
    await ok({ op: 'truncate', file: 'a', length: 3 });
    expect(onDisk('a')).toBe('abc');
    expect(await append('a', 'XY')).toBe(3);
    expect(onDisk('a')).toBe('abcXY');
  });

  it('append, truncate longer (zero fill), append: lands at the new length', async () => {
    expect(await append('a', 'ab')).toBe(0);
    await ok({ op: 'truncate', file: 'a', length: 5 });
    expect(await append('a', 'Z')).toBe(5);
    expect(onDisk('a')).toBe('ab\0\0\0Z');
  });

  it('append a, rename a to b, append a (fresh, offset 0) and b (offset = its size)', async () => {
    expect(await append('a', 'first')).toBe(0);
    await ok({ op: 'rename', from: 'a', to: 'b' });
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
    expect(await append('a', 'new')).toBe(0);
    expect(await append('b', '+more')).toBe(5);
    expect(onDisk('a')).toBe('new');
    expect(onDisk('b')).toBe('first+more');
  });

  it('rename over a file with a kept descriptor: appends to the target go to the renamed file', async () => {
    expect(await append('a', 'AAAA')).toBe(0);
    expect(await append('b', 'old-b-contents')).toBe(0);
    await ok({ op: 'rename', from: 'a', to: 'b' });
    expect(await append('b', 'x')).toBe(4);
    expect(onDisk('b')).toBe('AAAAx');
    expect(readdirSync(dir).sort()).toEqual(['b']);
  });

  it('append, delete, append: offset 0, the file recreated', async () => {
    expect(await append('a', 'gone')).toBe(0);
    await ok({ op: 'delete', file: 'a' });
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
    expect(await append('a', 'back')).toBe(0);
    expect(onDisk('a')).toBe('back');
    expect((await ok({ op: 'size', file: 'a' })).size).toBe(4);
  });

  it('write at an offset beyond the end, then append: lands at the new end', async () => {
    expect(await append('a', 'abc')).toBe(0);
    expect((await ok({ op: 'write', file: 'a', offset: 10, data: bytes('XY') })).offset).toBe(10);
    expect(await append('a', 'Z')).toBe(12);
    expect(onDisk('a')).toBe('abc' + '\0'.repeat(7) + 'XYZ');
  });

  it('write inside the file, then append: the end does not move back', async () => {
    expect(await append('a', 'abcdef')).toBe(0);
    await ok({ op: 'write', file: 'a', offset: 1, data: bytes('BC') });
    expect(await append('a', 'g')).toBe(6);
    expect(onDisk('a')).toBe('aBCdefg');
  });

  it('write (size unknown) beyond the end of a never-appended file, then append', async () => {
    await ok({ op: 'write', file: 'w', offset: 4, data: bytes('ab') });
    expect(await append('w', 'c')).toBe(6);
    expect(onDisk('w')).toBe('\0\0\0\0abc');
  });

  it(`round-robin appends to more than realDiskHandlesMax (${realDiskHandlesMax}) files: contents right, no descriptor leak`, async () => {
    const files = Array.from({ length: realDiskHandlesMax + 5 }, (_, i) => `f${i}`);
    const rounds = 4;
    const before = openFds();
    const expected = new Map<string, string>(files.map((f) => [f, '']));
    for (let r = 0; r < rounds; r++) {
      for (const f of files) {
        const s = `${f}:${r};`;
        expect(await append(f, s)).toBe(expected.get(f)!.length);
        expected.set(f, expected.get(f)! + s);
      }
      // Never more kept than the limit, however many files were written.
      expect(openFds() - before).toBeLessThanOrEqual(realDiskHandlesMax);
    }
    expect(openFds() - before).toBeGreaterThan(0); // some are kept (the cache is in use)
    for (const f of files) expect(onDisk(f)).toBe(expected.get(f));
    await disk.close();
    expect(openFds()).toBe(before);
  });

  it('close() then append again works, at the right offset, and close() leaves nothing open', async () => {
    const before = openFds();
    expect(await append('a', '1234')).toBe(0);
    await ok({ op: 'fsync', file: 'a' });
    await disk.close();
    expect(openFds()).toBe(before);
    expect(await append('a', '56')).toBe(4);
    expect(onDisk('a')).toBe('123456');
    await disk.close();
    await disk.close(); // twice is harmless
    expect(openFds()).toBe(before);
  });

  it('fsync of a cached file and of a never-opened file succeed; of a missing file is ENOENT', async () => {
    await append('cached', 'x');
    expect(await disk.exec({ op: 'fsync', file: 'cached' })).toEqual({ ok: true });
    const other = await RealDisk.open(dir); // never opened 'cached' itself
    try {
      expect(await other.exec({ op: 'fsync', file: 'cached' })).toEqual({ ok: true });
      const missing = await other.exec({ op: 'fsync', file: 'missing' });
      expect(missing).toMatchObject({ ok: false, code: 'ENOENT' });
    } finally {
      await other.close();
    }
    expect(await disk.exec({ op: 'fsync', file: 'missing' })).toMatchObject({ ok: false, code: 'ENOENT' });
    await disk.close();
    expect(await disk.exec({ op: 'fsync', file: 'cached' })).toEqual({ ok: true }); // after close: by path
    expect(existsSync(path.join(dir, 'missing'))).toBe(false); // fsync never creates
  });

  it('fsync of a deleted file is ENOENT (its kept descriptor was dropped)', async () => {
    await append('a', 'x');
    await ok({ op: 'delete', file: 'a' });
    expect(await disk.exec({ op: 'fsync', file: 'a' })).toMatchObject({ ok: false, code: 'ENOENT' });
    expect(await disk.exec({ op: 'rename', from: 'a', to: 'c' })).toMatchObject({ ok: false, code: 'ENOENT' });
  });
});
