// The snapshot source of a Keeper that shares its process with the Core (solo mode): the Core's
// store already is the state the log describes, so the Keeper keeps no second copy of it (no
// decoding and re-applying every entry, half the memory) and snapshots the Core's store at the
// Core's tail instead. The Keeper holds such a snapshot until its own log is durable up to that
// offset and checks that the term there agrees before writing it (core/keeper/keeper.ts).
// Peers never install snapshots into it: a solo Keeper has none.

import { assert } from '../../net/types';
import type { AheadSnapshot, SnapshotMaterializer } from '../keeper/keeper';
import type { Core } from './core';

export class CoreSnapshots implements SnapshotMaterializer {
  private core: Core | null = null;

  /** The Core is made after the Keeper (both in one factory): attach it once it exists. */
  attach(core: Core): void {
    assert(this.core === null, 'CoreSnapshots attached twice');
    this.core = core;
  }

  reset(): void {}

  apply(): void {}

  /** The Core rebuilds its own store at recovery, from this Keeper's snapshot and log. */
  restore(): void {}

  snapshot(): Uint8Array {
    assert(false, 'CoreSnapshots: the Keeper must use snapshotAhead');
    return new Uint8Array(0);
  }

  snapshotAhead(): AheadSnapshot | null {
    return this.core?.snapshotPoint() ?? null;
  }
}
