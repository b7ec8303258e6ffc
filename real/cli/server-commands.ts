// `keepsake server` and `keepsake cert issue`: flags and KEEPSAKE_* environment, validated
// with clear errors before anything starts.

import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { ackLevels, lazyPumpMsDefault, lazyPumpMsMax, type AckLevel } from '../../core/node/protocol';
import type { EvictionPolicy } from '../../core/store';
import { parseIntArg } from './sim-commands';

export const evictionPolicies: readonly EvictionPolicy[] = ['noeviction', 'allkeys-lru', 'allkeys-lfu', 'volatile-lru', 'volatile-ttl', 'allkeys-random'];

/** "100mb", "1gb", "512k", "123" (bytes) → bytes. */
export function parseBytes(v: string): number {
  const m = /^(\d+)\s*(b|k|kb|m|mb|g|gb)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`expected a size such as 100mb, 1gb or 123456 (bytes), got '${v}'`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

function choice<T extends string>(name: string, values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`${name} must be one of ${values.join(', ')}; got '${v}'`);
    return v as T;
  };
}

export function registerServerCommands(program: Command): void {
  program
    .command('server')
    .description('run a solo node: a Core with an embedded Keeper, TLS by default, RESP on --port, metrics on --metrics-port')
    .addOption(new Option('--host <addr>', 'address to listen on').env('KEEPSAKE_HOST').default('127.0.0.1'))
    .addOption(new Option('--port <n>', 'RESP port').env('KEEPSAKE_PORT').argParser(parseIntArg('--port', 0, 65535)).default(6379))
    .addOption(new Option('--dir <path>', 'data directory (WAL, snapshots, certificates)').env('KEEPSAKE_DIR').default('data'))
    .addOption(new Option('--metrics-port <n>', 'Prometheus /metrics port').env('KEEPSAKE_METRICS_PORT').argParser(parseIntArg('--metrics-port', 0, 65535)).default(9379))
    .addOption(new Option('--no-metrics', 'do not serve metrics'))
    .addOption(new Option('--insecure', 'serve PLAINTEXT (loopback experiments only)').env('KEEPSAKE_INSECURE'))
    .addOption(new Option('--mtls', 'require client certificates signed by the node CA (mutual TLS)').env('KEEPSAKE_MTLS'))
    .addOption(new Option('--maxmemory <size>', 'memory limit for the store, e.g. 100mb (0: none)').env('KEEPSAKE_MAXMEMORY').argParser(parseBytes).default(0))
    .addOption(new Option('--maxmemory-policy <policy>', 'what to do at the limit').env('KEEPSAKE_MAXMEMORY_POLICY').argParser(choice('--maxmemory-policy', evictionPolicies)).default('noeviction'))
    .addOption(new Option('--ack <level>', 'default acknowledgement level of writes').env('KEEPSAKE_ACK').argParser(choice('--ack', ackLevels)).default('quorum'))
    .addOption(new Option('--snapshot-every <records>', 'Keeper writes a snapshot after this many WAL records (or 64 MiB of them), once the log has also grown to the size of the last snapshot').env('KEEPSAKE_SNAPSHOT_EVERY').argParser(parseIntArg('--snapshot-every', 1, 1_000_000_000)).default(250_000))
    .addOption(new Option('--memory-flush-ms <ms>', 'longest a write acknowledged at the memory level waits to be written and fsynced with the others of its interval (0: at once)').env('KEEPSAKE_MEMORY_FLUSH_MS').argParser(parseIntArg('--memory-flush-ms', 0, lazyPumpMsMax)).default(lazyPumpMsDefault))
    .addOption(new Option('--log-level <level>', 'log level').env('KEEPSAKE_LOG_LEVEL').argParser(choice('--log-level', ['debug', 'info', 'warn', 'error'] as const)).default('info'))
    .addHelpText('after', '\nThe admin password comes from KEEPSAKE_ADMIN_PASSWORD on first boot, or is generated and printed once.\nConnect: redis-cli --tls --cacert <dir>/ca.crt -a <password> ping   (or: keepsake cli -u admin -p <password> ping)')
    .action(async (o: { host: string; port: number; dir: string; metricsPort: number; metrics: boolean; insecure?: boolean; mtls?: boolean; maxmemory: number; maxmemoryPolicy: EvictionPolicy; ack: AckLevel; snapshotEvery: number; memoryFlushMs: number; logLevel: string }) => {
      const { startServer } = await import('../server/server');
      const log = pino({ level: o.logLevel, base: { node: 'solo' } });
      if (o.insecure && o.mtls) {
        console.error('keepsake server: --insecure and --mtls contradict each other');
        process.exitCode = 2;
        return;
      }
      try {
        const s = await startServer({
          host: o.host,
          port: o.port,
          dir: o.dir,
          metricsPort: o.metrics ? o.metricsPort : null,
          insecure: o.insecure ?? false,
          requireClientCert: o.mtls ?? false,
          maxmemoryBytes: o.maxmemory,
          policy: o.maxmemoryPolicy,
          defaultAck: o.ack,
          adminPassword: process.env.KEEPSAKE_ADMIN_PASSWORD ?? null,
          snapshotEveryRecords: o.snapshotEvery,
          memoryFlushMs: o.memoryFlushMs,
          log,
        });
        if (s.generatedAdminPassword) process.stderr.write(`\nkeepsake: generated the admin password (shown once): ${s.generatedAdminPassword}\n\n`);
        if (s.caCertPath) process.stderr.write(`keepsake: CA certificate at ${s.caCertPath} — redis-cli --tls --cacert ${s.caCertPath} -p ${s.port} -a <password> ping\n`);
        const stop = (sig: string) => {
          log.info({ signal: sig }, 'signal received');
          void s.close().then(() => process.exit(0));
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      } catch (e) {
        log.error({ error: (e as Error).message }, 'could not start');
        console.error(`keepsake server: ${(e as Error).message}`);
        process.exit(1);
      }
    });

  const cert = program.command('cert').description('certificates of the node CA');
  cert
    .command('issue')
    .description('issue a client certificate signed by the node CA (for --mtls)')
    .requiredOption('--name <cn>', 'the certificate common name (e.g. a user or service name)')
    .addOption(new Option('--dir <path>', 'the server data directory holding the CA').env('KEEPSAKE_DIR').default('data'))
    .option('--out <dir>', 'where to write <name>.crt and <name>.key', '.')
    .action(async (o: { name: string; dir: string; out: string }) => {
      const { issueClientCertificate } = await import('../pki/index');
      try {
        const r = await issueClientCertificate(o.dir, o.name, o.out);
        console.log(`wrote ${r.certPath} and ${r.keyPath}`);
      } catch (e) {
        console.error(`keepsake cert issue: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });
}
