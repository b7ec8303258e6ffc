// Every fault knob of the world shows its effect on a tiny echo system.
import { describe, expect, it } from 'vitest';
import { nodeId, type Effect, type Input, type Machine, type MachineEnv } from '../../net/types';
import { crashLoseAll } from '../../sim/disk';
import { World } from '../../sim/world';

type Msg = { type: 'ping'; n: number } | { type: 'pong'; n: number };
const A = nodeId('a');
const B = nodeId('b');
const C = nodeId('c');

/** Records what it receives and answers pings; can write to disk and set timers on request. */
class Echo implements Machine<Msg> {
  static log: { node: string; at: number; what: string }[] = [];
  constructor(private readonly env: MachineEnv) {}
  step(input: Input<Msg>, nowMs: number): Effect<Msg>[] {
    Echo.log.push({ node: this.env.id, at: nowMs, what: input.type === 'message' ? `${input.msg.type}${input.msg.n}` : input.type === 'timeout' ? `timeout:${input.name}` : input.type });
    if (input.type === 'message' && input.msg.type === 'ping') return [{ type: 'send', to: input.from, msg: { type: 'pong', n: input.msg.n } }];
    return [];
  }
}

function world(network = {}) {
  Echo.log = [];
  const w = new World<Msg>({ seed: 1, network: { latencyMinMs: 1, latencyJitterMeanMs: 0, ...network }, nodes: [A, B, C].map((id) => ({ id, factory: (env: MachineEnv) => new Echo(env) })) });
  w.start();
  return w;
}

/** Inject a message from `from` to `to` as if `from` had sent it. */
function send(w: World<Msg>, from: typeof A, to: typeof A, n: number) {
  // Use a one-off machine effect through the public API: a scheduled call that sends.
  (w as unknown as { send(f: typeof A, t: typeof A, m: Msg): void }).send(from, to, { type: 'ping', n });
}

const received = (node: string) => Echo.log.filter((l) => l.node === node && l.what.startsWith('ping')).map((l) => l.what);

describe('world fault knobs', () => {
  it('delivers with latency; a full partition drops what crosses it; heal restores', () => {
    const w = world();
    send(w, A, B, 1);
    w.runUntil(10);
    expect(received('b')).toEqual(['ping1']);
    w.partition([[A], [B, C]]);
    send(w, A, B, 2);
    send(w, B, C, 3);
    w.runUntil(20);
    expect(received('b')).toEqual(['ping1']);
    expect(received('c')).toEqual(['ping3']);
    expect(w.stats.messagesDropped).toBeGreaterThanOrEqual(1);
    w.heal();
    send(w, A, B, 4);
    w.runUntil(30);
    expect(received('b')).toEqual(['ping1', 'ping4']);
  });

  it('a partition also drops messages already in flight when it starts', () => {
    const w = world({ latencyMinMs: 5 });
    send(w, A, B, 1);
    w.runUntil(2);
    w.partition([[A], [B]]);
    w.runUntil(20);
    expect(received('b')).toEqual([]);
  });

  it('one-way partition blocks one direction only', () => {
    const w = world();
    w.blockOneWay(A, B);
    send(w, A, B, 1);
    send(w, B, A, 2);
    w.runUntil(10);
    expect(received('b')).toEqual([]);
    expect(received('a')).toEqual(['ping2']);
  });

  it('bridge: the bridge sees both sides, the sides do not see each other', () => {
    const w = world();
    w.bridge(A, [A, B], [A, C]);
    send(w, B, C, 1);
    send(w, A, C, 2);
    send(w, C, A, 3);
    send(w, B, A, 4);
    w.runUntil(10);
    expect(received('c')).toEqual(['ping2']);
    expect(received('a').sort()).toEqual(['ping3', 'ping4']);
  });

  it('a held message arrives only when released', () => {
    const w = world();
    w.hold(A, B);
    send(w, A, B, 1);
    send(w, A, B, 2);
    w.runUntil(100);
    expect(received('b')).toEqual([]);
    expect(w.heldCount(A, B)).toBe(2);
    w.release(A, B);
    w.runUntil(110);
    expect(received('b').sort()).toEqual(['ping1', 'ping2']);
  });

  it('drop rate 1 loses everything; duplicate rate 1 delivers twice', () => {
    const lossy = world({ dropRate: 1 });
    send(lossy, A, B, 1);
    lossy.runUntil(10);
    expect(received('b')).toEqual([]);
    const dup = world({ duplicateRate: 1 });
    send(dup, A, B, 1);
    dup.runUntil(10);
    expect(received('b')).toEqual(['ping1', 'ping1']);
    // Each of the two pongs is duplicated too: 1 + 2 duplicates, 4 pongs at a.
    expect(dup.stats.messagesDuplicated).toBe(3);
    expect(Echo.log.filter((l) => l.node === 'a' && l.what === 'pong1').length).toBe(4);
  });

  it('jitter and reordering change delivery order', () => {
    const w = world({ latencyJitterMeanMs: 20, reorderRate: 0.5, reorderDelayMs: 50 });
    for (let i = 0; i < 30; i++) send(w, A, B, i);
    w.runUntil(1000);
    const got = received('b').map((s) => Number(s.slice(4)));
    expect(got.length).toBe(30);
    expect(got).not.toEqual([...got].sort((x, y) => x - y));
  });

  it('a crashed node receives nothing and restarts with fresh state', () => {
    const w = world();
    w.crash(B);
    expect(w.isUp(B)).toBe(false);
    send(w, A, B, 1);
    w.runUntil(10);
    expect(received('b')).toEqual([]);
    w.restart(B);
    expect(w.incarnation(B)).toBe(1);
    expect(Echo.log.filter((l) => l.node === 'b' && l.what === 'start').length).toBe(2);
  });

  it("a crashed node's timers die with it; a re-armed timer replaces the old one", () => {
    const fired: string[] = [];
    class Timed implements Machine<Msg> {
      step(input: Input<Msg>): Effect<Msg>[] {
        if (input.type === 'start') return [{ type: 'timer', name: 't', afterMs: 10 }, { type: 'timer', name: 't', afterMs: 20 }, { type: 'timer', name: 'u', afterMs: 30 }, { type: 'cancelTimer', name: 'u' }];
        if (input.type === 'timeout') fired.push(input.name);
        return [];
      }
    }
    const w = new World<Msg>({ seed: 1, nodes: [{ id: A, factory: () => new Timed() }] });
    w.start();
    w.runUntil(15);
    expect(fired).toEqual([]); // the 10ms arm was replaced by the 20ms one
    w.runUntil(40);
    expect(fired).toEqual(['t']); // 'u' was cancelled
    w.crash(A);
    w.restart(A); // arms t@+20 again, from now
    w.crash(A);
    w.runUntil(100);
    expect(fired).toEqual(['t']);
  });

  it('a paused node gets its backlog only at resume', () => {
    const w = world();
    w.pause(B);
    send(w, A, B, 1);
    w.runUntil(50);
    expect(received('b')).toEqual([]);
    w.resume(B);
    w.runUntil(51);
    expect(received('b')).toEqual(['ping1']);
    expect(Echo.log.find((l) => l.what === 'ping1')!.at).toBeGreaterThanOrEqual(50);
  });

  it('clock offset, jump and drift change a node\'s local time only', () => {
    const w = world();
    w.runUntil(1000);
    expect(w.localTime(A)).toBe(1000);
    w.setClockOffset(A, 500);
    expect(w.localTime(A)).toBe(1500);
    w.jumpClock(A, -2000);
    expect(w.localTime(A)).toBe(-500);
    w.setClockDrift(B, 1000); // 1000 ppm = 0.1% fast
    w.runUntil(11_000);
    expect(w.localTime(B)).toBe(11_011);
    expect(w.localTime(C)).toBe(11_000);
  });

  it('a crash loses unsynced disk writes and keeps synced ones', () => {
    const w = world();
    const d = w.disk(A);
    d.execute({ op: 'append', file: 'f', data: Buffer.from('kept') });
    d.execute({ op: 'fsync', file: 'f' });
    d.execute({ op: 'fsyncDir' });
    d.execute({ op: 'append', file: 'f', data: Buffer.from('lost') });
    w.crash(A, crashLoseAll);
    expect(d.peek('f')!.toString()).toBe('kept');
  });

  it('disk faults: full disk, slow disk factor, bit rot', () => {
    const w = world();
    w.setDiskCapacity(A, 4);
    expect(w.disk(A).execute({ op: 'append', file: 'f', data: Buffer.from('12345') }).ok).toBe(false);
    w.setDiskCapacity(A, Infinity);
    w.disk(A).execute({ op: 'append', file: 'f', data: Buffer.from('A') });
    w.rotDisk(A);
    expect(w.disk(A).peek('f')!.toString()).not.toBe('A');
    expect(() => w.setDiskSlowFactor(A, 0)).toThrow();
  });
});

describe('disk latency and ordering in the world', () => {
  class Writer implements Machine<Msg> {
    static done: { req: number }[] = [];
    step(input: Input<Msg>): Effect<Msg>[] {
      if (input.type === 'start') {
        return [
          { type: 'disk', req: 1, op: { op: 'append', file: 'w', data: Buffer.from('x') } },
          { type: 'disk', req: 2, op: { op: 'fsync', file: 'w' } },
          { type: 'disk', req: 3, op: { op: 'append', file: 'w', data: Buffer.from('y') } },
        ];
      }
      if (input.type === 'disk') Writer.done.push({ req: input.req });
      return [];
    }
  }

  it('disk operations complete in issue order; a crash cancels in-flight ones', () => {
    Writer.done = [];
    const w = new World<Msg>({ seed: 3, diskLatency: { fsyncMs: 10, jitterMeanMs: 0 }, nodes: [{ id: A, factory: () => new Writer() }] });
    w.start();
    w.runUntil(5);
    expect(Writer.done.map((d) => d.req)).toEqual([1]);
    w.crash(A, crashLoseAll);
    w.runUntil(100);
    expect(Writer.done.map((d) => d.req)).toEqual([1]);
    expect(w.disk(A).fileNames()).toEqual([]); // the append was never synced, nor its directory entry
  });

  it('a slow disk factor multiplies latency', () => {
    const timeOfFsync = (factor: number) => {
      Writer.done = [];
      let at = -1;
      const w = new World<Msg>({ seed: 3, diskLatency: { fsyncMs: 10, writeMs: 0, otherMs: 0, jitterMeanMs: 0 }, nodes: [{ id: A, factory: () => new Writer() }] });
      w.observe((e) => {
        if (e.kind === 'input' && e.input.type === 'disk' && e.input.req === 2) at = e.at;
      });
      w.setDiskSlowFactor(A, factor);
      w.start();
      w.runUntil(1000);
      return at;
    };
    expect(timeOfFsync(1)).toBe(10);
    expect(timeOfFsync(5)).toBe(50);
  });
});

describe('messages through the wire format', () => {
  it('with a codec, messages arrive as decoded copies and oversized ones are dropped as wire errors', async () => {
    const { FrameCodec } = await import('../../net/frame');
    const codec = new FrameCodec<Msg>({ tags: { ping: 1, pong: 2 }, frameBytesMax: 16 });
    const got: unknown[] = [];
    class Rx implements Machine<Msg> {
      step(input: Input<Msg>): Effect<Msg>[] {
        if (input.type === 'message') got.push(input.msg);
        return [];
      }
    }
    class Tx implements Machine<Msg> {
      step(input: Input<Msg>): Effect<Msg>[] {
        if (input.type !== 'start') return [];
        return [
          { type: 'send', to: B, msg: { type: 'ping', n: 7 } },
          { type: 'send', to: B, msg: { type: 'ping', n: 2 ** 40, pad: 'x'.repeat(40) } as unknown as Msg },
        ];
      }
    }
    const w = new World<Msg>({ seed: 1, codec, keepTrace: true, nodes: [{ id: A, factory: () => new Tx() }, { id: B, factory: () => new Rx() }] });
    w.runUntil(100);
    expect(got).toEqual([{ type: 'ping', n: 7 }]);
    expect(w.stats.messagesDropped).toBe(1);
    expect(w.trace.lines!.some((l) => l.k === 'wire' && l.d.includes('frameBytesMax'))).toBe(true);
  });
});

describe('timer generations', () => {
  it('a timer cancelled and re-armed does not fire at the old deadline', () => {
    const fired: number[] = [];
    class T implements Machine<Msg> {
      step(input: Input<Msg>, nowMs: number): Effect<Msg>[] {
        if (input.type === 'start') return [{ type: 'timer', name: 'd', afterMs: 10 }];
        if (input.type === 'message') return [{ type: 'cancelTimer', name: 'd' }, { type: 'timer', name: 'd', afterMs: 100 }];
        if (input.type === 'timeout') fired.push(nowMs);
        return [];
      }
    }
    const w = new World<Msg>({ seed: 1, network: { latencyMinMs: 1, latencyJitterMeanMs: 0 }, nodes: [{ id: A, factory: () => new T() }, { id: B, factory: () => new Echo({ id: B } as MachineEnv) }] });
    w.start();
    (w as unknown as { send(f: typeof A, t: typeof A, m: Msg): void }).send(B, A, { type: 'ping', n: 1 });
    w.runUntil(500);
    expect(fired).toEqual([101]);
  });
});
