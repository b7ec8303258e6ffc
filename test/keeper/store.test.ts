// The keeper with the real store as its materializer: a leader store executes commands, its
// mutations go through the keeper as WAL payloads, and the keeper's store (live, after
// compaction, and after a restart from snapshot + delta) has the leader's digest.

import { describe, expect, it } from 'vitest';
import { nodeId, type Effect, type Input } from '../../net/types';
import { SimDisk, crashLoseAll } from '../../sim/disk';
import { SeededRng } from '../../sim/rng';
import { Store, type StoreOptions } from '../../core/store';
import { Keeper } from '../../core/keeper/keeper';
import type { KeeperEntry, KeeperMsg } from '../../core/keeper/messages';
import { StoreMaterializer, decodeMutationBatch, encodeMutationBatch } from '../../core/keeper/store-materializer';

const opts = (): StoreOptions => ({ maxmemoryBytes: 0, policy: 'noeviction', rng: new SeededRng('store') });
const k1 = nodeId('keeper1');

/** Runs a keeper on a SimDisk until nothing is pending; returns what it sent. */
function drive(keeper: Keeper, disk: SimDisk, inputs: Input<KeeperMsg>[]): KeeperMsg[] {
  const sent: KeeperMsg[] = [];
  const queue = [...inputs];
  for (let n = 0; queue.length > 0; n++) {
    expect(n).toBeLessThan(100_000);
    for (const e of keeper.step(queue.shift()!, 0) as Effect<KeeperMsg>[]) {
      if (e.type === 'disk') queue.push({ type: 'disk', req: e.req, result: disk.execute(e.op) });
      if (e.type === 'send') sent.push(e.msg);
    }
  }
  return sent;
}

function workload(): { leader: Store; entries: KeeperEntry[] } {
  const leader = new Store(opts());
  const session = { db: 0, user: null };
  const entries: KeeperEntry[] = [];
  const b = (...xs: string[]) => xs.map((x) => Buffer.from(x));
  for (let i = 0; i < 120; i++) {
    const cmds = [
      b('SET', `s${i % 13}`, `v${i}`),
      b('INCR', `n${i % 5}`),
      b('HSET', `h${i % 4}`, `f${i % 9}`, `${i}`),
      b('RPUSH', `l${i % 3}`, `${i}`),
      b('ZADD', 'z', `${i % 17}`, `m${i % 11}`),
      b('SET', `t${i}`, 'x', 'PX', '1000'),
      b('DEL', `s${(i + 5) % 13}`),
      b('LPOP', `l${(i + 1) % 3}`),
    ];
    const argv = cmds[i % cmds.length]!;
    const r = leader.execute(argv, 1_000_000 + i, session);
    if (r.mutations.length > 0) {
      entries.push({ offset: entries.length + 1, term: 1, payload: encodeMutationBatch(r.mutations) });
    }
  }
  return { leader, entries };
}

describe('keeper + store materializer', () => {
  it('mutation batches round-trip through the codec; junk is refused', () => {
    const ms = [{ db: 3, argv: [Buffer.from('SET'), Buffer.from('k'), Buffer.from([0, 255, 1])] }];
    const d = decodeMutationBatch(encodeMutationBatch(ms));
    expect(d).toEqual({ ok: true, mutations: ms });
    expect(decodeMutationBatch(Buffer.from([0xc1])).ok).toBe(false);
    expect(decodeMutationBatch(encodeMutationBatch([])).ok).toBe(true);
  });

  it('the keeper store matches the leader live, after compaction, and after a restart', () => {
    const { leader, entries } = workload();
    expect(entries.length).toBeGreaterThan(80);
    const disk = new SimDisk();
    const cfg = { id: k1, peers: [], snapshotEveryRecords: 25, snapshotEveryBytes: 1 << 20, segmentBytesMax: 800 };
    const sm = new StoreMaterializer(opts());
    const keeper = new Keeper({ ...cfg, stateMachine: sm });
    drive(keeper, disk, [{ type: 'start' }]);
    expect(keeper.phase).toBe('serving');
    const inputs: Input<KeeperMsg>[] = [];
    for (let i = 0; i < entries.length; i += 7) {
      const batch = entries.slice(i, i + 7);
      const prev = i === 0 ? 0 : entries[i - 1]!.offset;
      inputs.push({ type: 'message', from: nodeId('core1'), msg: { type: 'k.append', term: 1, leader: nodeId('core1'), prevOffset: prev, prevTerm: prev === 0 ? 0 : 1, entries: batch } });
    }
    const sent = drive(keeper, disk, inputs);
    expect(sent.filter((m) => m.type === 'k.appendReject')).toEqual([]);
    expect(keeper.durableOffset).toBe(entries.length);
    expect(keeper.stats().snapshotsWritten).toBeGreaterThanOrEqual(3);
    expect(keeper.snapshotOffset).toBeGreaterThan(0);
    expect(sm.store.digest()).toBe(leader.digest());

    disk.crash(crashLoseAll);
    const sm2 = new StoreMaterializer(opts());
    const again = new Keeper({ ...cfg, stateMachine: sm2 });
    drive(again, disk, [{ type: 'start' }]);
    expect(again.durableOffset).toBe(entries.length);
    expect(again.snapshotOffset).toBe(keeper.snapshotOffset);
    expect(sm2.store.digest()).toBe(leader.digest());
  });
});
