// What Redis clients and operators read about a server's own work: per-command statistics
// (INFO commandstats), error statistics (INFO errorstats, total_error_replies), the slow log
// (SLOWLOG GET/LEN/RESET, CONFIG slowlog-log-slower-than / slowlog-max-len) and MONITOR.

import { array, bulkStr, err, int, OK, simple, type Reply } from '../../net/reply';
import { CommandStats, type CommandStat } from './command-stats';
import type { Connection } from './connection';

/** Redis's slowlog limits: arguments kept per entry and characters kept per argument. */
export const slowlogArgsMax = 32;
export const slowlogArgCharsMax = 128;
/** Distinct error words tracked in errorstats (Redis caps it at 128 too). */
export const errorKindsMax = 128;
/** Connections allowed to MONITOR at once. */
export const monitorsMax = 64;

interface SlowEntry {
  readonly id: number;
  readonly atSec: number;
  readonly durationUs: number;
  readonly argv: readonly string[];
  readonly addr: string;
  readonly name: string;
}

export class Introspection {
  /** Microseconds; negative disables the slow log, 0 logs every command (Redis's semantics). */
  slowerThanUs = 10_000;
  slowlogMax = 128;
  totalErrors = 0;
  readonly monitors = new Set<Connection>();
  private slowlog: SlowEntry[] = [];
  private slowSeq = 0;
  /** Per-command numbers (INFO commandstats and the Prometheus command metrics read them). */
  readonly stats = new CommandStats();
  private readonly errStats = new Map<string, number>();

  /** A command was answered `seconds` after it was parsed. */
  record(stat: CommandStat, seconds: number, reply: Reply, argv: readonly Buffer[], conn: Connection): void {
    const failed = reply.t === 'error';
    stat.observe(seconds, failed);
    if (failed) {
      this.totalErrors += 1;
      const word = reply.s.split(' ', 1)[0] ?? 'ERR';
      if (this.errStats.has(word) || this.errStats.size < errorKindsMax) this.errStats.set(word, (this.errStats.get(word) ?? 0) + 1);
    }
    const us = Math.round(seconds * 1e6);
    if (this.slowerThanUs >= 0 && us >= this.slowerThanUs && stat.name !== 'slowlog') this.addSlow(us, argv, conn);
  }

  private addSlow(durationUs: number, argv: readonly Buffer[], conn: Connection): void {
    const shown = argv.slice(0, argv.length > slowlogArgsMax ? slowlogArgsMax - 1 : slowlogArgsMax).map((a) => {
      const t = a.toString('latin1');
      return t.length > slowlogArgCharsMax ? `${t.slice(0, slowlogArgCharsMax)}... (${t.length - slowlogArgCharsMax} more bytes)` : t;
    });
    if (argv.length > slowlogArgsMax) shown.push(`... (${argv.length - slowlogArgsMax + 1} more arguments)`);
    const redacted = isSecret(argv) ? [shown[0]!, '(redacted)'] : shown;
    this.slowlog.unshift({ id: this.slowSeq++, atSec: Math.floor(Date.now() / 1000), durationUs, argv: redacted, addr: conn.addr, name: conn.session.name });
    this.trimSlowlog();
  }

  trimSlowlog(): void {
    if (this.slowlog.length > this.slowlogMax) this.slowlog.length = this.slowlogMax;
  }

  slowlogCommand(args: readonly string[]): Reply {
    const sub = (args[0] ?? '').toLowerCase();
    switch (sub) {
      case 'get': {
        const n = args[1] === undefined ? 10 : Number(args[1]);
        if (!Number.isInteger(n) || (n < 0 && n !== -1)) return err('ERR count should be greater than or equal to -1');
        const entries = n === -1 ? this.slowlog : this.slowlog.slice(0, n);
        return array(entries.map((e) => array([int(e.id), int(e.atSec), int(e.durationUs), array(e.argv.map(bulkStr)), bulkStr(e.addr), bulkStr(e.name)])));
      }
      case 'len':
        return int(this.slowlog.length);
      case 'reset':
        this.slowlog = [];
        return OK;
      case 'help':
        return array(['SLOWLOG <subcommand> [<arg> ...]', 'GET [<count>]', 'LEN', 'RESET'].map((s) => simple(s)));
      default:
        return err(`ERR unknown subcommand '${args[0] ?? ''}'. Try SLOWLOG HELP.`);
    }
  }

  /** Send a command to every MONITOR connection, in Redis's line format (AUTH arguments redacted). */
  monitorFeed(from: Connection, argv: readonly Buffer[]): void {
    if (this.monitors.size === 0 || from.session.monitor) return;
    const now = Date.now() / 1000;
    const args = isSecret(argv) ? [argv[0]!.toString('latin1'), '(redacted)'] : argv.map((a) => a.toString('latin1'));
    const line = `${now.toFixed(6)} [${from.session.db} ${from.addr}] ${args.map(quote).join(' ')}`;
    for (const m of this.monitors) m.pushOutOfBand(simple(line));
  }

  commandStats(): readonly { name: string; calls: number; usec: number; failed: number }[] {
    return this.stats
      .all()
      .filter((s) => s.calls > 0)
      .map((s) => ({ name: s.name, calls: s.calls, usec: Math.round(s.usec), failed: s.failed }));
  }

  errorStats(): readonly { word: string; count: number }[] {
    return [...this.errStats].sort(([a], [b]) => (a < b ? -1 : 1)).map(([word, count]) => ({ word, count }));
  }

  resetStats(): void {
    this.stats.resetInfo();
    this.errStats.clear();
    this.totalErrors = 0;
  }
}

function isSecret(argv: readonly Buffer[]): boolean {
  const name = argv[0]?.toString('latin1').toLowerCase();
  return name === 'auth' || name === 'hello' || (name === 'acl' && argv[1]?.toString('latin1').toLowerCase() === 'setuser');
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;
}
