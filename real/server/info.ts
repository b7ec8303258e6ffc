// INFO, in Redis's format (`# Section` headers, `key:value` lines, CRLF), with the fields
// clients read: ioredis's ready check wants `loading:0`; redis-benchmark and monitoring tools
// read redis_version, connected_clients, used_memory, keyspace lines.

export interface InfoInput {
  readonly version: string;
  readonly redisCompatVersion: string;
  readonly port: number;
  readonly uptimeSeconds: number;
  readonly connectedClients: number;
  readonly blockedClients: number;
  readonly usedMemory: number;
  readonly maxmemory: number;
  readonly policy: string;
  readonly logTail: number;
  readonly durableOffset: number;
  readonly snapshots: number;
  readonly lastSnapshotAtMs: number | null;
  readonly walBytes: number;
  readonly commands: number;
  readonly connectionsReceived: number;
  readonly expiredKeys: number;
  readonly evictedKeys: number;
  readonly keyspace: readonly { readonly db: number; readonly keys: number }[];
  readonly commandStats: readonly { readonly name: string; readonly calls: number; readonly usec: number; readonly failed: number }[];
  readonly errorStats: readonly { readonly word: string; readonly count: number }[];
  readonly totalErrorReplies: number;
}

/** INFO's default sections; `all`/`everything` add commandstats and errorstats (as Redis). */
const defaultSections = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'keyspace'] as const;
const sections = [...defaultSections, 'commandstats', 'errorstats'] as const;
type Section = (typeof sections)[number];

function section(name: Section, i: InfoInput): string[] {
  switch (name) {
    case 'server':
      return [
        `redis_version:${i.redisCompatVersion}`,
        `keepsake_version:${i.version}`,
        'redis_mode:standalone',
        `os:${process.platform}`,
        `process_id:${process.pid}`,
        `tcp_port:${i.port}`,
        `uptime_in_seconds:${i.uptimeSeconds}`,
        `uptime_in_days:${Math.floor(i.uptimeSeconds / 86400)}`,
        `executable:keepsake`,
      ];
    case 'clients':
      return [`connected_clients:${i.connectedClients}`, `blocked_clients:${i.blockedClients}`, 'maxclients:10000'];
    case 'memory':
      return [
        `used_memory:${i.usedMemory}`,
        `used_memory_human:${human(i.usedMemory)}`,
        `used_memory_rss:${process.memoryUsage.rss()}`,
        `maxmemory:${i.maxmemory}`,
        `maxmemory_human:${human(i.maxmemory)}`,
        `maxmemory_policy:${i.policy}`,
        'mem_allocator:v8',
      ];
    case 'persistence':
      return [
        'loading:0',
        'async_loading:0',
        `rdb_changes_since_last_save:${Math.max(0, i.logTail - i.durableOffset)}`,
        `rdb_last_save_time:${Math.floor((i.lastSnapshotAtMs ?? 0) / 1000)}`,
        'aof_enabled:1',
        `keepsake_log_tail_offset:${i.logTail}`,
        `keepsake_keeper_durable_offset:${i.durableOffset}`,
        `keepsake_snapshots:${i.snapshots}`,
        `keepsake_wal_bytes:${i.walBytes}`,
      ];
    case 'stats':
      return [
        `total_connections_received:${i.connectionsReceived}`,
        `total_commands_processed:${i.commands}`,
        `expired_keys:${i.expiredKeys}`,
        `evicted_keys:${i.evictedKeys}`,
        `total_error_replies:${i.totalErrorReplies}`,
      ];
    case 'commandstats':
      return i.commandStats.map((c) => `cmdstat_${c.name}:calls=${c.calls},usec=${c.usec},usec_per_call=${(c.usec / Math.max(1, c.calls)).toFixed(2)},rejected_calls=0,failed_calls=${c.failed}`);
    case 'errorstats':
      return i.errorStats.map((e) => `errorstat_${e.word}:count=${e.count}`);
    case 'replication':
      return ['role:master', 'connected_slaves:0'];
    case 'keyspace':
      return i.keyspace.map((k) => `db${k.db}:keys=${k.keys},expires=0,avg_ttl=0`);
  }
}

export function infoText(which: readonly string[], i: InfoInput): string {
  const chosen = new Set<Section>();
  for (const w of which) {
    if (w === 'all' || w === 'everything') sections.forEach((x) => chosen.add(x));
    else if (w === 'default') defaultSections.forEach((x) => chosen.add(x));
    else if ((sections as readonly string[]).includes(w)) chosen.add(w as Section);
  }
  return sections
    .filter((s) => chosen.has(s))
    .map((s) => [`# ${title(s)}`, ...section(s, i)].join('\r\n') + '\r\n')
    .join('\r\n');
}

function title(s: Section): string {
  return s === 'commandstats' ? 'Commandstats' : s === 'errorstats' ? 'Errorstats' : `${s[0]!.toUpperCase()}${s.slice(1)}`;
}

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(2)}K`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(2)}M`;
  return `${(bytes / 1024 ** 3).toFixed(2)}G`;
}
