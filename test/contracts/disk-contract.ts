// One contract for every Disk implementation (automerge-repo's adapter test suites are the
// model): the simulated disk runs it in test/sim/disk.test.ts, the real disk in the real/ tests.
// It covers the API's semantics; crash behaviour is simulator-only (test/sim/disk.test.ts).

import { describe, expect, it } from 'vitest';
import type { Disk, DiskResult } from '../../net/disk';

export interface DiskUnderTest {
  disk: Disk;
  cleanup(): Promise<void>;
}

const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const text = (r: DiskResult) => (r.ok && r.data ? Buffer.from(r.data).toString() : `<${r.ok ? 'no data' : r.code}>`);

export function describeDiskContract(name: string, make: () => Promise<DiskUnderTest>): void {
  describe(`disk contract: ${name}`, () => {
    async function withDisk(fn: (d: Disk) => Promise<void>): Promise<void> {
      const t = await make();
      try {
        await fn(t.disk);
      } finally {
        await t.cleanup();
      }
    }

    it('write creates, read returns, append extends at the end', () =>
      withDisk(async (d) => {
        expect((await d.exec({ op: 'write', file: 'a', offset: 0, data: bytes('hello') })).ok).toBe(true);
        const ap = await d.exec({ op: 'append', file: 'a', data: bytes(' world') });
        expect(ap.ok && ap.offset).toBe(5);
        expect(text(await d.exec({ op: 'read', file: 'a' }))).toBe('hello world');
        expect(text(await d.exec({ op: 'read', file: 'a', offset: 6, length: 3 }))).toBe('wor');
        expect(text(await d.exec({ op: 'read', file: 'a', offset: 9, length: 100 }))).toBe('ld');
        const sz = await d.exec({ op: 'size', file: 'a' });
        expect(sz.ok && sz.size).toBe(11);
      }));

    it('write past the end zero-fills the gap; overwrite in place', () =>
      withDisk(async (d) => {
        await d.exec({ op: 'write', file: 'g', offset: 3, data: bytes('x') });
        const r = await d.exec({ op: 'read', file: 'g' });
        expect(r.ok && Array.from(r.data!)).toEqual([0, 0, 0, 120]);
        await d.exec({ op: 'write', file: 'g', offset: 0, data: bytes('ab') });
        expect(text(await d.exec({ op: 'read', file: 'g', offset: 0, length: 2 }))).toBe('ab');
      }));

    it('missing files answer ENOENT, never throw', () =>
      withDisk(async (d) => {
        for (const op of [
          { op: 'read', file: 'nope' },
          { op: 'size', file: 'nope' },
          { op: 'fsync', file: 'nope' },
          { op: 'delete', file: 'nope' },
          { op: 'truncate', file: 'nope', length: 0 },
          { op: 'rename', from: 'nope', to: 'x' },
        ] as const) {
          const r = await d.exec(op);
          expect(r.ok ? 'ok' : r.code).toBe('ENOENT');
        }
      }));

    it('bad names answer EINVAL', () =>
      withDisk(async (d) => {
        for (const file of ['', '..', 'a/b', 'x\0y']) {
          const r = await d.exec({ op: 'write', file, offset: 0, data: bytes('x') });
          expect(r.ok ? 'ok' : r.code).toBe('EINVAL');
        }
      }));

    it('rename replaces the target atomically; list is sorted', () =>
      withDisk(async (d) => {
        await d.exec({ op: 'write', file: 'snap.tmp', offset: 0, data: bytes('new') });
        await d.exec({ op: 'write', file: 'snap', offset: 0, data: bytes('old') });
        await d.exec({ op: 'fsync', file: 'snap.tmp' });
        expect((await d.exec({ op: 'rename', from: 'snap.tmp', to: 'snap' })).ok).toBe(true);
        expect((await d.exec({ op: 'fsyncDir' })).ok).toBe(true);
        expect(text(await d.exec({ op: 'read', file: 'snap' }))).toBe('new');
        await d.exec({ op: 'write', file: 'b', offset: 0, data: bytes('1') });
        await d.exec({ op: 'write', file: 'a', offset: 0, data: bytes('1') });
        const l = await d.exec({ op: 'list' });
        expect(l.ok && l.names).toEqual(['a', 'b', 'snap']);
      }));

    it('truncate shortens and extends with zeros; delete removes', () =>
      withDisk(async (d) => {
        await d.exec({ op: 'write', file: 't', offset: 0, data: bytes('abcdef') });
        await d.exec({ op: 'truncate', file: 't', length: 2 });
        expect(text(await d.exec({ op: 'read', file: 't' }))).toBe('ab');
        await d.exec({ op: 'truncate', file: 't', length: 4 });
        const r = await d.exec({ op: 'read', file: 't' });
        expect(r.ok && Array.from(r.data!)).toEqual([97, 98, 0, 0]);
        expect((await d.exec({ op: 'delete', file: 't' })).ok).toBe(true);
        const l = await d.exec({ op: 'list' });
        expect(l.ok && l.names).toEqual([]);
      }));

    it('fsync and fsyncDir succeed on present files', () =>
      withDisk(async (d) => {
        await d.exec({ op: 'append', file: 'wal', data: bytes('x') });
        expect((await d.exec({ op: 'fsync', file: 'wal' })).ok).toBe(true);
        expect((await d.exec({ op: 'fsyncDir' })).ok).toBe(true);
      }));
  });
}
