// Command counters and latency buckets kept in plain numbers (real/server/command-stats.ts),
// read by INFO commandstats and, through prom-client's registry, by Prometheus.

import { describe, expect, it } from 'vitest';
import {
  CommandStat,
  CommandStats,
  commandCounterValues,
  commandHistogramValues,
  commandLatencyBoundsSeconds,
  type PromValue,
} from '../../real/server/command-stats';
import { NodeMetrics, type MetricsSource } from '../../real/server/metrics';

const bounds = commandLatencyBoundsSeconds;
const histName = 'keepsake_command_duration_seconds';

/** The (non-cumulative) bucket slot a value must land in: the first bound >= it, else +Inf. */
function slotOf(seconds: number): number {
  const i = bounds.findIndex((le) => seconds <= le);
  return i === -1 ? bounds.length : i;
}

function only(slot: number): number[] {
  return Array.from({ length: bounds.length + 1 }, (_, i) => (i === slot ? 1 : 0));
}

const stubSource: MetricsSource = {
  usedMemoryBytes: () => 1,
  keys: () => 2,
  evictedKeys: () => 0,
  expiredKeys: () => 0,
  keeperDurableOffset: () => 3,
  walBytes: () => 4,
  snapshots: () => 0,
  snapshotAgeSeconds: () => -1,
  logTail: () => 3,
  keeperCorruption: () => ({ tornTails: 0, corruptRecords: 0, corruptSnapshots: 0 }),
};

describe('CommandStat buckets', () => {
  it('bounds are strictly increasing (the search below relies on it)', () => {
    for (let i = 1; i < bounds.length; i++) expect(bounds[i]!).toBeGreaterThan(bounds[i - 1]!);
  });

  it('a value equal to a bound counts in that bucket (Prometheus le); just above goes to the next', () => {
    bounds.forEach((le, i) => {
      const at = new CommandStat('get');
      at.observe(le, false);
      expect([...at.buckets], `exactly ${le}`).toEqual(only(i));
      const above = new CommandStat('get');
      above.observe(le * (1 + 1e-9), false);
      expect([...above.buckets], `just above ${le}`).toEqual(only(i + 1));
      const below = new CommandStat('get');
      below.observe(le * (1 - 1e-9), false);
      expect([...below.buckets], `just below ${le}`).toEqual(only(i === 0 ? 0 : i));
    });
  });

  it('zero goes to the first bucket, anything above the last bound to +Inf', () => {
    const s = new CommandStat('set');
    s.observe(0, false);
    s.observe(bounds.at(-1)! + 0.5, false);
    s.observe(3600, true);
    expect(s.buckets[0]).toBe(1);
    expect(s.buckets[bounds.length]).toBe(2);
    expect(s.buckets.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('observe counts calls, failures, microseconds and the Prometheus totals', () => {
    const s = new CommandStat('get');
    s.observe(0.0002, false);
    s.observe(0.003, true);
    s.observe(0.0001, false);
    expect({ calls: s.calls, failed: s.failed, okTotal: s.okTotal, errorTotal: s.errorTotal }).toEqual({ calls: 3, failed: 1, okTotal: 2, errorTotal: 1 });
    expect(s.usec).toBeCloseTo(3300, 6);
    expect(s.secondsSum).toBeCloseTo(0.0033, 12);
    expect([...s.buckets]).toEqual(only(slotOf(0.0002)).map((v, i) => v + only(slotOf(0.003))[i]! + only(slotOf(0.0001))[i]!));
  });
});

describe('CommandStats', () => {
  it('of() returns one stat per label; all() lists them by name', () => {
    const stats = new CommandStats();
    const a = stats.of('set');
    expect(stats.of('set')).toBe(a);
    stats.of('get');
    stats.of('del');
    expect(stats.all().map((s) => s.name)).toEqual(['del', 'get', 'set']);
  });

  it('resetInfo() zeroes calls, failed and usec, but not the Prometheus totals, sum or buckets', () => {
    const stats = new CommandStats();
    stats.of('get').observe(0.0004, false);
    stats.of('get').observe(0.02, true);
    stats.of('set').observe(0.5, false);
    const before = commandHistogramValues(histName, stats);
    const counters = commandCounterValues(stats);
    stats.resetInfo();
    for (const s of stats.all()) expect({ calls: s.calls, failed: s.failed, usec: s.usec }).toEqual({ calls: 0, failed: 0, usec: 0 });
    expect(stats.of('get').okTotal).toBe(1);
    expect(stats.of('get').errorTotal).toBe(1);
    expect(stats.of('set').okTotal).toBe(1);
    expect(commandCounterValues(stats)).toEqual(counters);
    expect(commandHistogramValues(histName, stats)).toEqual(before);
    // Counting goes on from zero for INFO, on top for Prometheus.
    stats.of('get').observe(0.001, false);
    expect(stats.of('get').calls).toBe(1);
    expect(stats.of('get').usec).toBeCloseTo(1000, 6);
    expect(stats.of('get').okTotal).toBe(2);
  });
});

describe('commandCounterValues', () => {
  it('lists only the statuses that happened, per command, in name order', () => {
    const stats = new CommandStats();
    expect(commandCounterValues(stats)).toEqual([]);
    for (let i = 0; i < 3; i++) stats.of('set').observe(0.0001, false);
    stats.of('get').observe(0.0001, true);
    stats.of('get').observe(0.0001, true);
    stats.of('incr').observe(0.0001, false);
    stats.of('incr').observe(0.0001, true);
    stats.of('unused'); // looked up, never observed: no line
    expect(commandCounterValues(stats)).toEqual([
      { labels: { cmd: 'get', status: 'error' }, value: 2 },
      { labels: { cmd: 'incr', status: 'ok' }, value: 1 },
      { labels: { cmd: 'incr', status: 'error' }, value: 1 },
      { labels: { cmd: 'set', status: 'ok' }, value: 3 },
    ]);
  });
});

describe('commandHistogramValues', () => {
  const observations = [0, 0.00005, 0.00007, 0.0001, 0.001, 0.001, 0.0042, 0.3, 1, 2.5];

  function build(): CommandStats {
    const stats = new CommandStats();
    observations.forEach((s, i) => stats.of('get').observe(s, i % 4 === 0));
    stats.of('ping').observe(0.00001, false);
    stats.of('never'); // no observations: no lines at all
    return stats;
  }

  function linesOf(values: PromValue[], cmd: string): PromValue[] {
    return values.filter((v) => v.labels['cmd'] === cmd);
  }

  it('buckets are cumulative, end with +Inf = count, then _sum and _count', () => {
    const values = commandHistogramValues(histName, build());
    expect(linesOf(values, 'never')).toEqual([]);
    const get = linesOf(values, 'get');
    expect(get).toHaveLength(bounds.length + 3);
    // Cumulative counts computed directly from the observations.
    bounds.forEach((le, i) => {
      expect(get[i]).toEqual({ labels: { le, cmd: 'get' }, value: observations.filter((s) => s <= le).length, metricName: `${histName}_bucket` });
    });
    expect(get[bounds.length]).toEqual({ labels: { le: '+Inf', cmd: 'get' }, value: observations.length, metricName: `${histName}_bucket` });
    const sum = get[bounds.length + 1]!;
    expect(sum.metricName).toBe(`${histName}_sum`);
    expect(sum.labels).toEqual({ cmd: 'get' });
    expect(sum.value).toBeCloseTo(observations.reduce((a, b) => a + b, 0), 12);
    expect(get[bounds.length + 2]).toEqual({ labels: { cmd: 'get' }, value: observations.length, metricName: `${histName}_count` });
    for (let i = 1; i <= bounds.length; i++) expect(get[i]!.value).toBeGreaterThanOrEqual(get[i - 1]!.value);
    // The exact-bound observations (0.00005, 0.0001, 0.001 twice, 1) are inside their bucket.
    expect(get[bounds.indexOf(0.00005)]!.value).toBe(2);
    expect(get[bounds.indexOf(0.0001)]!.value).toBe(4);
    expect(get[bounds.indexOf(0.001)]!.value).toBe(6);
    expect(get[bounds.indexOf(1)]!.value).toBe(9);
    // Commands come in name order: get before ping.
    expect(values.findIndex((v) => v.labels['cmd'] === 'ping')).toBe(bounds.length + 3);
    expect(linesOf(values, 'ping').at(-1)).toMatchObject({ value: 1, metricName: `${histName}_count` });
  });

  it('failed commands are in the histogram too (count = ok + error)', () => {
    const stats = new CommandStats();
    stats.of('set').observe(0.002, true);
    stats.of('set').observe(0.002, false);
    const v = commandHistogramValues(histName, stats);
    expect(v.find((x) => x.metricName === `${histName}_count`)!.value).toBe(2);
    expect(v.find((x) => x.labels['le'] === '+Inf')!.value).toBe(2);
  });
});

describe('through prom-client (NodeMetrics registry)', () => {
  it('renders keepsake_commands_total and the duration histogram with the labels in prom-client order', async () => {
    const stats = new CommandStats();
    const metrics = new NodeMetrics(stubSource, stats);
    const empty = await metrics.registry.metrics();
    expect(empty).toContain('# TYPE keepsake_commands_total counter');
    expect(empty).toContain(`# TYPE ${histName} histogram`);
    expect(empty).not.toContain('keepsake_commands_total{');

    const getOk = 7;
    for (let i = 0; i < getOk; i++) stats.of('get').observe(0.0001 * (i + 1), false);
    stats.of('get').observe(0.05, true);
    stats.of('set').observe(0.00025, false);
    stats.resetInfo(); // INFO's reset does not touch what Prometheus sees
    const text = await metrics.registry.metrics();
    const lines = text.split('\n');

    expect(lines).toContain(`keepsake_commands_total{cmd="get",status="ok"} ${getOk}`);
    expect(lines).toContain('keepsake_commands_total{cmd="get",status="error"} 1');
    expect(lines).toContain('keepsake_commands_total{cmd="set",status="ok"} 1');
    expect(lines.some((l) => l.startsWith('keepsake_commands_total{cmd="set",status="error"}'))).toBe(false);

    expect(lines).toContain(`${histName}_bucket{le="+Inf",cmd="get"} ${getOk + 1}`);
    expect(lines).toContain(`${histName}_bucket{le="0.00025",cmd="get"} 2`); // 0.0001 and 0.0002
    expect(lines).toContain(`${histName}_bucket{le="0.00025",cmd="set"} 1`); // exactly on the bound
    expect(lines).toContain(`${histName}_bucket{le="0.00005",cmd="set"} 0`);
    expect(lines).toContain(`${histName}_bucket{le="1",cmd="get"} ${getOk + 1}`);
    expect(lines).toContain(`${histName}_count{cmd="get"} ${getOk + 1}`);
    const sumLine = lines.find((l) => l.startsWith(`${histName}_sum{cmd="get"} `));
    expect(sumLine).toBeDefined();
    const expectedSum = Array.from({ length: getOk }, (_, i) => 0.0001 * (i + 1)).reduce((a, b) => a + b, 0) + 0.05;
    expect(Number(sumLine!.split(' ')[1])).toBeCloseTo(expectedSum, 12);

    // Every bucket line of one command, in bound order, cumulative, the last one +Inf.
    const getBuckets = lines.filter((l) => l.startsWith(`${histName}_bucket{`) && l.includes('cmd="get"'));
    expect(getBuckets.map((l) => /le="([^"]+)"/.exec(l)![1])).toEqual([...bounds.map(String), '+Inf']);
    const counts = getBuckets.map((l) => Number(l.split(' ')[1]));
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);

    // The other metrics still render from the stub source.
    expect(lines).toContain('keepsake_keys 2');
    expect(lines).toContain('keepsake_keeper_durable_offset 3');
  });

  it('a scrape reads the numbers at scrape time (later observations show up in the next scrape)', async () => {
    const stats = new CommandStats();
    const metrics = new NodeMetrics(stubSource, stats);
    stats.of('get').observe(0.001, false);
    expect((await metrics.registry.metrics()).split('\n')).toContain('keepsake_commands_total{cmd="get",status="ok"} 1');
    stats.of('get').observe(0.001, false);
    const again = (await metrics.registry.metrics()).split('\n');
    expect(again).toContain('keepsake_commands_total{cmd="get",status="ok"} 2');
    expect(again).toContain(`${histName}_bucket{le="+Inf",cmd="get"} 2`);
  });
});
