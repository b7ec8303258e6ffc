import { describe, expect, it } from 'vitest';
import { HistoryRecorder, describeOp, historyFromJson, historyToJson } from '../../sim/history';
import { AssertionError } from '../../net/types';

describe('HistoryRecorder', () => {
  it('records invoke/complete and marks open operations unknown at finish', () => {
    const r = new HistoryRecorder();
    const a = r.invoke('c1', { type: 'set', key: 'x', value: 'a' }, 0);
    const b = r.invoke('c2', { type: 'get', key: 'x' }, 3);
    r.complete(a, { type: 'ok' }, 5);
    const ops = r.finish(50);
    expect(ops).toEqual([
      { id: a, client: 'c1', input: { type: 'set', key: 'x', value: 'a' }, invokeMs: 0, completeMs: 5, output: { type: 'ok' } },
      { id: b, client: 'c2', input: { type: 'get', key: 'x' }, invokeMs: 3, completeMs: Infinity, output: { type: 'unknown' } },
    ]);
    expect(describeOp(ops[1]!)).toBe('get(x) by c2 at [3ms, (no reply)] -> unknown');
  });

  it('round-trips through JSON with unknown completions as null', () => {
    const r = new HistoryRecorder();
    r.invoke('c1', { type: 'mset', pairs: [['a', '1']] }, 1);
    r.complete(r.invoke('c1', { type: 'mget', keys: ['a', 'b'] }, 2), { type: 'values', values: ['1', null] }, 4);
    const ops = r.finish(10);
    const text = JSON.stringify(historyToJson(ops));
    expect(text).toContain('"completeMs":null');
    expect(historyFromJson(JSON.parse(text))).toEqual(ops);
  });

  it('asserts on bugs: double completion, time travel, mismatched output', () => {
    const r = new HistoryRecorder();
    const a = r.invoke('c1', { type: 'get', key: 'x' }, 10);
    expect(() => r.complete(a, { type: 'value', value: null }, 9)).toThrow(AssertionError);
    expect(() => r.complete(a, { type: 'ok' }, 11)).toThrow(AssertionError);
    r.complete(a, { type: 'value', value: null }, 11);
    expect(() => r.complete(a, { type: 'value', value: null }, 12)).toThrow(AssertionError);
    expect(() => r.invoke('c1', { type: 'mget', keys: [] }, 12)).toThrow(AssertionError);
    r.finish(20);
    expect(() => r.invoke('c1', { type: 'get', key: 'x' }, 21)).toThrow(AssertionError);
  });
});
