// The simulated network between named nodes. It decides, for each message sent, whether it
// is dropped, duplicated, delayed (and so reordered), blocked by a partition or held on its
// link; the World schedules the deliveries. Every decision draws from the 'network' stream.

import type { NodeId } from '../net/types';
import type { SeededRng } from './rng';

export interface NetworkConfig {
  /** Fixed part of one-way latency, ms. */
  latencyMinMs: number;
  /** Mean of the exponential jitter added to latencyMinMs, ms (jitter reorders messages). */
  latencyJitterMeanMs: number;
  /** Probability a message is silently lost. */
  dropRate: number;
  /** Probability a message is delivered twice (the copy gets its own latency). */
  duplicateRate: number;
  /** Probability a message is delayed by an extra `reorderDelayMs` (reordering it past later ones). */
  reorderRate: number;
  reorderDelayMs: number;
  /** A latency cap so a pathological draw cannot push delivery past the run. */
  latencyMaxMs: number;
}

export const defaultNetworkConfig: NetworkConfig = {
  latencyMinMs: 1,
  latencyJitterMeanMs: 1,
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderDelayMs: 20,
  latencyMaxMs: 1_000,
};

export type SendVerdict =
  | { readonly kind: 'deliver'; readonly delaysMs: readonly number[] } // one entry per copy
  | { readonly kind: 'drop'; readonly reason: 'random' | 'partition' }
  | { readonly kind: 'hold' };

const linkKey = (from: NodeId, to: NodeId) => `${from}>${to}`;

export class SimNetwork {
  config: NetworkConfig;
  /** Directed links that drop everything crossing them. */
  private readonly blocked = new Set<string>();
  /** Directed links whose messages are queued until released. */
  private readonly holding = new Set<string>();

  constructor(
    private readonly rng: SeededRng,
    config: Partial<NetworkConfig> = {},
  ) {
    this.config = { ...defaultNetworkConfig, ...config };
  }

  /** Decide a message's fate at send time. */
  onSend(from: NodeId, to: NodeId): SendVerdict {
    if (this.blocked.size > 0 || this.holding.size > 0) {
      const key = linkKey(from, to);
      if (this.blocked.has(key)) return { kind: 'drop', reason: 'partition' };
      if (this.holding.has(key)) return { kind: 'hold' };
    }
    const c = this.config;
    if (this.rng.chance(c.dropRate)) return { kind: 'drop', reason: 'random' };
    if (!this.rng.chance(c.duplicateRate)) return { kind: 'deliver', delaysMs: [this.latency()] };
    return { kind: 'deliver', delaysMs: [this.latency(), this.latency()] };
  }

  /** A partition also drops what is in flight across it when it arrives. */
  canDeliver(from: NodeId, to: NodeId): boolean {
    return this.blocked.size === 0 || !this.blocked.has(linkKey(from, to));
  }

  latency(): number {
    const c = this.config;
    let ms = c.latencyMinMs + (c.latencyJitterMeanMs > 0 ? this.rng.exponential(c.latencyJitterMeanMs) : 0);
    if (this.rng.chance(c.reorderRate)) ms += c.reorderDelayMs;
    return Math.min(Math.round(ms * 1000) / 1000, c.latencyMaxMs);
  }

  // ---- Partitions ------------------------------------------------------------------

  /** Full partition: nodes in different groups cannot talk, in either direction. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]!) for (const b of groups[j]!) this.blocked.add(linkKey(a, b));
      }
    }
  }

  /** One-way partition: `from` can no longer reach `to`; `to` still reaches `from`. */
  blockOneWay(from: NodeId, to: NodeId): void {
    this.blocked.add(linkKey(from, to));
  }

  /** Bridge: `bridge` sees every node of `left` and `right`; `left` and `right` don't see each other. */
  bridge(bridge: NodeId, left: readonly NodeId[], right: readonly NodeId[]): void {
    for (const a of left) {
      for (const b of right) {
        if (a === bridge || b === bridge) continue;
        this.blocked.add(linkKey(a, b));
        this.blocked.add(linkKey(b, a));
      }
    }
  }

  /** Cut one node off from all `others`, both directions. */
  isolate(node: NodeId, others: readonly NodeId[]): void {
    for (const o of others) {
      if (o === node) continue;
      this.blocked.add(linkKey(node, o));
      this.blocked.add(linkKey(o, node));
    }
  }

  /** Remove every partition (held links stay held until released). */
  heal(): void {
    this.blocked.clear();
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(linkKey(from, to));
  }

  blockedLinks(): string[] {
    return [...this.blocked].sort();
  }

  // ---- Hold and release (turmoil style) ---------------------------------------------

  hold(from: NodeId, to: NodeId): void {
    this.holding.add(linkKey(from, to));
  }

  /** Stop holding the link; the World re-sends what it held. */
  unhold(from: NodeId, to: NodeId): void {
    this.holding.delete(linkKey(from, to));
  }

  isHeld(from: NodeId, to: NodeId): boolean {
    return this.holding.has(linkKey(from, to));
  }
}
