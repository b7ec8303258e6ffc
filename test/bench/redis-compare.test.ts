import { describe, expect, it } from 'vitest';
import { cpuTicks, parseCsvRps } from '../../bench/redis-compare';

const header = '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"';

describe('bench/redis-compare: redis-benchmark --csv parsing', () => {
  it('reads the rps of the asked test', () => {
    const csv = `${header}\n"SET","52219.32","0.632","0.176","0.599","0.887","2.431","4.487"\n"GET","61000.50","0.5","0.1","0.4","0.8","2.0","4.0"\n`;
    expect(parseCsvRps(csv, 'set')).toBe(52219.32);
    expect(parseCsvRps(csv, 'get')).toBe(61000.5);
  });

  it('reads "inf" (a run shorter than the timer resolution) as Infinity, not as a missing result', () => {
    const csv = `${header}\n"GET","inf","0.302","0.176","0.295","0.415","0.423","0.423"\n`;
    expect(parseCsvRps(csv, 'get')).toBe(Infinity);
  });

  it('finds the rps column by its header, not its position', () => {
    const csv = '"test","avg_latency_ms","rps"\n"GET","0.5","1234.5"\n';
    expect(parseCsvRps(csv, 'get')).toBe(1234.5);
  });

  it('gives null when redis-benchmark stopped on a server error (header only)', () => {
    const csv = `Error from server: NOAUTH Authentication required.\n${header}\n`;
    expect(parseCsvRps(csv, 'set')).toBeNull();
  });

  it('gives null for a missing test, a zero rate or no CSV at all', () => {
    expect(parseCsvRps(`${header}\n"SET","100","1","1","1","1","1","1"\n`, 'get')).toBeNull();
    expect(parseCsvRps(`${header}\n"SET","0.00","1","1","1","1","1","1"\n`, 'set')).toBeNull();
    expect(parseCsvRps('Could not connect to Redis at 127.0.0.1:1: Connection refused\n', 'set')).toBeNull();
  });
});

describe('bench/redis-compare: server CPU from /proc', () => {
  it('counts this process CPU time in clock ticks, and it grows with work', () => {
    const before = cpuTicks(process.pid);
    expect(Number.isInteger(before)).toBe(true);
    const startMs = Date.now();
    let x = 0;
    while (Date.now() - startMs < 150) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(cpuTicks(process.pid)).toBeGreaterThan(before);
  });
});
