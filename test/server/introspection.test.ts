// SLOWLOG, MONITOR, INFO commandstats/errorstats and CONFIG GET/SET/RESETSTAT over a real socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RespClient } from '../../real/cli/client-command';
import type { RunningServer } from '../../real/server/server';
import type { Reply } from '../../net/reply';
import { adminPassword, rawConnect, removeDir, startInProcess, tempDir } from './helpers';

const text = (r: Reply): string => (r.t === 'verbatim' ? r.s : r.t === 'bulk' ? Buffer.from(r.b).toString() : r.t === 'simple' || r.t === 'error' ? r.s : JSON.stringify(r));

describe('introspection', () => {
  let dir: string;
  let server: RunningServer;
  let c: RespClient;

  beforeAll(async () => {
    dir = tempDir('introspection');
    server = await startInProcess(dir, { insecure: true, metricsPort: null });
    c = await RespClient.connect({ host: '127.0.0.1', port: server.port, insecure: true });
    await c.call(['AUTH', adminPassword]);
  });

  afterAll(async () => {
    c?.close();
    await server?.close();
    removeDir(dir);
  });

  it('INFO commandstats and errorstats count calls and failures; CONFIG RESETSTAT clears them', async () => {
    await c.call(['CONFIG', 'RESETSTAT']);
    await c.call(['SET', 'k', 'v']);
    await c.call(['LPUSH', 'k', 'x']); // WRONGTYPE
    await c.call(['GET', 'k']);
    const info = text(await c.call(['INFO', 'commandstats', 'errorstats', 'stats']));
    expect(info).toMatch(/cmdstat_set:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0/);
    expect(info).toMatch(/cmdstat_lpush:calls=1,.*failed_calls=1/);
    expect(info).toContain('errorstat_WRONGTYPE:count=1');
    expect(info).toContain('total_error_replies:1');
    expect(text(await c.call(['INFO']))).not.toContain('cmdstat_'); // not a default section
    await c.call(['CONFIG', 'RESETSTAT']);
    expect(text(await c.call(['INFO', 'commandstats']))).not.toContain('cmdstat_set');
  });

  it('SLOWLOG records commands over the threshold, with their arguments, and LEN/RESET work', async () => {
    await c.call(['CONFIG', 'SET', 'slowlog-log-slower-than', '0']);
    await c.call(['SLOWLOG', 'RESET']);
    await c.call(['SET', 'slow', 'x'.repeat(300)]);
    const len = await c.call(['SLOWLOG', 'LEN']);
    expect(len.t === 'int' && Number(len.n)).toBeGreaterThanOrEqual(1);
    const got = await c.call(['SLOWLOG', 'GET', '1']);
    expect(got.t).toBe('array');
    const entry = (got as unknown as { items: Reply[] }).items[0] as unknown as { items: Reply[] };
    const args = (entry.items[3] as unknown as { items: Reply[] }).items.map(text);
    expect(args[0]).toBe('SET');
    expect(args[2]).toMatch(/^x{128}\.\.\. \(172 more bytes\)$/);
    await c.call(['CONFIG', 'SET', 'slowlog-log-slower-than', '-1']);
    await c.call(['SLOWLOG', 'RESET']);
    await c.call(['GET', 'slow']);
    expect(await c.call(['SLOWLOG', 'LEN'])).toEqual({ t: 'int', n: 0 });
  });

  it('MONITOR streams executed commands to an admin, with AUTH redacted', async () => {
    const m = await rawConnect(server.port, null);
    const other = await RespClient.connect({ host: '127.0.0.1', port: server.port, insecure: true });
    try {
      m.socket.write(`*2\r\n$4\r\nAUTH\r\n$${adminPassword.length}\r\n${adminPassword}\r\n*1\r\n$7\r\nMONITOR\r\n`);
      await m.waitFor(/\+OK\r\n\+OK\r\n/);
      await other.call(['AUTH', adminPassword]);
      await other.call(['SET', 'mon', 'itor']);
      const got = await m.waitFor(/"SET" "mon" "itor"\r\n/);
      expect(got).toMatch(/\+\d+\.\d+ \[0 127\.0\.0\.1:\d+\] "AUTH" "\(redacted\)"\r\n/);
      expect(got).not.toContain(adminPassword);
    } finally {
      m.socket.destroy();
      other.close();
    }
  });

  it('CONFIG GET lists every tunable; CONFIG SET changes live ones and refuses immutable or bad values', async () => {
    const all = await c.call(['CONFIG', 'GET', '*']);
    const names = (all as unknown as { items: Reply[] }).items.filter((_, i) => i % 2 === 0).map(text);
    for (const n of ['maxmemory', 'maxmemory-policy', 'slowlog-log-slower-than', 'slowlog-max-len', 'keepsake-ack', 'appendonly', 'save', 'databases']) expect(names).toContain(n);
    expect(await c.call(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'])).toEqual({ t: 'simple', s: 'OK' });
    const got = await c.call(['CONFIG', 'GET', 'maxmemory-policy']);
    expect(got.t === 'array' ? got.items.map(text) : []).toEqual(['maxmemory-policy', 'allkeys-lru']);
    expect(text(await c.call(['INFO', 'memory']))).toContain('maxmemory_policy:allkeys-lru');
    expect(text(await c.call(['CONFIG', 'SET', 'port', '1']))).toMatch(/immutable/);
    expect(text(await c.call(['CONFIG', 'SET', 'maxmemory-policy', 'nope']))).toMatch(/^ERR CONFIG SET failed/);
    expect(text(await c.call(['CONFIG', 'SET', 'nosuch', '1']))).toMatch(/^ERR Unknown option/);
  });
});
