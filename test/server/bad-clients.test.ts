// Bad clients from raw sockets (issue 6, item 5): malformed RESP, oversized lengths, a huge
// inline line, a big unauthenticated request, a slow-loris client and a client that never
// reads its replies. Each gets a protocol error or is disconnected by a named limit; the
// server stays up and a well-behaved ioredis client keeps getting correct answers quickly.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRespLimits } from '../../net/resp/index';
import type { RunningServer } from '../../real/server/server';
import { adminPassword, metricSum, rawConnect, redisClient, removeDir, scrape, sleep, startInProcess, tempDir, type RawClient } from './helpers';

let dir: string;
let srv: RunningServer;
let good: Redis;
const latenciesMs: number[] = [];
let goodErrors: string[] = [];
let stopGood = false;
let goodLoop: Promise<void>;
/** Latency bound for the well-behaved client while the others misbehave (generous for CI). */
const p99MsMax = 200;

async function goodClientLoop(): Promise<void> {
  for (let i = 0; !stopGood; i++) {
    const t0 = performance.now();
    try {
      await good.set(`good:${i % 50}`, `v${i}`);
      const v = await good.get(`good:${i % 50}`);
      if (v !== `v${i}`) goodErrors.push(`GET good:${i % 50} = ${v}, want v${i}`);
    } catch (e) {
      goodErrors.push((e as Error).message);
    }
    latenciesMs.push(performance.now() - t0);
    await sleep(2);
  }
}

beforeAll(async () => {
  dir = tempDir('bad');
  srv = await startInProcess(dir);
  good = redisClient(srv.port, srv.caCertPath);
  await good.set('big', Buffer.alloc(1024 * 1024, 0x62));
  goodLoop = goodClientLoop();
});

afterAll(async () => {
  stopGood = true;
  await goodLoop;
  good?.disconnect();
  await srv?.close();
  removeDir(dir);
});

async function authed(): Promise<RawClient> {
  const c = await rawConnect(srv.port, srv.caCertPath);
  c.socket.write(`AUTH admin ${adminPassword}\r\n`);
  await c.waitFor(/^\+OK\r\n/);
  return c;
}

/** Sends `bytes`, expects a protocol error naming `what`, then the connection closed by the server. */
async function expectProtocolError(c: RawClient, bytes: string, what: RegExp): Promise<void> {
  c.socket.write(bytes);
  const got = await c.waitFor(/-ERR Protocol error[^\r]*\r\n/);
  expect(got).toMatch(what);
  await c.closed;
}

describe('malformed and oversized requests', () => {
  it('answers a protocol error and closes, for each kind', async () => {
    const before = metricSum(await scrape(srv.metricsPort!), 'keepsake_protocol_errors_total');
    await expectProtocolError(await authed(), '*x\r\n', /invalid multibulk length/);
    await expectProtocolError(await authed(), '*1\r\n$-5\r\n', /invalid bulk length/);
    await expectProtocolError(await authed(), '*1\r\n$999999999999\r\n', /invalid bulk length/);
    await expectProtocolError(await authed(), `*${defaultRespLimits.multibulkCountMax + 1}\r\n`, /invalid multibulk length/);
    // Before AUTH the limits are much smaller (redis 7: 10 arguments, 16 KiB bulks).
    await expectProtocolError(await rawConnect(srv.port, srv.caCertPath), '*100\r\n', /unauthenticated multibulk length/);
    await expectProtocolError(await rawConnect(srv.port, srv.caCertPath), '*2\r\n$4\r\nAUTH\r\n$100000\r\n', /unauthenticated bulk length/);
    const after = metricSum(await scrape(srv.metricsPort!), 'keepsake_protocol_errors_total');
    expect(after - before).toBe(6);
  });

  it('closes the socket after a protocol error, even for a client that keeps writing and never closes', async () => {
    // Redis's tests/unit/protocol.tcl "Protocol desync regression": a half-open client (its
    // socket stays writable after the server's FIN) must get a reset, not a sink for its bytes.
    const pdir = tempDir('bad-plain');
    const plain = await startInProcess(pdir, { insecure: true, metricsPort: null });
    try {
      const s = net.connect({ host: '127.0.0.1', port: plain.port, allowHalfOpen: true });
      let received = '';
      s.on('data', (c: Buffer) => (received += c.toString('latin1')));
      const ended = new Promise<string>((resolve) => {
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        s.once('close', () => resolve('close'));
      });
      await new Promise((r) => s.once('connect', r));
      s.write('\x00');
      let how: string | null = null;
      void ended.then((h) => (how = h));
      for (let i = 0; i < 2000 && how === null; i++) {
        s.write('payload'.repeat(100));
        await sleep(2);
      }
      expect(how).not.toBeNull();
      expect(received).toMatch(/-ERR Protocol error: too big inline request/);
      s.destroy();
    } finally {
      await plain.close();
      removeDir(pdir);
    }
  });

  it('cuts a 100 MB inline line off at the inline limit', async () => {
    const c = await authed();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sentBytes = 0;
    let closed = false;
    void c.closed.then(() => (closed = true));
    while (sentBytes < 100 * 1024 * 1024 && !closed) {
      const flushed = c.socket.write(chunk);
      sentBytes += chunk.length;
      if (!flushed) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closed]);
    }
    await c.closed;
    expect(c.received()).toMatch(/-ERR Protocol error: too big inline request/);
    expect(sentBytes).toBeLessThan(100 * 1024 * 1024); // refused long before the end
  });

  it('survives a slow-loris client and answers it once its request is complete', async () => {
    const c = await authed();
    const req = '*2\r\n$4\r\nECHO\r\n$5\r\nloris\r\n';
    for (const ch of req.slice(0, 10)) {
      c.socket.write(ch);
      await sleep(100);
    }
    c.socket.write(req.slice(10));
    expect(await c.waitFor(/loris\r\n$/)).toBe('+OK\r\n$5\r\nloris\r\n');
    c.socket.destroy();
  });

  it('disconnects a client that pipelines thousands of big GETs and never reads', async () => {
    const c = await authed();
    c.socket.pause(); // never read: the replies pile up on the server's side
    const before = metricSum(await scrape(srv.metricsPort!), 'keepsake_protocol_errors_total');
    const gets = Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'.repeat(500));
    for (let i = 0; i < 8 && !c.socket.destroyed; i++) {
      c.socket.write(gets);
      await sleep(50);
    }
    const until = Date.now() + 10_000;
    while (metricSum(await scrape(srv.metricsPort!), 'keepsake_protocol_errors_total') === before && Date.now() < until) await sleep(50);
    expect(metricSum(await scrape(srv.metricsPort!), 'keepsake_protocol_errors_total')).toBe(before + 1); // output buffer limit
    c.socket.destroy();
  });

  it('kept the server up and the well-behaved client fast and correct', async () => {
    await sleep(200);
    expect(await good.get('good:0')).toMatch(/^v\d+$/);
    expect(goodErrors).toEqual([]);
    expect(latenciesMs.length).toBeGreaterThan(50);
    const sorted = [...latenciesMs].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)]!;
    console.log(`well-behaved client: ${sorted.length} SET+GET round trips, p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms`);
    expect(p99).toBeLessThan(p99MsMax);
  });
});
