// The Keepsake scenarios, as data. Each names its topology, workload, faults and what its
// acknowledgement level must survive; `keepsake scenarios` lists them.

import type { Scenario } from '../sim/scenario';
import { kvScenario, type KvScenarioConfig } from './kv';

const base: Omit<KvScenarioConfig, 'name' | 'description' | 'topology' | 'swarm'> = {
  clients: 4,
  keys: 6,
  opsPerSecPerClient: 25,
  mix: { get: 4, set: 3, incr: 2, del: 1, mget: 1, mset: 1 },
  ack: 'quorum',
  survivingLevels: ['quorum'],
  durationMs: 3_000,
  livenessMs: 4_000,
  requestTimeoutMs: 300,
  network: { latencyMinMs: 0.5, latencyJitterMeanMs: 1, dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.02 },
  keeper: { snapshotEveryRecords: 60, segmentBytesMax: 4096 },
};

export const kvScenarioConfigs: KvScenarioConfig[] = [
  {
    ...base,
    name: 'solo',
    description: 'Solo node (Core + embedded Keeper) under crashes, pauses, clock faults, slow and full disks, lossy network',
    topology: { kind: 'solo' },
    swarm: { targets: 'all', ratePerSec: 1.5, allow: { crash: true, pause: true, partition: true, clock: true, diskSlow: true, diskFull: true }, outageMaxMs: 500, clockMaxMs: 2_000 },
  },
];

export const kvScenarios: Scenario[] = kvScenarioConfigs.map((c) => kvScenario(c) as Scenario);
