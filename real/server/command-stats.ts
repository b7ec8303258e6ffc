// Per-command counters and latency buckets, kept in plain numbers on the hot path and read
// at scrape time. Every reply costs a few additions here (no label hashing, no BigInt), and
// both readers take their view from the same numbers: INFO commandstats (resettable with
// CONFIG RESETSTAT, as in Redis) and Prometheus (monotonic counters and a histogram,
// rendered by prom-client's registry from `promValues`).

/** Latency bucket upper bounds (seconds) of keepsake_command_duration_seconds. */
export const commandLatencyBoundsSeconds: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** One command name's numbers. Only names from a fixed set get one (clients cannot grow the map). */
export class CommandStat {
  /** INFO commandstats (zeroed by CONFIG RESETSTAT). */
  calls = 0;
  failed = 0;
  usec = 0;
  /** Prometheus (never reset). */
  okTotal = 0;
  errorTotal = 0;
  secondsSum = 0;
  /** Count per bucket (not cumulative); the last slot is +Inf. */
  readonly buckets = new Float64Array(commandLatencyBoundsSeconds.length + 1);

  constructor(readonly name: string) {}

  observe(seconds: number, failed: boolean): void {
    const us = seconds * 1e6;
    this.calls += 1;
    this.usec += us;
    this.secondsSum += seconds;
    if (failed) {
      this.failed += 1;
      this.errorTotal += 1;
    } else {
      this.okTotal += 1;
    }
    let i = 0;
    while (i < commandLatencyBoundsSeconds.length && seconds > commandLatencyBoundsSeconds[i]!) i++;
    this.buckets[i]! += 1;
  }
}

export class CommandStats {
  private readonly byName = new Map<string, CommandStat>();

  /** The stat of `label`; the caller maps names outside its fixed set to one label ('unknown'). */
  of(label: string): CommandStat {
    let s = this.byName.get(label);
    if (s === undefined) {
      s = new CommandStat(label);
      this.byName.set(label, s);
    }
    return s;
  }

  /** Every command seen since boot, by name. */
  all(): readonly CommandStat[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** CONFIG RESETSTAT: INFO's numbers start again; Prometheus counters stay monotonic. */
  resetInfo(): void {
    for (const s of this.byName.values()) {
      s.calls = 0;
      s.failed = 0;
      s.usec = 0;
    }
  }
}

/** A value line in prom-client's registry format (what its own metrics' `get()` return). */
export interface PromValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/** keepsake_commands_total values: one per command and status that has happened. */
export function commandCounterValues(stats: CommandStats): PromValue[] {
  const out: PromValue[] = [];
  for (const s of stats.all()) {
    if (s.okTotal > 0) out.push({ labels: { cmd: s.name, status: 'ok' }, value: s.okTotal });
    if (s.errorTotal > 0) out.push({ labels: { cmd: s.name, status: 'error' }, value: s.errorTotal });
  }
  return out;
}

/** Histogram values (cumulative buckets, +Inf, sum, count) in the order prom-client renders them. */
export function commandHistogramValues(name: string, stats: CommandStats): PromValue[] {
  const out: PromValue[] = [];
  for (const s of stats.all()) {
    const count = s.okTotal + s.errorTotal;
    if (count === 0) continue;
    let acc = 0;
    commandLatencyBoundsSeconds.forEach((le, i) => {
      acc += s.buckets[i]!;
      out.push({ labels: { le, cmd: s.name }, value: acc, metricName: `${name}_bucket` });
    });
    out.push({ labels: { le: '+Inf', cmd: s.name }, value: count, metricName: `${name}_bucket` });
    out.push({ labels: { cmd: s.name }, value: s.secondsSum, metricName: `${name}_sum` });
    out.push({ labels: { cmd: s.name }, value: count, metricName: `${name}_count` });
  }
  return out;
}
