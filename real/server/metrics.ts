// Prometheus metrics of a node (prom-client). Every metric declared here is moved by real
// events: commands and their latency by the connection layer (store commands by name,
// connection-level ones too, invented names as 'unknown'), connections by accept/close and
// refusals at the connection limit,
// memory/keys/durability by a collect-time read of the machines, fsync latency by the
// driver's disk completions, TLS refusals and failed AUTHs by their handlers.
// test/server/metrics.test.ts reads the names declared here and fails if one does not move.

import http from 'node:http';
import client from 'prom-client';
import { commandCounterValues, commandHistogramValues, type CommandStats, type PromValue } from './command-stats';

export interface MetricsSource {
  usedMemoryBytes(): number;
  keys(): number;
  evictedKeys(): number;
  expiredKeys(): number;
  keeperDurableOffset(): number;
  walBytes(): number;
  snapshots(): number;
  snapshotAgeSeconds(): number;
  logTail(): number;
  /** What the Keeper detected on its disk since start: torn tails truncated, corrupt records and snapshots never applied. */
  keeperCorruption(): { readonly tornTails: number; readonly corruptRecords: number; readonly corruptSnapshots: number };
}

export class NodeMetrics {
  readonly registry = new client.Registry();
  readonly connections: client.Gauge;
  readonly connectionsTotal: client.Counter;
  readonly fsyncSeconds: client.Histogram;
  readonly tlsRefused: client.Counter;
  readonly authFailures: client.Counter;
  readonly protocolErrors: client.Counter;
  readonly connectionsRefused: client.Counter;

  constructor(source: MetricsSource, commandStats: CommandStats) {
    const r = this.registry;
    // Commands are counted in plain numbers on the hot path (command-stats.ts) and turned
    // into prom-client values when scraped.
    registerComputed(r, { name: 'keepsake_commands_total', help: 'Commands processed, by name and status (ok or error)', type: 'counter' }, () => commandCounterValues(commandStats));
    const durationName = 'keepsake_command_duration_seconds';
    registerComputed(r, { name: durationName, help: 'Command latency from the arrival of its request to its reply (includes waiting behind earlier commands of the same read and for durability)', type: 'histogram' }, () => commandHistogramValues(durationName, commandStats));
    this.connections = new client.Gauge({ name: 'keepsake_connected_clients', help: 'Client connections open now', registers: [r] });
    this.connectionsTotal = new client.Counter({ name: 'keepsake_connections_received_total', help: 'Client connections accepted', registers: [r] });
    this.fsyncSeconds = new client.Histogram({ name: 'keepsake_keeper_fsync_duration_seconds', help: 'Keeper fsync latency', buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5], registers: [r] });
    this.tlsRefused = new client.Counter({ name: 'keepsake_tls_handshakes_refused_total', help: 'TLS handshakes refused (bad or missing client certificate, protocol errors)', registers: [r] });
    this.authFailures = new client.Counter({ name: 'keepsake_auth_failures_total', help: 'Failed AUTH/HELLO AUTH attempts', registers: [r] });
    this.connectionsRefused = new client.Counter({ name: 'keepsake_connections_refused_total', help: 'Client connections closed at accept because the server was at its connection limit', registers: [r] });
    this.protocolErrors = new client.Counter({ name: 'keepsake_protocol_errors_total', help: 'Connections closed for protocol errors or limits', registers: [r] });
    const gauge = (name: string, help: string, read: () => number) =>
      new client.Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(read());
        },
      });
    gauge('keepsake_used_memory_bytes', 'Memory used by the store (its own accounting)', () => source.usedMemoryBytes());
    gauge('keepsake_keys', 'Keys in all databases', () => source.keys());
    gauge('keepsake_evicted_keys', 'Keys evicted under maxmemory since start', () => source.evictedKeys());
    gauge('keepsake_expired_keys', 'Keys deleted by expiry since start', () => source.expiredKeys());
    gauge('keepsake_keeper_durable_offset', 'Highest log offset the Keeper has fsynced', () => source.keeperDurableOffset());
    gauge('keepsake_log_tail_offset', 'Highest log offset the Core has applied', () => source.logTail());
    gauge('keepsake_wal_bytes', 'Bytes of WAL records written by the Keeper since start', () => source.walBytes());
    gauge('keepsake_snapshots', 'Snapshots the Keeper has written since start', () => source.snapshots());
    new client.Gauge({
      name: 'keepsake_keeper_corruption_detected',
      help: 'Damage the Keeper found on its disk since start, by kind (torn_tail: truncated; corrupt_record, corrupt_snapshot: never applied)',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        const c = source.keeperCorruption();
        this.set({ kind: 'torn_tail' }, c.tornTails);
        this.set({ kind: 'corrupt_record' }, c.corruptRecords);
        this.set({ kind: 'corrupt_snapshot' }, c.corruptSnapshots);
      },
    });
    gauge('keepsake_snapshot_age_seconds', 'Seconds since the Keeper last wrote a snapshot (-1: none yet)', () => source.snapshotAgeSeconds());
  }

  /** Serve /metrics on `port` (0: any free port); resolves with the bound port. */
  async serve(port: number, host: string): Promise<{ port: number; close: () => Promise<void> }> {
    const server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    return {
      port: typeof addr === 'object' && addr ? addr.port : port,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
}

/**
 * A metric whose values are computed at scrape time, registered with prom-client's registry
 * (which renders it in the exposition format like its own metrics).
 */
function registerComputed(registry: client.Registry, meta: { name: string; help: string; type: 'counter' | 'histogram' }, values: () => PromValue[]): void {
  const metric = {
    ...meta,
    aggregator: 'sum' as const,
    get: async () => ({ ...meta, aggregator: 'sum' as const, values: values() }),
    reset: () => {},
  };
  registry.registerMetric(metric as unknown as client.Metric);
}
