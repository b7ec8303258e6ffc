// Kernel speed: a busy 5-node network (every node pings a random peer every millisecond and
// answers every ping), with tracing and hashing on as in every run.

import { performance } from 'node:perf_hooks';
import { nodeId, type Effect, type Input, type Machine, type MachineEnv, type NodeId } from '../net/types';
import { World } from '../sim/world';
import type { Figure } from './figures';

type Msg = { readonly type: 'ping'; readonly n: number } | { readonly type: 'pong'; readonly n: number };

class Chatter implements Machine<Msg> {
  private n = 0;
  constructor(
    private readonly env: MachineEnv,
    private readonly peers: readonly NodeId[],
  ) {}
  step(input: Input<Msg>): Effect<Msg>[] {
    switch (input.type) {
      case 'start':
        return [{ type: 'timer', name: 'tick', afterMs: 1 }];
      case 'timeout':
        return [
          { type: 'send', to: this.peers[this.env.rng.int(this.peers.length)]!, msg: { type: 'ping', n: ++this.n } },
          { type: 'timer', name: 'tick', afterMs: 1 },
        ];
      case 'message':
        return input.msg.type === 'ping' ? [{ type: 'send', to: input.from, msg: { type: 'pong', n: input.msg.n } }] : [];
      case 'disk':
        return [];
    }
  }
}

export function benchKernel(simulatedMs = 100_000): Figure[] {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'].map(nodeId);
  const w = new World<Msg>({
    seed: 'bench',
    network: { latencyMinMs: 0.5, latencyJitterMeanMs: 0.5 },
    describeMsg: (m) => `${m.type} ${m.n}`,
    nodes: ids.map((id) => ({ id, factory: (env: MachineEnv) => new Chatter(env, ids.filter((x) => x !== id)) })),
  });
  const t0 = performance.now();
  w.runUntil(simulatedMs);
  const wallS = (performance.now() - t0) / 1000;
  return [
    { name: 'kernel.events_per_wall_second', value: Math.round(w.stats.events / wallS), unit: 'events/s' },
    { name: 'kernel.simulated_seconds_per_wall_second', value: Number((simulatedMs / 1000 / wallS).toFixed(2)), unit: 'x' },
    { name: 'kernel.events', value: w.stats.events, unit: 'events' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(benchKernel());
