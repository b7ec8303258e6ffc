// Redis compatibility of transactions and blocking commands, over real sockets:
// - a differential run against Debian's redis-server (when installed; CI installs it with
//   scripts/ensure-redis.sh): the same command sequences on both, replies compared exactly;
// - ioredis's multi(), watch() and blpop() against Keepsake.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RespClient } from '../../real/cli/client-command';
import type { RunningServer } from '../../real/server/server';
import type { Reply } from '../../net/reply';
import { adminPassword, redisClient, removeDir, startInProcess, tempDir } from './helpers';

const hasRedis = spawnSync('which', ['redis-server']).status === 0;

/** Replies as plain data (Buffers as strings), for comparing two servers. */
function plain(r: Reply): unknown {
  switch (r.t) {
    case 'bulk':
      return Buffer.from(r.b).toString();
    case 'array':
    case 'set':
    case 'push':
      return r.items.map(plain);
    case 'map':
      return r.entries.map(([k, v]) => [plain(k), plain(v)]);
    case 'int':
      return Number(r.n);
    case 'simple':
      return `+${r.s}`;
    case 'error':
      return `-${r.s}`;
    default:
      return r.t;
  }
}

/** Sequences whose replies must match redis-server's exactly. Each runs on a flushed server. */
const sequences: { name: string; steps: (string[] | { other: string[] })[] }[] = [
  {
    name: 'MULTI/EXEC with runtime errors inside',
    steps: [['MULTI'], ['SET', 'a', '1'], ['INCR', 'a'], ['LPUSH', 'a', 'x'], ['GET', 'a'], ['EXEC'], ['GET', 'a']],
  },
  { name: 'queue-time errors abort EXEC', steps: [['MULTI'], ['SET', 'b', '1'], ['NOSUCHCMD', 'x'], ['GET'], ['EXEC'], ['EXISTS', 'b']] },
  { name: 'nesting and stray EXEC/DISCARD', steps: [['EXEC'], ['DISCARD'], ['MULTI'], ['MULTI'], ['DISCARD'], ['EXEC']] },
  { name: 'PING and ECHO queued among data commands answer in place', steps: [['MULTI'], ['SET', 'p', '1'], ['PING'], ['ECHO', 'hi'], ['INCR', 'p'], ['PING', 'x'], ['EXEC']] },
  { name: 'a server command of the wrong arity inside MULTI aborts EXEC', steps: [['MULTI'], ['SET', 'pa', '1'], ['ECHO'], ['EXEC'], ['EXISTS', 'pa']] },
  { name: 'only server commands inside MULTI', steps: [['MULTI'], ['PING'], ['EXEC']] },
  { name: 'DISCARD drops the queue', steps: [['MULTI'], ['SET', 'c', '1'], ['DISCARD'], ['GET', 'c']] },
  { name: 'WATCH: a write by another client aborts EXEC', steps: [['SET', 'w', '0'], ['WATCH', 'w'], { other: ['SET', 'w', '5'] }, ['MULTI'], ['INCR', 'w'], ['EXEC'], ['GET', 'w']] },
  { name: 'WATCH: an untouched key lets EXEC run', steps: [['SET', 'w', '0'], ['WATCH', 'w'], { other: ['SET', 'other', '5'] }, ['MULTI'], ['INCR', 'w'], ['EXEC'], ['GET', 'w']] },
  { name: 'UNWATCH forgets', steps: [['WATCH', 'u'], { other: ['SET', 'u', '1'] }, ['UNWATCH'], ['MULTI'], ['SET', 'u', '2'], ['EXEC'], ['GET', 'u']] },
  { name: 'WATCH inside MULTI', steps: [['MULTI'], ['WATCH', 'x'], ['EXEC']] },
  {
    name: 'blocking commands with data present',
    steps: [
      ['RPUSH', 'l1', 'a', 'b', 'c'],
      ['BLPOP', 'nope', 'l1', '1'],
      ['BRPOP', 'l1', '1'],
      ['BLMOVE', 'l1', 'l2', 'LEFT', 'RIGHT', '1'],
      ['BRPOPLPUSH', 'l2', 'l3', '1'],
      ['LRANGE', 'l3', '0', '-1'],
      ['ZADD', 'z', '1', 'one', '2', 'two'],
      ['BZPOPMIN', 'z', '1'],
      ['BZPOPMAX', 'z', '1'],
    ],
  },
  { name: 'blocking commands time out', steps: [['BLPOP', 'empty', '0.1'], ['BLMOVE', 'empty', 'x', 'LEFT', 'LEFT', '0.1'], ['BZPOPMIN', 'emptyz', '0.1']] },
  { name: 'blocking command argument errors', steps: [['BLPOP', 'k', 'x'], ['BLPOP', 'k', '-1'], ['BLPOP', 'k'], ['BLMOVE', 'a', 'b', 'UP', 'LEFT', '1'], ['SET', 's', 'v'], ['BLPOP', 's', '1']] },
  {
    name: 'BLMPOP and BZMPOP served at once',
    steps: [
      ['RPUSH', 'ml', 'a', 'b', 'c'],
      ['BLMPOP', '1', '2', 'nope', 'ml', 'LEFT', 'COUNT', '2'],
      ['BLMPOP', '1', '1', 'ml', 'RIGHT'],
      ['EXISTS', 'ml'],
      ['ZADD', 'mz', '1', 'a', '2', 'b', '3', 'c'],
      ['BZMPOP', '1', '2', 'nope', 'mz', 'MAX', 'COUNT', '2'],
      ['BZMPOP', '1', '1', 'mz', 'MIN', 'COUNT', '10'],
    ],
  },
  { name: 'BLMPOP and BZMPOP time out', steps: [['BLMPOP', '0.1', '1', 'empty', 'LEFT'], ['BZMPOP', '0.1', '2', 'e1', 'e2', 'MIN']] },
  {
    name: 'BLMPOP and BZMPOP argument errors',
    steps: [
      ['BLMPOP', 'x', '1', 'k', 'LEFT'], ['BLMPOP', '-1', '1', 'k', 'LEFT'], ['BLMPOP', '0', '0', 'k', 'LEFT'], ['BLMPOP', '0', '1', 'k', 'UP'],
      ['BLMPOP', '0', '1', 'k', 'LEFT', 'COUNT', '0'], ['BLMPOP', '0', '3', 'k', 'LEFT'], ['BLMPOP', '0', '1', 'k'], ['BZMPOP', '0', '1', 'k', 'LEFT'],
      ['SET', 'sv', 'v'], ['BLMPOP', '1', '1', 'sv', 'LEFT'], ['BZMPOP', '1', '1', 'sv', 'MIN'],
    ],
  },
  { name: 'BLMPOP and BZMPOP inside MULTI never block', steps: [['MULTI'], ['BLMPOP', '0', '1', 'empty3', 'LEFT'], ['BZMPOP', '0', '1', 'empty4', 'MIN'], ['RPUSH', 'q2', 'x'], ['BLMPOP', '0', '1', 'q2', 'LEFT'], ['EXEC']] },
  { name: 'blocking commands inside MULTI never block', steps: [['MULTI'], ['BLPOP', 'empty2', '0'], ['RPUSH', 'q', 'x'], ['BLPOP', 'q', '0'], ['EXEC']] },
];

async function runSequence(a: RespClient, b: RespClient, steps: (string[] | { other: string[] })[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const s of steps) {
    if (Array.isArray(s)) out.push(plain(await a.call(s)));
    else out.push(plain(await b.call(s.other)));
  }
  return out;
}

describe('Redis compatibility: transactions and blocking commands', () => {
  let dir: string;
  let server: RunningServer;
  let redis: ChildProcess | null = null;
  const redisPort = 16000 + Math.floor(Math.random() * 2000);

  beforeAll(async () => {
    dir = tempDir('compat');
    server = await startInProcess(dir, { insecure: true, metricsPort: null });
    if (hasRedis) {
      redis = spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        try {
          const c = await RespClient.connect({ host: '127.0.0.1', port: redisPort, insecure: true }, 200);
          c.close();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  });

  afterAll(async () => {
    redis?.kill('SIGKILL');
    await server?.close();
    removeDir(dir);
  });

  async function clients(port: number, password: string | null): Promise<[RespClient, RespClient]> {
    const a = await RespClient.connect({ host: '127.0.0.1', port, insecure: true });
    const b = await RespClient.connect({ host: '127.0.0.1', port, insecure: true });
    if (password) {
      await a.call(['AUTH', password]);
      await b.call(['AUTH', password]);
    }
    await a.call(['FLUSHALL']);
    return [a, b];
  }

  for (const seq of sequences) {
    it.skipIf(!hasRedis)(`same replies as redis-server: ${seq.name}`, async () => {
      const [ka, kb] = await clients(server.port, adminPassword);
      const [ra, rb] = await clients(redisPort, null);
      try {
        const ours = await runSequence(ka, kb, seq.steps);
        const theirs = await runSequence(ra, rb, seq.steps);
        expect(ours).toEqual(theirs);
      } finally {
        for (const c of [ka, kb, ra, rb]) c.close();
      }
    });
  }

  it('a blocked BLPOP is woken by a push from another client, exactly once, first come first served', async () => {
    const [a, b] = await clients(server.port, adminPassword);
    const c = await RespClient.connect({ host: '127.0.0.1', port: server.port, insecure: true });
    await c.call(['AUTH', adminPassword]);
    try {
      const first = a.call(['BLPOP', 'jobs', '5']);
      await new Promise((r) => setTimeout(r, 50));
      const second = c.call(['BLPOP', 'jobs', '5']);
      await new Promise((r) => setTimeout(r, 50));
      expect(plain(await b.call(['RPUSH', 'jobs', 'j1', 'j2']))).toBe(2);
      expect(plain(await first)).toEqual(['jobs', 'j1']);
      expect(plain(await second)).toEqual(['jobs', 'j2']);
      expect(plain(await b.call(['LLEN', 'jobs']))).toBe(0);
    } finally {
      for (const x of [a, b, c]) x.close();
    }
  });

  it('a blocked BLMPOP or BZMPOP is woken by a write to any of its keys, with up to COUNT elements', async () => {
    const [a, b] = await clients(server.port, adminPassword);
    const c = await RespClient.connect({ host: '127.0.0.1', port: server.port, insecure: true });
    await c.call(['AUTH', adminPassword]);
    try {
      const lists = a.call(['BLMPOP', '5', '2', 'other', 'mjobs', 'LEFT', 'COUNT', '2']);
      const zsets = c.call(['BZMPOP', '5', '1', 'mz2', 'MAX']);
      await new Promise((r) => setTimeout(r, 50));
      expect(plain(await b.call(['RPUSH', 'mjobs', 'x', 'y', 'z']))).toBe(3);
      expect(plain(await lists)).toEqual(['mjobs', ['x', 'y']]);
      expect(plain(await b.call(['ZADD', 'mz2', '1', 'a', '2', 'b']))).toBe(2);
      expect(plain(await zsets)).toEqual(['mz2', [['b', '2']]]);
      expect(plain(await b.call(['LRANGE', 'mjobs', '0', '-1']))).toEqual(['z']);
    } finally {
      for (const x of [a, b, c]) x.close();
    }
  });

  it('a key that became another type wakes no one; SWAPDB wakes a waiter whose key it brings in', async () => {
    const [a, b] = await clients(server.port, adminPassword);
    try {
      // Redis's list test "BLPOP, LPUSH + DEL + SET should not awake blocked client".
      const first = a.call(['BLPOP', 'wt', '5']);
      await new Promise((r) => setTimeout(r, 50));
      for (const cmd of [['MULTI'], ['LPUSH', 'wt', 'x'], ['DEL', 'wt'], ['SET', 'wt', 'foo'], ['EXEC'], ['DEL', 'wt']]) await b.call(cmd);
      expect(plain(await b.call(['LPUSH', 'wt', 'y']))).toBe(1);
      expect(plain(await first)).toEqual(['wt', 'y']);
      // "SWAPDB awakes blocked client".
      const second = a.call(['BLPOP', 'sw', '5']);
      await new Promise((r) => setTimeout(r, 50));
      for (const cmd of [['SELECT', '1'], ['RPUSH', 'sw', 'hello'], ['SWAPDB', '0', '1'], ['SELECT', '0']]) await b.call(cmd);
      expect(plain(await second)).toEqual(['sw', 'hello']);
      // "BRPOPLPUSH with wrong destination type": once served, the attempt's error is the answer.
      await b.call(['SET', 'bdst', 'nolist']);
      const third = a.call(['BRPOPLPUSH', 'bsrc', 'bdst', '5']);
      await new Promise((r) => setTimeout(r, 50));
      expect(plain(await b.call(['RPUSH', 'bsrc', 'foo']))).toBe(1);
      expect(plain(await third)).toMatch(/^-WRONGTYPE/);
      expect(plain(await b.call(['LRANGE', 'bsrc', '0', '-1']))).toEqual(['foo']);
    } finally {
      a.close();
      b.close();
    }
  });

  it('CLIENT UNBLOCK ends a blocked request; blocked_clients counts it meanwhile', async () => {
    const [a, b] = await clients(server.port, adminPassword);
    try {
      const id = plain(await a.call(['CLIENT', 'ID'])) as number;
      const blocked = a.call(['BLPOP', 'never', '0']);
      await new Promise((r) => setTimeout(r, 50));
      const info = plain(await b.call(['INFO', 'clients'])) as string;
      expect(info).toContain('blocked_clients:1');
      expect(plain(await b.call(['CLIENT', 'UNBLOCK', String(id), 'ERROR']))).toBe(1);
      expect(plain(await blocked)).toBe('-UNBLOCKED client unblocked via CLIENT UNBLOCK');
      expect(plain(await b.call(['CLIENT', 'UNBLOCK', String(id)]))).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it("ioredis: multi(), watch() and blpop() work", async () => {
    const r1 = redisClient(server.port, null);
    const r2 = redisClient(server.port, null);
    try {
      const res = await r1.multi().set('m1', 'a').incr('m2').get('m1').exec();
      expect(res).toEqual([
        [null, 'OK'],
        [null, 1],
        [null, 'a'],
      ]);
      await r1.set('balance', '10');
      await r1.watch('balance');
      await r2.set('balance', '20');
      const aborted = await r1.multi().set('balance', '0').exec();
      expect(aborted).toBeNull();
      expect(await r1.get('balance')).toBe('20');
      const popped = r1.blpop('inbox', 5);
      await new Promise((r) => setTimeout(r, 50));
      await r2.rpush('inbox', 'hello');
      expect(await popped).toEqual(['inbox', 'hello']);
      expect(await r1.blpop('inbox', 0.1)).toBeNull();
    } finally {
      r1.disconnect();
      r2.disconnect();
    }
  });
});
