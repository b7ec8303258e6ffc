// --memory-flush-ms: how long a `memory`-level write may wait before the Keeper writes and
// fsyncs it. The Keeper's durable offset (a metric) shows the wait from outside.
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../real/server/server';
import { redisClient, removeDir, scrape, sleep, startInProcess, tempDir } from './helpers';

describe('memory-level writes reach the disk within --memory-flush-ms', () => {
  let dir: string | null = null;
  let server: RunningServer | null = null;
  afterEach(async () => {
    await server?.close();
    if (dir !== null) removeDir(dir);
    server = null;
    dir = null;
  });

  async function offsets(): Promise<{ tail: number; durable: number }> {
    const m = await scrape(server!.metricsPort!);
    return { tail: m.get('keepsake_log_tail_offset')!, durable: m.get('keepsake_keeper_durable_offset')! };
  }

  it('waits up to the interval (1000 ms here), then writes them all in one go', async () => {
    dir = tempDir('mflush');
    server = await startInProcess(dir, { insecure: true, defaultAck: 'memory', memoryFlushMs: 1000 });
    const r = redisClient(server.port, null);
    try {
      const before = await offsets();
      for (let i = 0; i < 20; i++) expect(await r.set(`k${i}`, 'v')).toBe('OK');
      const early = await offsets();
      expect(early.tail).toBe(before.tail + 20);
      await sleep(300);
      // Acknowledged from memory, not yet on disk: the interval has not ended.
      expect((await offsets()).durable).toBeLessThan(early.tail);
      await expect.poll(async () => (await offsets()).durable, { timeout: 5000, interval: 100 }).toBeGreaterThanOrEqual(early.tail);
    } finally {
      r.disconnect();
    }
  });

  it('with 0 each step ships at once', async () => {
    dir = tempDir('mflush0');
    server = await startInProcess(dir, { insecure: true, defaultAck: 'memory', memoryFlushMs: 0 });
    const r = redisClient(server.port, null);
    try {
      expect(await r.set('k', 'v')).toBe('OK');
      const { tail } = await offsets();
      // Well inside a second: a 1000 ms interval would fail this.
      await expect.poll(async () => (await offsets()).durable, { timeout: 600, interval: 20 }).toBeGreaterThanOrEqual(tail);
    } finally {
      r.disconnect();
    }
  });
});
