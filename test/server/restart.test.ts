// Restarts of the solo server run as a child process (issue 6, items 4 and 8): a torn WAL
// tail left by kill -9 is truncated, not applied; SIGTERM and SIGINT stop it gracefully.
// Every restart reads all keys back and the simulator's durability checker judges them.

import { appendFileSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../core/wal/record';
import { parseSegmentName } from '../../core/wal/segment';
import { shutdownDrainMsMax } from '../../real/server/server';
import { killChild, scrape, sleep, tempDir } from './helpers';
import { checkRecovered, ChildServers, killRound, readBack, Workload } from './workload';

const servers = new ChildServers();

afterAll(() => servers.cleanup());

describe('snapshots of the Core\'s store', () => {
  it('kill -9 after the Keeper wrote several: the restart recovers every acknowledged write from the newest and the log after it', async () => {
    const dir = servers.dir(tempDir('snapshots'));
    let snapshots: string[] = [];
    const { again, report } = await killRound(
      servers,
      dir,
      600,
      (c) => (c % 2 === 0 ? 'quorum' : 'memory'),
      () => {
        snapshots = readdirSync(path.join(dir, 'wal')).filter((n) => n.endsWith('.snap'));
      },
      '',
      ['--snapshot-every', '40'],
    );
    try {
      expect(snapshots.length).toBeGreaterThan(0); // written before the kill (older ones deleted)
      expect(report.details).toEqual([]);
      const samples = await scrape(again.metricsPort);
      expect(samples.get('keepsake_keeper_durable_offset')).toBeGreaterThan(40);
    } finally {
      await killChild(again);
    }
  });
});

describe('a torn WAL tail after kill -9', () => {
  it('is truncated, not applied, and the server serves every acknowledged write', async () => {
    const dir = servers.dir(tempDir('torn'));
    let segPath = '';
    let goodBytes = 0;
    const { again, report } = await killRound(servers, dir, 300, () => 'quorum', () => {
      const walDir = path.join(dir, 'wal');
      const segs = readdirSync(walDir).filter((n) => parseSegmentName(n) !== null).sort();
      expect(segs.length).toBeGreaterThan(0);
      segPath = path.join(walDir, segs.at(-1)!);
      goodBytes = statSync(segPath).size;
      // A record cut short by the crash: a valid header whose payload never fully arrived.
      const torn = encodeRecord({ offset: 1_000_000_000, term: 1, payload: Buffer.alloc(200, 0x41) });
      if (!torn.ok) throw new Error('could not encode the torn record');
      appendFileSync(segPath, torn.bytes.subarray(0, 100));
    });
    try {
      expect(report.details).toEqual([]);
      expect(statSync(segPath).size).toBe(goodBytes); // the torn bytes were cut off
      // Reported in a metric and a log line.
      const samples = await scrape(again.metricsPort);
      expect(samples.get('keepsake_keeper_corruption_detected{kind="torn_tail"}')).toBeGreaterThanOrEqual(1);
      expect(again.output()).toMatch(/keeper found damage on disk/);
    } finally {
      await killChild(again);
    }
  });

  it('garbage appended to the last segment is truncated too', async () => {
    const dir = servers.dir(tempDir('garbage'));
    let segPath = '';
    let goodBytes = 0;
    const { again, report } = await killRound(servers, dir, 300, () => 'quorum', () => {
      const walDir = path.join(dir, 'wal');
      const segs = readdirSync(walDir).filter((n) => parseSegmentName(n) !== null).sort();
      segPath = path.join(walDir, segs.at(-1)!);
      goodBytes = statSync(segPath).size;
      appendFileSync(segPath, Buffer.from('\x07garbage after the crash\xff\xfe'.repeat(5), 'latin1'));
    });
    try {
      expect(report.details).toEqual([]);
      expect(statSync(segPath).size).toBe(goodBytes);
    } finally {
      await killChild(again);
    }
  });
});

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s mid-load: stops accepting, exits 0, every acknowledged write survives', async (signal) => {
    const dir = servers.dir(tempDir(signal.toLowerCase()));
    const s = await servers.start(dir);
    const w = new Workload({ port: s.port, caPath: null, clients: 8, levelOf: () => 'quorum', setKeys: 40, counterKeys: 4 });
    await w.start();
    await sleep(400);
    const signalledAtMs = performance.now();
    s.proc.kill(signal);
    await sleep(100);
    const refused = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port: s.port });
      sock.once('connect', () => (sock.destroy(), resolve(false)));
      sock.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    const exit = await s.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // The drain finished because the in-flight writes did, not because a deadline passed.
    expect(performance.now() - signalledAtMs).toBeLessThan(shutdownDrainMsMax / 2);
    const history = await w.stop();
    const stoppedAtMs = performance.now();
    expect(w.acked).toBeGreaterThan(20);
    const again = await servers.start(dir);
    try {
      const recovered = await readBack(again.port, null, w.keys);
      const report = checkRecovered(w, history, recovered, stoppedAtMs);
      expect(report.details).toEqual([]);
    } finally {
      await killChild(again);
    }
  });
});
