// Metrics (issue 6, item 7): after a workload, every `keepsake_*` metric declared in
// real/server/metrics.ts is scraped from /metrics and has moved from its value at boot.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../real/server/server';
import { metricSum, rawConnect, redisClient, removeDir, repoRoot, scrape, sleep, startInProcess, tempDir } from './helpers';

/** Small, so the test can reach it: the workload client plus three held sockets. */
const connectionsMax = 4;
let dir: string;
let srv: RunningServer;

beforeAll(async () => {
  dir = tempDir('metrics');
  srv = await startInProcess(dir, { maxmemoryBytes: 2 * 1024 * 1024, policy: 'allkeys-lru', connectionsMax: connectionsMax });
});

afterAll(async () => {
  await srv?.close();
  removeDir(dir);
});

/** Every metric name the metrics module declares (read from its source, so none is forgotten). */
function declaredMetricNames(): string[] {
  const src = readFileSync(path.join(repoRoot, 'real/server/metrics.ts'), 'utf8');
  return [...new Set([...src.matchAll(/['"](keepsake_[a-z_]+)['"]/g)].map((m) => m[1]!))].sort();
}

type Samples = Map<string, number>;
/** How each metric must have moved between the boot scrape and the after-workload scrape. */
const moved = {
  keepsake_commands_total: (b, a) => metricSum(a, 'keepsake_commands_total') > metricSum(b, 'keepsake_commands_total') && a.has('keepsake_commands_total{cmd="set",status="ok"}') && [...a.keys()].some((k) => k.startsWith('keepsake_commands_total{') && k.includes('status="error"')),
  keepsake_command_duration_seconds: (b, a) => (a.get('keepsake_command_duration_seconds_count{cmd="set"}') ?? 0) > (b.get('keepsake_command_duration_seconds_count{cmd="set"}') ?? 0),
  keepsake_connected_clients: (_b, a) => (a.get('keepsake_connected_clients') ?? 0) >= 1,
  keepsake_connections_received_total: (b, a) => a.get('keepsake_connections_received_total')! > (b.get('keepsake_connections_received_total') ?? 0),
  keepsake_keeper_fsync_duration_seconds: (b, a) => a.get('keepsake_keeper_fsync_duration_seconds_count')! > (b.get('keepsake_keeper_fsync_duration_seconds_count') ?? 0),
  keepsake_tls_handshakes_refused_total: (b, a) => a.get('keepsake_tls_handshakes_refused_total')! > (b.get('keepsake_tls_handshakes_refused_total') ?? 0),
  keepsake_auth_failures_total: (b, a) => a.get('keepsake_auth_failures_total')! > (b.get('keepsake_auth_failures_total') ?? 0),
  keepsake_connections_refused_total: (b, a) => a.get('keepsake_connections_refused_total')! > (b.get('keepsake_connections_refused_total') ?? 0),
  keepsake_protocol_errors_total: (b, a) => a.get('keepsake_protocol_errors_total')! > (b.get('keepsake_protocol_errors_total') ?? 0),
  keepsake_used_memory_bytes: (b, a) => a.get('keepsake_used_memory_bytes')! > b.get('keepsake_used_memory_bytes')!,
  keepsake_keys: (b, a) => a.get('keepsake_keys')! > b.get('keepsake_keys')!,
  keepsake_evicted_keys: (b, a) => a.get('keepsake_evicted_keys')! > b.get('keepsake_evicted_keys')!,
  keepsake_expired_keys: (b, a) => a.get('keepsake_expired_keys')! > b.get('keepsake_expired_keys')!,
  keepsake_keeper_durable_offset: (b, a) => a.get('keepsake_keeper_durable_offset')! > b.get('keepsake_keeper_durable_offset')!,
  keepsake_log_tail_offset: (b, a) => a.get('keepsake_log_tail_offset')! > b.get('keepsake_log_tail_offset')!,
  keepsake_wal_bytes: (b, a) => a.get('keepsake_wal_bytes')! > b.get('keepsake_wal_bytes')!,
  keepsake_snapshots: (b, a) => a.get('keepsake_snapshots')! > b.get('keepsake_snapshots')!,
  // Moved by damage on disk: test/server/restart.test.ts truncates a torn tail and checks it; here it is present and zero.
  keepsake_keeper_corruption_detected: (_b, a) => a.get('keepsake_keeper_corruption_detected{kind="torn_tail"}') === 0 && a.has('keepsake_keeper_corruption_detected{kind="corrupt_record"}'),
  keepsake_snapshot_age_seconds: (b, a) => b.get('keepsake_snapshot_age_seconds') === -1 && a.get('keepsake_snapshot_age_seconds')! >= 0,
} satisfies Record<string, (before: Samples, after: Samples) => boolean>;

describe('/metrics', () => {
  it('declares only metrics this test knows how to move', () => {
    expect(declaredMetricNames()).toEqual(Object.keys(moved).sort());
  });

  it('moves every declared metric under a real workload', async () => {
    const before = await scrape(srv.metricsPort!);
    const bootText = await (await fetch(`http://127.0.0.1:${srv.metricsPort}/metrics`)).text();
    for (const name of declaredMetricNames()) expect(bootText, name).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));

    const r = redisClient(srv.port, srv.caCertPath);
    try {
      // Writes past --maxmemory (2 MiB, allkeys-lru): evictions.
      const value = 'x'.repeat(1024);
      for (let batch = 0; batch < 5; batch++) {
        const p = r.pipeline();
        for (let i = 0; i < 1000; i++) p.set(`fill:${batch}:${i}`, value);
        await p.exec();
      }
      // Expiry: keys that expire and are then touched (or swept).
      for (let i = 0; i < 20; i++) await r.set(`ttl:${i}`, 'v', 'PX', 1);
      await sleep(50);
      for (let i = 0; i < 20; i++) await r.get(`ttl:${i}`);
      // An error reply; a snapshot.
      for (let i = 0; i < 5; i++) await expect(r.call(`NOSUCHCOMMAND${i}`)).rejects.toThrow(/unknown command/);
      expect(await r.call('SAVE')).toBe('OK');
      // SAVE is synchronous: the snapshot is on disk when it answers.
      expect((await scrape(srv.metricsPort!)).get('keepsake_snapshots')).toBe(1);
      expect(Number(await r.call('LASTSAVE'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5);
      // A failed AUTH, a protocol error, a refused TLS handshake (plain TCP to the TLS port).
      await expect(r.auth('admin', 'wrong')).rejects.toThrow(/WRONGPASS/);
      const bad = await rawConnect(srv.port, srv.caCertPath);
      bad.socket.write('*x\r\n');
      await bad.closed;
      await new Promise<void>((resolve) => {
        const plain = net.connect({ host: '127.0.0.1', port: srv.port }, () => plain.write('PING\r\n\r\n'));
        plain.on('error', () => {});
        plain.on('close', () => resolve());
      });

      // Past the connection limit: held sockets fill it, the next one is closed at accept.
      const held = await Promise.all(Array.from({ length: connectionsMax - 1 }, () => rawConnect(srv.port, srv.caCertPath)));
      const refused = await rawConnect(srv.port, srv.caCertPath).then(
        (c) => (c.socket.destroy(), false),
        () => true,
      );
      expect(refused).toBe(true);
      expect(await r.ping()).toBe('PONG'); // the connections already open are unaffected
      for (const h of held) h.socket.destroy();
      await Promise.all(held.map((h) => h.closed));
      await sleep(50);
      const fresh = await rawConnect(srv.port, srv.caCertPath); // room again
      fresh.socket.destroy();

      const after = await scrape(srv.metricsPort!);
      const stuck = Object.entries(moved)
        .filter(([, check]) => !check(before, after))
        .map(([name]) => `${name}: ${[...after.entries()].filter(([k]) => k.startsWith(name)).slice(0, 4).map(([k, v]) => `${k}=${v}`).join(', ')}`);
      expect(stuck).toEqual([]);
      // Connection-level commands count too; invented names share one label value.
      expect(after.get('keepsake_commands_total{cmd="auth",status="error"}')).toBe(1);
      expect(after.get('keepsake_commands_total{cmd="save",status="ok"}')).toBe(1);
      expect(after.get('keepsake_commands_total{cmd="unknown",status="error"}')).toBe(5);
      expect([...after.keys()].filter((k) => k.includes('NOSUCHCOMMAND') || k.includes('nosuchcommand'))).toEqual([]);
      // The evictions kept the store near its limit (the store's own accounting).
      expect(after.get('keepsake_used_memory_bytes')!).toBeLessThanOrEqual(2 * 1024 * 1024 * 1.1);
    } finally {
      r.disconnect();
    }
  });
});
