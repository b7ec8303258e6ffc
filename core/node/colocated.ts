// Several state machines in one process (solo mode: a Core with an embedded Keeper; later an
// application instance with its embedded cache). To the world it is one machine with one
// node id, one disk and one clock: messages between the parts are delivered in-process, in
// FIFO order, within the same step; timers are namespaced per part; disk requests are
// renumbered so each result returns to the part that asked. A crash takes every part down.

import { assert, unreachable, type Effect, type Input, type Machine, type NodeId } from '../../net/types';

export interface Part<M> {
  /** The id other parts (and remote nodes' replies routed by the host) use to reach this part. */
  readonly id: NodeId;
  readonly machine: Machine<M>;
}

/** Most in-process deliveries in one step: a ping-pong loop between parts is a bug. */
export const colocatedDeliveriesPerStepMax = 100_000;

export class Colocated<M> implements Machine<M> {
  private readonly byId = new Map<NodeId, number>();
  private diskSeq = 0;
  private readonly diskOwner = new Map<number, { part: number; req: number }>();

  /**
   * @param hostId the node id the world knows this process by.
   * @param parts the machines; parts[0] receives every message from outside (its replies go out
   *   as the host's); a message from outside addressed to another part must name it via `route`.
   * @param route which part an outside message is for (default: the first part).
   */
  constructor(
    readonly hostId: NodeId,
    private readonly parts: readonly Part<M>[],
    private readonly route: (from: NodeId, msg: M) => number = () => 0,
  ) {
    assert(parts.length >= 1, 'colocated needs a part');
    parts.forEach((p, i) => {
      assert(!this.byId.has(p.id), `duplicate part id ${p.id}`);
      assert(!p.id.includes('/'), 'part ids must not contain /');
      this.byId.set(p.id, i);
    });
  }

  part(i: number): Machine<M> {
    const p = this.parts[i];
    assert(p, `no part ${i}`);
    return p.machine;
  }

  step(input: Input<M>, nowMs: number): Effect<M>[] {
    switch (input.type) {
      case 'start':
        return this.run(this.parts.map((_, i) => ({ part: i, input })), nowMs);
      case 'message':
        return this.run([{ part: this.route(input.from, input.msg), input }], nowMs);
      case 'timeout': {
        const slash = input.name.indexOf('/');
        const part = this.byId.get(input.name.slice(0, slash) as NodeId);
        if (slash < 0 || part === undefined) return [{ type: 'note', text: `colocated: timer ${input.name} has no owner` }];
        return this.run([{ part, input: { type: 'timeout', name: input.name.slice(slash + 1) } }], nowMs);
      }
      case 'disk': {
        const owner = this.diskOwner.get(input.req);
        if (!owner) return [{ type: 'note', text: `colocated: disk result ${input.req} has no owner` }];
        this.diskOwner.delete(input.req);
        return this.run([{ part: owner.part, input: { type: 'disk', req: owner.req, result: input.result } }], nowMs);
      }
      default:
        return unreachable(input, 'input');
    }
  }

  private run(queue: { part: number; input: Input<M> }[], nowMs: number): Effect<M>[] {
    const out: Effect<M>[] = [];
    let deliveries = 0;
    for (let i = 0; i < queue.length; i++) {
      const { part, input } = queue[i]!;
      const p = this.parts[part]!;
      for (const e of p.machine.step(input, nowMs)) {
        switch (e.type) {
          case 'send': {
            const target = this.byId.get(e.to);
            if (target === undefined) {
              out.push(e);
              break;
            }
            deliveries += 1;
            assert(deliveries <= colocatedDeliveriesPerStepMax, 'colocated parts are looping');
            queue.push({ part: target, input: { type: 'message', from: p.id, msg: e.msg } });
            break;
          }
          case 'timer':
          case 'cancelTimer':
            out.push({ ...e, name: `${p.id}/${e.name}` });
            break;
          case 'disk': {
            const req = ++this.diskSeq;
            this.diskOwner.set(req, { part, req: e.req });
            out.push({ ...e, req });
            break;
          }
          case 'note':
            out.push(e);
            break;
          default:
            unreachable(e, 'effect');
        }
      }
    }
    return out;
  }
}
