import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countReplies, FakeSocket } from '../../bench/server-inprocess';
import { encodeCommand } from '../../net/resp';
import type { RunningServer } from '../../real/server/server';
import { adminPassword, removeDir, startInProcess, tempDir } from '../server/helpers';

describe('bench/server-inprocess', () => {
  it('counts whole replies of every kind the load gets back', () => {
    expect(countReplies(Buffer.from('+OK\r\n$3\r\nabc\r\n$-1\r\n:5\r\n-ERR no\r\n'))).toBe(5);
    expect(countReplies(Buffer.from('$12\r\nline\r\nbreaks\r\n'))).toBe(1);
    expect(() => countReplies(Buffer.from('+OK'))).toThrow(/partial/);
  });

  describe('a socket-shaped client adopted by a real server', () => {
    let dir: string;
    let server: RunningServer;
    beforeAll(async () => {
      dir = tempDir('inproc');
      server = await startInProcess(dir, { insecure: true, metricsPort: null });
    });
    afterAll(async () => {
      await server.close();
      removeDir(dir);
    });

    it('is served like a TCP client: AUTH, then pipelined SET and GET answered in order', async () => {
      const got: Buffer[] = [];
      const sock = new FakeSocket((b) => got.push(Buffer.from(b)));
      server.adopt(sock as unknown as net.Socket);
      sock.emit('data', encodeCommand(['AUTH', adminPassword]));
      await expect.poll(() => Buffer.concat(got).toString()).toBe('+OK\r\n');
      sock.emit('data', Buffer.concat([encodeCommand(['SET', 'k', 'v1']), encodeCommand(['GET', 'k']), encodeCommand(['GET', 'missing'])]));
      await expect.poll(() => Buffer.concat(got).toString()).toBe('+OK\r\n+OK\r\n$2\r\nv1\r\n$-1\r\n');
      sock.destroy();
    });
  });
});
