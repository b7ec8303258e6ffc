// Keepers inside the simulation kernel (sim/world.ts): real disk latencies (a serial disk per
// node, fsync 2 ms), network latency, random power losses of keepers (randomCrash), restarts.
// A toy leader streams committed entries to both keepers and resends from what each one
// reports. Checks: a restarted keeper recovers (before any catch-up) at least every offset it
// acknowledged before the crash, never applies a wrong payload, and in the end both keepers
// hold the whole log.

import { describe, expect, it } from 'vitest';
import { nodeId, type Effect, type Input, type Machine, type NodeId } from '../../net/types';
import { World } from '../../sim/world';
import { Keeper } from '../../core/keeper/keeper';
import type { KeeperMsg } from '../../core/keeper/messages';
import { ToyLog, entriesOf, payloadOf } from './harness';

const ks = [nodeId('keeper1'), nodeId('keeper2')];
const core = nodeId('core1');
const total = 150;

class Leader implements Machine<KeeperMsg> {
  produced = 0;
  readonly known = new Map<NodeId, number>();
  readonly acked = new Map<NodeId, number>();
  step(input: Input<KeeperMsg>): Effect<KeeperMsg>[] {
    if (input.type === 'message') {
      const m = input.msg;
      if (m.type === 'k.appendOk' || m.type === 'k.appendReject') this.known.set(input.from, m.durableOffset);
      if (m.type === 'k.appendOk') this.acked.set(input.from, Math.max(this.acked.get(input.from) ?? 0, m.durableOffset));
      return [];
    }
    if (input.type !== 'start' && input.type !== 'timeout') return [];
    this.produced = Math.min(total, this.produced + (input.type === 'timeout' ? 1 : 0));
    const out: Effect<KeeperMsg>[] = [{ type: 'timer', name: 'tick', afterMs: 1 }];
    for (const k of ks) {
      const from = (this.known.get(k) ?? 0) + 1;
      if (from > this.produced) continue;
      const count = Math.min(this.produced - from + 1, 8);
      out.push({ type: 'send', to: k, msg: { type: 'k.append', term: 1, leader: core, prevOffset: from - 1, prevTerm: from === 1 ? 0 : 1, entries: entriesOf(from, count, 1) } });
    }
    return out;
  }
}

interface Incarnation {
  keeper: Keeper;
  sm: ToyLog;
  recoveredAt: number | null;
}

describe('keepers in the simulator', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: crashes lose nothing acknowledged; both keepers end with the whole log`, () => {
      const leader = new Leader();
      const current = new Map<NodeId, Incarnation>();
      const keeperMachine = (id: NodeId): Machine<KeeperMsg> => {
        const sm = new ToyLog();
        const inc: Incarnation = { keeper: new Keeper({ id, peers: ks.filter((k) => k !== id), snapshotEveryRecords: 20, snapshotEveryBytes: 1 << 20, segmentBytesMax: 400, stateMachine: sm }), sm, recoveredAt: null };
        current.set(id, inc);
        return {
          step(input, nowMs) {
            const effects = inc.keeper.step(input, nowMs);
            if (inc.recoveredAt === null && inc.keeper.phase === 'serving') inc.recoveredAt = inc.keeper.durableOffset;
            return effects;
          },
        };
      };
      const w = new World<KeeperMsg>({
        seed,
        nodes: [{ id: core, factory: () => leader }, ...ks.map((id) => ({ id, factory: () => keeperMachine(id) }))],
      });
      w.start();
      const checks: string[] = [];
      for (let t = 20; t < 300; t += 37) {
        const victim = ks[(t + seed) % 2]!;
        w.at(t, `crash ${victim}`, () => {
          const mustHave = leader.acked.get(victim) ?? 0;
          w.crash(victim);
          leader.known.delete(victim);
          w.at(t + 5, `restart ${victim}`, () => {
            w.restart(victim);
            const inc = current.get(victim)!;
            w.at(t + 30, `check ${victim}`, () => {
              expect(inc.recoveredAt, `seed ${seed} t ${t} ${victim}`).not.toBe(null);
              expect(inc.recoveredAt!, `seed ${seed} t ${t} ${victim}`).toBeGreaterThanOrEqual(mustHave);
              checks.push(`${victim}@${t}: acked ${mustHave}, recovered ${inc.recoveredAt}`);
            });
          });
        });
      }
      w.runUntil(2000);
      expect(checks.length).toBe(8);
      expect(Math.max(...[...leader.acked.values()])).toBe(total);
      for (const k of ks) {
        const inc = current.get(k)!;
        expect(inc.keeper.durableOffset, `seed ${seed} ${k}`).toBe(total);
        expect(inc.sm.applied).toEqual(Array.from({ length: total }, (_, i) => payloadOf(i + 1)));
      }
      expect(w.stats.crashes).toBe(8);
    });
  }
});
