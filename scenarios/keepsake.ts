// The Keepsake scenarios, as data. Each names its topology, workload, faults and what its
// acknowledgement level must survive; `keepsake scenarios` lists them.

import type { Scenario } from '../sim/scenario';
import { kvScenario, type KvScenarioConfig } from './kv';

const base: Omit<KvScenarioConfig, 'name' | 'description' | 'topology' | 'swarm'> = {
  clients: 4,
  keys: 6,
  opsPerSecPerClient: 25,
  mix: { get: 4, set: 3, incr: 2, del: 1, mget: 1, mset: 1, txn: 1, wcas: 1 },
  ack: 'quorum',
  survivingLevels: ['quorum'],
  durationMs: 3_000,
  livenessMs: 4_000,
  requestTimeoutMs: 300,
  network: { latencyMinMs: 0.5, latencyJitterMeanMs: 1, dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.02 },
  keeper: { snapshotEveryRecords: 60, segmentBytesMax: 4096 },
};

const split3 = { kind: 'split', keepers: 3 } as const;

export const kvScenarioConfigs: KvScenarioConfig[] = [
  {
    ...base,
    name: 'solo',
    description: 'Solo node (Core + embedded Keeper) under crashes, pauses, clock faults, slow and full disks, lossy network',
    topology: { kind: 'solo' },
    swarm: { targets: 'all', ratePerSec: 1.5, allow: { crash: true, pause: true, partition: true, clock: true, diskSlow: true, diskFull: true }, outageMaxMs: 500, clockMaxMs: 2_000 },
  },
  {
    ...base,
    name: 'keeper-crash',
    description: 'One Core, three Keepers; Keepers crash and restart under load (unsynced writes lost or torn)',
    topology: split3,
    swarm: { targets: 'keepers', ratePerSec: 2, allow: { crash: true }, outageMaxMs: 600, clockMaxMs: 0 },
    checkKeepersConverge: true,
  },
  {
    ...base,
    name: 'keeper-bitrot',
    description: 'Three Keepers whose disks rot (flipped bits in WAL segments and snapshots) and crash; corruption is detected, never applied, repaired from peers',
    topology: split3,
    swarm: { targets: 'keepers', ratePerSec: 3, allow: { diskRot: true, crash: true }, outageMaxMs: 400, clockMaxMs: 0 },
  },
  {
    ...base,
    name: 'keeper-diskfull',
    description: 'Keepers run out of disk space: writes are refused with MISCONF, nothing acknowledged is lost, service resumes when space returns',
    topology: split3,
    swarm: { targets: 'keepers', ratePerSec: 2, allow: { diskFull: true, diskSlow: true, crash: true }, outageMaxMs: 800, clockMaxMs: 0 },
    checkKeepersConverge: true,
  },
  {
    ...base,
    name: 'solo-diskfull',
    description: 'Solo node whose disk fills up and empties again, with crashes',
    topology: { kind: 'solo' },
    swarm: { targets: 'all', ratePerSec: 2, allow: { diskFull: true, crash: true }, outageMaxMs: 800, clockMaxMs: 0 },
  },
  {
    ...base,
    name: 'cores-lost',
    description: 'The Core (every Core) is lost again and again and rebuilt from the Keepers; quorum-acknowledged writes survive',
    topology: split3,
    swarm: { targets: 'cores', ratePerSec: 2, allow: { crash: true, pause: true }, outageMaxMs: 300, clockMaxMs: 0 },
    fixedFaults: [
      { atMs: 1_000, fault: { kind: 'crash', node: 'core1' } },
      { atMs: 1_010, fault: { kind: 'restart', node: 'core1' } },
    ],
  },
  {
    ...base,
    name: 'keeper-outage',
    description: 'A Keeper is down for most of the run, then catches up from its peers by offset (no full copy)',
    topology: split3,
    keeper: { snapshotEveryRecords: 100_000, segmentBytesMax: 4096 },
    swarm: { targets: 'cores', ratePerSec: 0.5, allow: { crash: true }, outageMaxMs: 200, clockMaxMs: 0 },
    fixedFaults: [
      { atMs: 200, fault: { kind: 'crash', node: 'keeper3' } },
      { atMs: 2_800, fault: { kind: 'restart', node: 'keeper3' } },
    ],
    checkKeepersConverge: true,
    checkCatchUpByOffset: 'keeper3',
  },
  {
    ...base,
    name: 'blocking-queue',
    description: 'Producers RPUSH and consumers BLPOP with timeouts while Cores crash and Keepers stall: every element is delivered exactly once',
    topology: split3,
    mix: { get: 1, set: 1, incr: 0, del: 0, mget: 0, mset: 0, txn: 1, push: 4, bpop: 4 },
    swarm: { targets: 'all', ratePerSec: 1.5, allow: { crash: true, pause: true, diskSlow: true }, outageMaxMs: 400, clockMaxMs: 0 },
  },
  {
    ...base,
    name: 'ack-memory',
    description: 'Acknowledgement level memory: survives everything but a Core crash (network faults and pauses only, no crash)',
    topology: { kind: 'solo' },
    ack: 'memory',
    survivingLevels: ['memory'],
    swarm: { targets: 'all', ratePerSec: 2, allow: { partition: true, pause: true, diskSlow: true }, outageMaxMs: 500, clockMaxMs: 0 },
  },
  {
    ...base,
    name: 'ack-one',
    description: 'Acknowledgement level one: survives losing every Core while the Keepers stay up and reachable',
    topology: split3,
    ack: 'one',
    survivingLevels: ['one'],
    swarm: { targets: 'cores', ratePerSec: 2, allow: { crash: true }, outageMaxMs: 300, clockMaxMs: 0 },
  },
  {
    ...base,
    name: 'ack-quorum',
    description: 'Acknowledgement level quorum (default): survives losing every Core at once plus a minority of Keepers crashing',
    topology: split3,
    survivingLevels: ['quorum'],
    swarm: { targets: 'all', ratePerSec: 2.5, allow: { crash: true, partition: true }, outageMaxMs: 400, clockMaxMs: 0 },
  },
];

export const kvScenarios: Scenario[] = kvScenarioConfigs.map((c) => kvScenario(c) as Scenario);

/** Planted Core bugs: these must fail. */
export const kvBugScenarios: Scenario[] = [
  kvScenario({
    ...base,
    name: 'bug-split-txn',
    description: 'PLANTED BUG: the Core logs each command of an EXEC as its own entry; a crash can leave half a transaction (must fail)',
    topology: split3,
    mix: { get: 2, set: 1, incr: 1, del: 0, mget: 2, mset: 0, txn: 4 },
    swarm: { targets: 'all', ratePerSec: 3, allow: { crash: true }, outageMaxMs: 300, clockMaxMs: 0 },
    disk: { fsyncMs: 4 },
    coreBugs: { splitTransactions: true },
  }) as Scenario,
  kvScenario({
    ...base,
    name: 'bug-ignore-watch',
    description: 'PLANTED BUG: EXEC ignores WATCHed keys; a check-and-set overwrites a concurrent write (must fail)',
    topology: { kind: 'solo' },
    keys: 2,
    mix: { get: 1, set: 2, incr: 0, del: 0, mget: 0, mset: 0, txn: 0, wcas: 6 },
    swarm: null,
    coreBugs: { ignoreWatches: true },
  }) as Scenario,
];
