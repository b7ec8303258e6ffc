// A pipelined chunk goes to the Core as one `c.batch`: for any commands and any way of cutting
// them into batches, the Core must answer exactly as if they had come one by one — the same
// reply to every request, the same log entries (offsets and bytes), the same final store.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Core, coreConfigDefaults } from '../../core/node/core';
import type { AckLevel, ClientRequest, NodeMsg } from '../../core/node/protocol';
import { nodeId, type Effect } from '../../net/types';
import { SeededRng } from '../../sim/rng';

const K = nodeId('k1');
const C = nodeId('client');

function servingCore(): Core {
  const core = new Core({ id: nodeId('core'), rng: new SeededRng('batch'), incarnation: 0 }, { ...coreConfigDefaults, keepers: [K] });
  core.step({ type: 'start' }, 0);
  core.step({ type: 'message', from: K, msg: { type: 'k.state', term: 3, durableOffset: 0, durableTerm: 0, snapshotOffset: 0, corruptRanges: [] } }, 1);
  core.step({ type: 'message', from: K, msg: { type: 'k.appendOk', term: 4, durableOffset: 0 } }, 2);
  expect(core.view().phase).toBe('serving');
  return core;
}

const key = fc.constantFrom('a', 'b', 'c');
const command = fc.oneof(
  fc.tuple(key, fc.constantFrom('1', '2', 'x')).map(([k, v]) => ['SET', k, v]),
  key.map((k) => ['GET', k]),
  key.map((k) => ['INCR', k]),
  key.map((k) => ['DEL', k]),
  fc.tuple(key, fc.constantFrom('p', 'q')).map(([k, v]) => ['RPUSH', `l${k}`, v]),
  key.map((k) => ['LPOP', `l${k}`]),
  fc.tuple(key, key).map(([k1, k2]) => ['MGET', k1, k2]),
  key.map((k) => ['EXPIRE', k, '100']),
  fc.constant<string[]>(['NOSUCHCOMMAND', 'a']),
);
const request = fc.record({ argv: command, ack: fc.constantFrom<AckLevel>('memory', 'quorum') });

/** Everything the Core said: replies by request id, and log entries by offset. */
interface Heard {
  readonly replies: Map<number, unknown>;
  readonly entries: Map<number, string>;
}

function listen(heard: Heard, effects: Effect<NodeMsg>[]): void {
  for (const e of effects) {
    if (e.type !== 'send') continue;
    if (e.msg.type === 'c.reply') {
      expect(heard.replies.has(e.msg.req), `request ${e.msg.req} answered twice`).toBe(false);
      heard.replies.set(e.msg.req, e.msg.reply);
    }
    if (e.msg.type === 'k.append') for (const x of e.msg.entries) heard.entries.set(x.offset, `${x.term}:${Buffer.from(x.payload).toString('hex')}`);
  }
}

/** Runs the requests cut into batches of the given sizes (size 1: a plain c.req). */
function run(reqs: readonly { argv: string[]; ack: AckLevel }[], sizes: readonly number[]): { heard: Heard; digest: string } {
  const core = servingCore();
  const heard: Heard = { replies: new Map(), entries: new Map() };
  const msgs: ClientRequest[] = reqs.map((r, i) => ({ type: 'c.req', req: i + 1, argv: r.argv.map((a) => Buffer.from(a)), db: 0, user: null, ack: r.ack }));
  let at = 0;
  let now = 10;
  for (let s = 0; at < msgs.length; s++) {
    const n = Math.max(1, sizes[s % Math.max(1, sizes.length)] ?? 1);
    const chunk = msgs.slice(at, at + n);
    at += chunk.length;
    const msg: NodeMsg = chunk.length === 1 ? chunk[0]! : { type: 'c.batch', reqs: chunk };
    listen(heard, core.step({ type: 'message', from: C, msg }, now));
  }
  // Ship what waits for the interval, then the Keeper makes everything durable.
  now += coreConfigDefaults.lazyPumpMs;
  listen(heard, core.step({ type: 'timeout', name: 'lazy-pump' }, now));
  listen(heard, core.step({ type: 'message', from: K, msg: { type: 'k.appendOk', term: 4, durableOffset: core.view().tail } }, now + 1));
  return { heard, digest: core.view().store.digest() };
}

describe('c.batch', () => {
  it('answers, logs and stores exactly as the same requests one by one, however they are cut', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }), (reqs, sizes) => {
        const alone = run(reqs, [1]);
        const batched = run(reqs, sizes);
        expect(alone.heard.replies.size).toBe(reqs.length); // every request answered
        expect([...batched.heard.replies].sort(([a], [b]) => a - b)).toEqual([...alone.heard.replies].sort(([a], [b]) => a - b));
        expect([...batched.heard.entries].sort(([a], [b]) => a - b)).toEqual([...alone.heard.entries].sort(([a], [b]) => a - b));
        expect(batched.digest).toBe(alone.digest);
      }),
      { numRuns: 150 },
    );
  });
});
