// The Core state machine driven by hand: recovery, term establishment, and the promise that a
// transaction is one state-machine command and one log entry (all or nothing after a crash).
import { describe, expect, it } from 'vitest';
import { decodeMutationBatch } from '../../core/keeper/store-materializer';
import { Core, coreConfigDefaults } from '../../core/node/core';
import { batchRequestsMax, CoreErrors, type ClientRequest, type NodeMsg } from '../../core/node/protocol';
import { nodeId, type Effect } from '../../net/types';
import { canonicalReply } from '../../net/reply';
import { SeededRng } from '../../sim/rng';

const K = nodeId('k1');
const C = nodeId('client');
const b = (s: string) => Buffer.from(s);

function servingCore(): { core: Core; now: number } {
  const core = new Core({ id: nodeId('core'), rng: new SeededRng('t'), incarnation: 0 }, { ...coreConfigDefaults, keepers: [K] });
  let out = core.step({ type: 'start' }, 0);
  expect(out.some((e) => e.type === 'send' && e.msg.type === 'k.query')).toBe(true);
  out = core.step({ type: 'message', from: K, msg: { type: 'k.state', term: 3, durableOffset: 0, durableTerm: 0, snapshotOffset: 0, corruptRanges: [] } }, 1);
  const establish = out.find((e) => e.type === 'send' && e.msg.type === 'k.append');
  expect(establish && establish.type === 'send' && establish.msg.type === 'k.append' && establish.msg.term).toBe(4); // above every term seen
  core.step({ type: 'message', from: K, msg: { type: 'k.appendOk', term: 4, durableOffset: 0 } }, 2);
  expect(core.view().phase).toBe('serving');
  return { core, now: 3 };
}

const appends = (effects: Effect<NodeMsg>[]) => effects.flatMap((e) => (e.type === 'send' && e.msg.type === 'k.append' ? [e.msg] : []));
const replies = (effects: Effect<NodeMsg>[]) => effects.flatMap((e) => (e.type === 'send' && e.msg.type === 'c.reply' ? [e.msg] : []));

describe('Core', () => {
  it('recovers from the Keeper whose log is most up to date by last term, then length (Raft\'s rule)', () => {
    // k2 holds a longer log whose tail is an old leader's uncommitted term-1 suffix; k1 and k3
    // hold a shorter log ending in term 2, whose entries a quorum acknowledged. Choosing by
    // length alone would adopt k2's log and drop the acknowledged term-2 writes.
    const ks = [nodeId('k1'), nodeId('k2'), nodeId('k3')];
    const core = new Core({ id: nodeId('core'), rng: new SeededRng('t'), incarnation: 0 }, { ...coreConfigDefaults, keepers: ks });
    core.step({ type: 'start' }, 0);
    const state = (durableOffset: number, durableTerm: number) => ({ type: 'k.state' as const, term: 2, durableOffset, durableTerm, snapshotOffset: 0, corruptRanges: [] });
    core.step({ type: 'message', from: ks[1]!, msg: state(9, 1) }, 1);
    core.step({ type: 'message', from: ks[2]!, msg: state(7, 2) }, 2);
    const out = core.step({ type: 'message', from: ks[0]!, msg: state(7, 2) }, 3);
    const fetch = out.find((e) => e.type === 'send' && e.msg.type === 'k.fetch');
    expect(fetch && fetch.type === 'send' && String(fetch.to)).toBe('k1');
  });

  it('answers LOADING until it has recovered and established its term', () => {
    const core = new Core({ id: nodeId('core'), rng: new SeededRng('t'), incarnation: 0 }, { ...coreConfigDefaults, keepers: [K] });
    core.step({ type: 'start' }, 0);
    const out = core.step({ type: 'message', from: C, msg: { type: 'c.req', req: 1, argv: [b('GET'), b('x')], db: 0, user: null, ack: 'quorum' } }, 1);
    const r = replies(out)[0]!;
    expect(r.reply.t === 'error' && r.reply.s).toMatch(/^LOADING/);
  });

  it('a MULTI block of three writes becomes exactly one log entry, acknowledged only once durable', () => {
    const { core, now } = servingCore();
    const out = core.step(
      { type: 'message', from: C, msg: { type: 'c.exec', req: 1, db: 0, user: null, ack: 'quorum', watches: [], commands: [[b('SET'), b('a'), b('1')], [b('INCR'), b('n')], [b('RPUSH'), b('l'), b('x'), b('y')]] } },
      now,
    );
    const sent = appends(out);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.entries).toHaveLength(1);
    const batch = decodeMutationBatch(sent[0]!.entries[0]!.payload);
    expect(batch.ok && batch.mutations.map((m) => m.argv[0]!.toString())).toEqual(['SET', 'INCR', 'RPUSH']);
    expect(replies(out)).toEqual([]); // not durable yet: no reply
    const acked = core.step({ type: 'message', from: K, msg: { type: 'k.appendOk', term: 4, durableOffset: 1 } }, now + 1);
    const r = replies(acked)[0]!;
    expect(r.reply.t).toBe('array');
    expect(r.reply.t === 'array' && r.reply.items.map((x) => x.t)).toEqual(['simple', 'int', 'int']);
  });

  it('a duplicated request is executed once', () => {
    const { core, now } = servingCore();
    const msg: NodeMsg = { type: 'c.req', req: 7, argv: [b('INCR'), b('n')], db: 0, user: null, ack: 'memory' };
    const first = core.step({ type: 'message', from: C, msg }, now);
    const second = core.step({ type: 'message', from: C, msg }, now + 1);
    expect(replies(first)).toHaveLength(1);
    expect(replies(second)).toEqual([]);
    expect(core.view().tail).toBe(1);
    expect(canonicalReply(core.view().store.execute([b('GET'), b('n')], now + 2, { db: 0, user: null }).reply)).toEqual({ t: 'bulk', b: b('1') });
  });

  it('memory-level entries go to the Keepers together within lazyPumpMs; a waiting request ships everything at once', () => {
    const { core, now } = servingCore();
    const req = (i: number, ack: 'memory' | 'quorum'): NodeMsg => ({ type: 'c.req', req: i, argv: [b('INCR'), b('n')], db: 0, user: null, ack });
    const timers = (effects: Effect<NodeMsg>[]) => effects.flatMap((e) => (e.type === 'timer' && e.name === 'lazy-pump' ? [e.afterMs] : []));
    const first = core.step({ type: 'message', from: C, msg: req(1, 'memory') }, now);
    expect(replies(first)).toHaveLength(1); // answered at once
    expect(appends(first)).toEqual([]);
    expect(timers(first)).toEqual([coreConfigDefaults.lazyPumpMs]);
    const second = core.step({ type: 'message', from: C, msg: req(2, 'memory') }, now);
    expect(appends(second)).toEqual([]);
    expect(timers(second)).toEqual([]); // armed once
    const fired = core.step({ type: 'timeout', name: 'lazy-pump' }, now + coreConfigDefaults.lazyPumpMs);
    expect(appends(fired).map((m) => m.entries.map((e) => e.offset))).toEqual([[1, 2]]);
    // Another memory-level write, then one at quorum: both leave in the quorum write's step.
    const third = core.step({ type: 'message', from: C, msg: req(3, 'memory') }, now + 3);
    expect(timers(third)).toHaveLength(1);
    const fourth = core.step({ type: 'message', from: C, msg: req(4, 'quorum') }, now + 3);
    expect(appends(fourth).map((m) => m.entries.map((e) => e.offset))).toEqual([[3, 4]]);
    expect(fourth.some((e) => e.type === 'cancelTimer' && e.name === 'lazy-pump')).toBe(true);
    expect(replies(fourth)).toEqual([]); // waits for the Keeper
    const acked = core.step({ type: 'message', from: K, msg: { type: 'k.appendOk', term: 4, durableOffset: 4 } }, now + 4);
    expect(replies(acked).map((r) => r.req)).toEqual([4]);
  });

  it('a Keeper acknowledging a higher term fences the Core and sends it back to recovery', () => {
    const { core, now } = servingCore();
    core.step({ type: 'message', from: C, msg: { type: 'c.req', req: 1, argv: [b('SET'), b('a'), b('1')], db: 0, user: null, ack: 'quorum' } }, now);
    const out = core.step({ type: 'message', from: K, msg: { type: 'k.appendReject', term: 9, reason: 'staleTerm', durableOffset: 0 } }, now + 1);
    expect(core.view().phase).toBe('fenced');
    const r = replies(out)[0]!;
    expect(r.reply.t === 'error' && r.reply.s).toMatch(/^UNCERTAIN/);
  });

  it('a batch runs like its requests one by one, with one append for all their entries', () => {
    const cmds = [['SET', 'a', '1'], ['GET', 'a'], ['INCR', 'n'], ['GET', 'missing'], ['INCR', 'a'], ['RPUSH', 'l', 'x'], ['NOSUCH']];
    const req = (i: number): ClientRequest => ({ type: 'c.req', req: i + 1, argv: cmds[i]!.map(b), db: 0, user: null, ack: 'quorum' });
    const one = servingCore();
    const alone = cmds.map((_, i) => one.core.step({ type: 'message', from: C, msg: req(i) }, one.now));
    const many = servingCore();
    const batched = many.core.step({ type: 'message', from: C, msg: { type: 'c.batch', reqs: cmds.map((_, i) => req(i)) } }, many.now);
    // The same entries reach the Keeper: one append in the batch, one per write alone.
    const entries = (ms: ReturnType<typeof appends>) => ms.flatMap((m) => m.entries.map((e) => ({ offset: e.offset, payload: Buffer.from(e.payload).toString('hex') })));
    expect(appends(batched)).toHaveLength(1);
    expect(appends(alone.flat())).toHaveLength(4);
    expect(entries(appends(batched))).toEqual(entries(appends(alone.flat())));
    // Reads of nothing pending answer at once (in order); the rest wait for durability.
    expect(replies(batched)).toEqual(replies(alone.flat()));
    const ackedOne = one.core.step({ type: 'message', from: K, msg: { type: 'k.appendOk', term: 4, durableOffset: 4 } }, one.now + 1);
    const ackedMany = many.core.step({ type: 'message', from: K, msg: { type: 'k.appendOk', term: 4, durableOffset: 4 } }, many.now + 1);
    expect(replies(ackedMany)).toEqual(replies(ackedOne));
    expect(replies(batched).length + replies(ackedMany).length).toBe(cmds.length);
    expect(many.core.view().store.digest()).toBe(one.core.view().store.digest());
  });

  it('a batch over the limit answers the excess with an error and runs the rest', () => {
    const { core, now } = servingCore();
    const reqs: ClientRequest[] = Array.from({ length: batchRequestsMax + 2 }, (_, i) => ({ type: 'c.req', req: i + 1, argv: [b('INCR'), b('n')], db: 0, user: null, ack: 'memory' }));
    const out = replies(core.step({ type: 'message', from: C, msg: { type: 'c.batch', reqs } }, now));
    expect(out).toHaveLength(batchRequestsMax + 2);
    expect(out.slice(-2).map((r) => r.reply.t === 'error' && r.reply.s)).toEqual([CoreErrors.batchTooLarge, CoreErrors.batchTooLarge]);
    expect(out[batchRequestsMax - 1]!.reply).toEqual({ t: 'int', n: batchRequestsMax });
  });
});
