// Acceptance over real loopback TLS with ioredis: data types, SELECT, INFO, pipelines,
// RESP3 through HELLO 3, and AUTH / ACL enforced per role (issue 6, items 1 and 2).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../real/server/server';
import { adminPassword, metricSum, rawConnect, redisClient, removeDir, scrape, sleep, startInProcess, tempDir } from './helpers';

let dir: string;
let srv: RunningServer;

beforeAll(async () => {
  dir = tempDir('cmd');
  srv = await startInProcess(dir);
});

afterAll(async () => {
  await srv?.close();
  removeDir(dir);
});

describe('data commands over TLS with ioredis', () => {
  it('strings, expiry, hashes, lists, sorted sets, SELECT, INFO, pipelines', async () => {
    const r = redisClient(srv.port, srv.caCertPath);
    try {
      expect(await r.ping()).toBe('PONG');
      expect(await r.set('greeting', 'hello')).toBe('OK');
      expect(await r.get('greeting')).toBe('hello');
      expect(await r.get('missing')).toBeNull();
      expect(await r.expire('greeting', 100)).toBe(1);
      const ttl = await r.ttl('greeting');
      expect(ttl).toBeGreaterThan(90);
      expect(ttl).toBeLessThanOrEqual(100);
      expect(await r.pexpire('greeting', 50)).toBe(1);
      expect(await r.pttl('greeting')).toBeLessThanOrEqual(50);
      await sleep(120);
      expect(await r.get('greeting')).toBeNull();
      expect(await r.ttl('greeting')).toBe(-2);
      expect(await r.setex('cached', 100, 'v')).toBe('OK');
      expect(await r.ttl('cached')).toBeGreaterThan(90);
      expect(await r.psetex('cached', 100_000, 'w')).toBe('OK');
      expect(await r.get('cached')).toBe('w');
      const [sec, usec] = (await r.time()).map(Number);
      expect(Math.abs(sec! * 1000 + usec! / 1000 - Date.now())).toBeLessThan(5000);
      expect(usec).toBeLessThan(1_000_000);
      expect(await r.call('COMMAND', 'GETKEYS', 'MSET', 'a', '1', 'b', '2')).toEqual(['a', 'b']);
      expect(await r.call('COMMAND', 'GETKEYS', 'SORT', 'l', 'BY', 'x', 'STORE', 'd1', 'STORE', 'd2')).toEqual(['l', 'd2']);
      expect(await r.call('COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'dst', '2', 'z1', 'z2', 'WEIGHTS', '1', '2')).toEqual(['dst', 'z1', 'z2']);
      await expect(r.call('COMMAND', 'GETKEYS', 'NOSUCH', 'a')).rejects.toThrow(/Invalid command specified/);
      await expect(r.call('COMMAND', 'GETKEYS', 'GET')).rejects.toThrow(/wrong number of arguments/);

      expect(await r.hset('h', 'a', '1', 'b', '2')).toBe(2);
      expect(await r.hget('h', 'a')).toBe('1');
      expect(await r.hgetall('h')).toEqual({ a: '1', b: '2' });
      expect(await r.hdel('h', 'a')).toBe(1);
      expect(await r.hlen('h')).toBe(1);

      expect(await r.rpush('l', 'x', 'y', 'z')).toBe(3);
      expect(await r.lpush('l', 'w')).toBe(4);
      expect(await r.lrange('l', 0, -1)).toEqual(['w', 'x', 'y', 'z']);
      expect(await r.lpop('l')).toBe('w');
      expect(await r.llen('l')).toBe(3);

      expect(await r.zadd('z', 2, 'two', 1, 'one', 3.5, 'three')).toBe(3);
      expect(await r.zrange('z', 0, -1, 'WITHSCORES')).toEqual(['one', '1', 'two', '2', 'three', '3.5']);
      expect(await r.zscore('z', 'three')).toBe('3.5');
      expect(await r.zscore('z', 'nope')).toBeNull();

      expect(await r.select(3)).toBe('OK');
      expect(await r.get('h')).toBeNull();
      expect(await r.set('in3', 'v')).toBe('OK');
      expect(await r.select(0)).toBe('OK');
      expect(await r.get('in3')).toBeNull();

      const info = await r.info();
      expect(info).toMatch(/loading:0/);
      expect(info).toMatch(/redis_version:/);
      expect(info).toMatch(/db3:keys=1/);

      const p = r.pipeline();
      for (let i = 0; i < 200; i++) p.set(`p${i}`, `v${i}`);
      for (let i = 0; i < 200; i++) p.get(`p${i}`);
      p.incr('counter');
      p.incr('counter');
      const res = await p.exec();
      expect(res).not.toBeNull();
      expect(res!.every(([e]) => e === null)).toBe(true);
      expect(res!.slice(0, 200).every(([, v]) => v === 'OK')).toBe(true);
      expect(res!.slice(200, 400).map(([, v]) => v)).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
      expect(res!.slice(400).map(([, v]) => v)).toEqual([1, 2]);

      await expect(r.call('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/i);
      await expect(r.incr('greeting2').then(() => r.hset('greeting2', 'a', 'b'))).rejects.toThrow(/WRONGTYPE/);
    } finally {
      r.disconnect();
    }
  });

  it('speaks RESP3 after HELLO 3 (raw client)', async () => {
    const c = await rawConnect(srv.port, srv.caCertPath);
    try {
      c.socket.write(`HELLO 3 AUTH admin ${adminPassword}\r\n`);
      const hello = await c.waitFor(/keepsake/);
      expect(hello.startsWith('%')).toBe(true); // a RESP3 map
      expect(hello).toContain('proto\r\n:3\r\n');
      c.socket.write('*3\r\n$4\r\nHSET\r\n$2\r\nr3\r\n$1\r\nf\r\n');
      await c.waitFor(/wrong number of arguments/);
      c.socket.write('*4\r\n$4\r\nHSET\r\n$2\r\nr3\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$7\r\nHGETALL\r\n$2\r\nr3\r\n*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n');
      const all = await c.waitFor(/_\r\n$/);
      expect(all).toContain(':1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n_\r\n'); // int, map, RESP3 null
      // WITHSCORES pairs nest under RESP3 (Redis 7); ZPOPMIN without a count stays flat.
      c.socket.write('ZADD z3 1 a 2.5 b\r\nZRANGE z3 0 -1 WITHSCORES\r\nZPOPMIN z3 1\r\nZPOPMIN z3\r\nPING\r\n');
      const z = await c.waitFor(/\+PONG\r\n$/);
      expect(z.slice(all.length)).toBe(':2\r\n*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n*1\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n+PONG\r\n');
    } finally {
      c.socket.destroy();
    }
  });
});

describe('AUTH and ACL', () => {
  it('refuses commands before AUTH and counts failed AUTHs', async () => {
    const before = metricSum(await scrape(srv.metricsPort!), 'keepsake_auth_failures_total');
    const anon = redisClient(srv.port, srv.caCertPath, { username: undefined, password: undefined, enableReadyCheck: false });
    try {
      await expect(anon.get('x')).rejects.toThrow(/NOAUTH/);
      await expect(anon.auth('admin', 'wrong')).rejects.toThrow(/WRONGPASS/);
      await expect(anon.auth('wrong-only')).rejects.toThrow(/WRONGPASS/);
      await expect(anon.auth('nobody', adminPassword)).rejects.toThrow(/WRONGPASS/);
      await expect(anon.get('x')).rejects.toThrow(/NOAUTH/);
      expect(await anon.auth(adminPassword)).toBe('OK'); // single-argument AUTH = user admin
      expect(await anon.call('ACL', 'WHOAMI')).toBe('admin');
    } finally {
      anon.disconnect();
    }
    const after = metricSum(await scrape(srv.metricsPort!), 'keepsake_auth_failures_total');
    expect(after - before).toBe(3);
  });

  it('parses requests pipelined behind AUTH under the limits AUTH decides', async () => {
    const value = 'v'.repeat(20_000); // over the unauthenticated bulk limit (16 KiB)
    const c = await rawConnect(srv.port, srv.caCertPath);
    try {
      c.socket.write(`*3\r\n$4\r\nAUTH\r\n$5\r\nadmin\r\n$${adminPassword.length}\r\n${adminPassword}\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${value.length}\r\n${value}\r\n*2\r\n$6\r\nSTRLEN\r\n$3\r\nbig\r\n`);
      expect(await c.waitFor(/:\d+\r\n$/)).toBe('+OK\r\n+OK\r\n:20000\r\n');
    } finally {
      c.socket.destroy();
    }
    // And with a wrong password, the same pipeline still meets the unauthenticated limits.
    const bad = await rawConnect(srv.port, srv.caCertPath);
    bad.socket.write(`AUTH admin wrong\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${value.length}\r\n${value}\r\n`);
    expect(await bad.waitFor(/Protocol error[^\r]*\r\n$/)).toMatch(/^-WRONGPASS[^\r]*\r\n-ERR Protocol error: unauthenticated bulk length\r\n$/);
    await bad.closed;
  });

  it('enforces roles and database restrictions; ACL SETUSER/LIST/DELUSER', async () => {
    const admin = redisClient(srv.port, srv.caCertPath);
    try {
      expect(await admin.call('ACL', 'SETUSER', 'reader', '>rpw', 'role:readonly')).toBe('OK');
      expect(await admin.call('ACL', 'SETUSER', 'one', '>opw', 'role:readwrite', 'db:1')).toBe('OK');
      await expect(admin.call('ACL', 'SETUSER', 'bad', '>x', 'role:nope')).rejects.toThrow(/ERR/);
      await expect(admin.call('ACL', 'SETUSER', 'nopw', 'role:readonly')).rejects.toThrow(/password/);
      expect(await admin.set('shared', 'v0')).toBe('OK');
      const list = (await admin.call('ACL', 'LIST')) as string[];
      expect(list.some((l) => l.startsWith('user reader on role:readonly db:*'))).toBe(true);
      expect(list.some((l) => l.startsWith('user one on role:readwrite db:1'))).toBe(true);
      expect(list.some((l) => l.startsWith('user admin on role:admin'))).toBe(true);

      const reader = redisClient(srv.port, srv.caCertPath, { username: 'reader', password: 'rpw' });
      try {
        expect(await reader.get('shared')).toBe('v0');
        await expect(reader.set('shared', 'v1')).rejects.toThrow(/NOPERM/);
        await expect(reader.call('ACL', 'SETUSER', 'x', '>y')).rejects.toThrow(/NOPERM/);
        await expect(reader.call('ACL', 'LIST')).rejects.toThrow(/NOPERM/);
        expect(await reader.call('ACL', 'WHOAMI')).toBe('reader');
      } finally {
        reader.disconnect();
      }
      expect(await admin.get('shared')).toBe('v0');

      const one = redisClient(srv.port, srv.caCertPath, { username: 'one', password: 'opw', db: 1 });
      try {
        expect(await one.set('k1', 'in-db1')).toBe('OK');
        await expect(one.select(0)).rejects.toThrow(/NOPERM/);
        expect(await one.get('k1')).toBe('in-db1');
      } finally {
        one.disconnect();
      }

      expect(await admin.call('ACL', 'DELUSER', 'reader', 'one', 'ghost')).toBe(2);
      await expect(admin.call('ACL', 'DELUSER', 'admin')).rejects.toThrow(/cannot be removed/);
      const gone = redisClient(srv.port, srv.caCertPath, { username: undefined, password: undefined, enableReadyCheck: false });
      try {
        await expect(gone.auth('reader', 'rpw')).rejects.toThrow(/WRONGPASS/);
      } finally {
        gone.disconnect();
      }
    } finally {
      admin.disconnect();
    }
  });
});

describe('the admin password', () => {
  it('is generated on first boot only and kept across restarts', async () => {
    const d = tempDir('adminpw');
    try {
      const first = await startInProcess(d, { adminPassword: null, metricsPort: null });
      const generated = first.generatedAdminPassword;
      try {
        expect(generated).toMatch(/^[A-Za-z0-9_-]{20,}$/);
        const r = redisClient(first.port, first.caCertPath, { password: generated! });
        expect(await r.set('kept', 'yes')).toBe('OK');
        r.disconnect();
      } finally {
        await first.close();
      }
      // Second boot, even with KEEPSAKE_ADMIN_PASSWORD set: the stored user wins.
      const second = await startInProcess(d, { adminPassword: 'other', metricsPort: null });
      try {
        expect(second.generatedAdminPassword).toBeNull();
        const r = redisClient(second.port, second.caCertPath, { password: generated! });
        expect(await r.get('kept')).toBe('yes');
        r.disconnect();
        const wrong = redisClient(second.port, second.caCertPath, { username: undefined, password: undefined, enableReadyCheck: false });
        await expect(wrong.auth('other')).rejects.toThrow(/WRONGPASS/);
        wrong.disconnect();
      } finally {
        await second.close();
      }
    } finally {
      removeDir(d);
    }
  });
});
