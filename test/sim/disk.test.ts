import { describe, expect, it } from 'vitest';
import { SimDisk, crashKeepAll, crashLoseAll, randomCrash, type CrashChooser } from '../../sim/disk';
import { SeededRng } from '../../sim/rng';
import { describeDiskContract } from '../contracts/disk-contract';

const b = (s: string) => new Uint8Array(Buffer.from(s));
const str = (d: SimDisk, f: string) => d.peek(f)?.toString();

describeDiskContract('SimDisk', async () => ({ disk: new SimDisk(), cleanup: async () => {} }));

describe('SimDisk crash semantics', () => {
  it('a crash loses unsynced writes and keeps synced ones', () => {
    const d = new SimDisk();
    d.execute({ op: 'append', file: 'wal', data: b('synced|') });
    d.execute({ op: 'fsync', file: 'wal' });
    d.execute({ op: 'fsyncDir' });
    d.execute({ op: 'append', file: 'wal', data: b('unsynced') });
    expect(str(d, 'wal')).toBe('synced|unsynced');
    d.crash(crashLoseAll);
    expect(str(d, 'wal')).toBe('synced|');
  });

  it('keepAll keeps everything; a prefix of pending writes may survive', () => {
    const mk = () => {
      const d = new SimDisk();
      d.execute({ op: 'append', file: 'f', data: b('a') });
      d.execute({ op: 'fsync', file: 'f' });
      d.execute({ op: 'fsyncDir' });
      d.execute({ op: 'append', file: 'f', data: b('b') });
      d.execute({ op: 'append', file: 'f', data: b('c') });
      return d;
    };
    const all = mk();
    all.crash(crashKeepAll);
    expect(str(all, 'f')).toBe('abc');
    const one = mk();
    one.crash({ ...crashLoseAll, fileOpsKept: () => 1 });
    expect(str(one, 'f')).toBe('ab');
  });

  it('a torn write leaves a detectable partial record', () => {
    const d = new SimDisk();
    d.execute({ op: 'write', file: 'f', offset: 0, data: b('HEAD') });
    d.execute({ op: 'fsync', file: 'f' });
    d.execute({ op: 'fsyncDir' });
    d.execute({ op: 'append', file: 'f', data: b('0123456789') });
    const torn: CrashChooser = { ...crashLoseAll, tornBytes: () => 3 };
    d.crash(torn);
    expect(str(d, 'f')).toBe('HEAD012');
  });

  it('a file created and fsynced but whose directory was not synced can vanish', () => {
    const d = new SimDisk();
    d.execute({ op: 'write', file: 'new', offset: 0, data: b('data') });
    d.execute({ op: 'fsync', file: 'new' });
    d.crash(crashLoseAll);
    expect(d.fileNames()).toEqual([]);
  });

  it('a rename is durable only after fsyncDir', () => {
    const setup = () => {
      const d = new SimDisk();
      d.execute({ op: 'write', file: 'snap', offset: 0, data: b('old') });
      d.execute({ op: 'fsync', file: 'snap' });
      d.execute({ op: 'write', file: 'snap.tmp', offset: 0, data: b('new') });
      d.execute({ op: 'fsync', file: 'snap.tmp' });
      d.execute({ op: 'fsyncDir' });
      d.execute({ op: 'rename', from: 'snap.tmp', to: 'snap' });
      return d;
    };
    const lost = setup();
    lost.crash(crashLoseAll);
    expect(str(lost, 'snap')).toBe('old');
    expect(lost.fileNames()).toEqual(['snap', 'snap.tmp']);
    const synced = setup();
    synced.execute({ op: 'fsyncDir' });
    synced.crash(crashLoseAll);
    expect(str(synced, 'snap')).toBe('new');
    expect(synced.fileNames()).toEqual(['snap']);
  });

  it('random crashes only ever produce a prefix of the pending writes (never reorder)', () => {
    for (let seed = 0; seed < 200; seed++) {
      const d = new SimDisk();
      d.execute({ op: 'append', file: 'f', data: b('S') });
      d.execute({ op: 'fsync', file: 'f' });
      d.execute({ op: 'fsyncDir' });
      for (const c of 'abcdefgh') d.execute({ op: 'append', file: 'f', data: b(c) });
      d.crash(randomCrash(new SeededRng(String(seed))));
      const s = str(d, 'f')!;
      // What survives: the synced byte, a prefix of the appends, then maybe zero-filled? No: torn
      // bytes are a prefix of the lost write itself.
      expect('Sabcdefgh'.startsWith(s)).toBe(true);
    }
  });

  it('bit rot flips a stored bit, durable across a crash', () => {
    const d = new SimDisk();
    d.execute({ op: 'write', file: 'f', offset: 0, data: b('A') });
    d.execute({ op: 'fsync', file: 'f' });
    d.execute({ op: 'fsyncDir' });
    expect(d.flipBit('f', 0, 0)).toBe(true);
    d.crash(crashLoseAll);
    expect(str(d, 'f')).toBe('@'); // 'A' (0x41) with bit 0 flipped
    expect(d.stats.rotFlips).toBe(1);
  });

  it('a full disk answers ENOSPC and writes nothing; space returning resumes service', () => {
    const d = new SimDisk();
    d.capacityBytes = 8;
    expect(d.execute({ op: 'append', file: 'f', data: b('12345678') }).ok).toBe(true);
    const r = d.execute({ op: 'append', file: 'f', data: b('9') });
    expect(r.ok ? 'ok' : r.code).toBe('ENOSPC');
    expect(str(d, 'f')).toBe('12345678');
    d.capacityBytes = Infinity;
    expect(d.execute({ op: 'append', file: 'f', data: b('9') }).ok).toBe(true);
  });

  it('injected EIO fails the next operations, then clears', () => {
    const d = new SimDisk();
    d.failNext = 1;
    const r = d.execute({ op: 'append', file: 'f', data: b('x') });
    expect(r.ok ? 'ok' : r.code).toBe('EIO');
    expect(d.execute({ op: 'append', file: 'f', data: b('x') }).ok).toBe(true);
  });
});
