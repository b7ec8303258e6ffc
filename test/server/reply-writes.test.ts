// How replies reach the socket: a lone request's reply is written at once; a pipelined chunk's
// replies go out in one write at the end of the event-loop turn, after every connection that
// had input was read (real/server/connection.ts, `flushAtTurnEnd`), and in request order.
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSocket } from '../../bench/server-inprocess';
import { encodeCommand } from '../../net/resp';
import type { RunningServer } from '../../real/server/server';
import { adminPassword, removeDir, startInProcess, tempDir } from './helpers';

describe('reply writes', () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = tempDir('writes');
    server = await startInProcess(dir, { insecure: true, metricsPort: null, defaultAck: 'memory' });
  });
  afterAll(async () => {
    await server.close();
    removeDir(dir);
  });

  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  async function client(): Promise<{ sock: FakeSocket; writes: Buffer[] }> {
    const writes: Buffer[] = [];
    const sock = new FakeSocket((b) => writes.push(Buffer.from(b)));
    server.adopt(sock as unknown as net.Socket);
    sock.emit('data', encodeCommand(['AUTH', adminPassword]));
    await expect.poll(() => Buffer.concat(writes).toString()).toBe('+OK\r\n');
    writes.length = 0;
    return { sock, writes };
  }

  const pipeline = (...cmds: string[][]): Buffer => Buffer.concat(cmds.map(encodeCommand));

  it('a lone request is answered within the read that brought it', async () => {
    const a = await client();
    a.sock.emit('data', encodeCommand(['SET', 'lone', 'v']));
    expect(a.writes.map(String)).toEqual(['+OK\r\n']);
    a.sock.emit('data', encodeCommand(['GET', 'lone']));
    expect(a.writes.map(String)).toEqual(['+OK\r\n', '$1\r\nv\r\n']);
    a.sock.destroy();
  });

  it("pipelined chunks of several connections are answered at the turn's end, one write each, in order", async () => {
    const a = await client();
    const b = await client();
    a.sock.emit('data', pipeline(['SET', 'pa', '1'], ['INCR', 'pa'], ['GET', 'pa']));
    b.sock.emit('data', pipeline(['GET', 'pa'], ['DEL', 'pa'], ['GET', 'pa']));
    // Both chunks ran (b saw a's writes), but nothing is written before the turn ends.
    expect(a.writes).toEqual([]);
    expect(b.writes).toEqual([]);
    await nextTurn();
    expect(a.writes.map(String)).toEqual(['+OK\r\n:2\r\n$1\r\n2\r\n']);
    expect(b.writes.map(String)).toEqual(['$1\r\n2\r\n:1\r\n$-1\r\n']);
    // A lone request behind a pipelined chunk of the same turn keeps its place in the order.
    a.sock.emit('data', pipeline(['SET', 'pb', 'x'], ['GET', 'pb']));
    a.sock.emit('data', encodeCommand(['STRLEN', 'pb']));
    expect(a.writes.map(String)).toEqual(['+OK\r\n:2\r\n$1\r\n2\r\n', '+OK\r\n$1\r\nx\r\n:1\r\n']);
    await nextTurn();
    expect(a.writes).toHaveLength(2);
    a.sock.destroy();
    b.sock.destroy();
  });
});
