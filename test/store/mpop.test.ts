// LMPOP and ZMPOP write: each is logged as the LPOP/RPOP or ZPOPMIN/ZPOPMAX key count it
// amounts to, on the one key it popped from, so a follower stays equal and the logged
// mutation's keys (what WATCH and blocked clients are told of) are that key alone. Their
// replies' shapes under RESP3 (the golden files record RESP2) are checked here too.

import { describe, expect, it } from 'vitest';
import { commandKeys, findCommand, Store, type Mutation } from '../../core/store';
import { seededRng } from './rng';

const T0 = 1_000_000;
const mk = (seed: number): Store => new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(seed) });
const run = (s: Store, ...a: string[]) => s.execute(a.map((x) => Buffer.from(x, 'latin1')), T0, { db: 0, user: null });
const text = (m: Mutation): string => m.argv.map((x) => x.toString('latin1')).join(' ');
const keysOf = (m: Mutation): string[] => commandKeys(findCommand(m.argv[0]!.toString('latin1'))!, m.argv).map(String);

/** A leader holding lists l1 (a b c) and l2 (d), sorted sets z1 (a:1 b:2 c:3) and z2 (d:4), and a follower in step. */
function pair(): { leader: Store; follower: Store } {
  const leader = mk(1);
  const follower = mk(2);
  for (const argv of [['RPUSH', 'l1', 'a', 'b', 'c'], ['RPUSH', 'l2', 'd'], ['ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c'], ['ZADD', 'z2', '4', 'd']]) {
    for (const m of run(leader, ...argv).mutations) follower.applyMutation(m);
  }
  return { leader, follower };
}

const cases: readonly (readonly [string[], string])[] = [
  [['LMPOP', '2', 'nokey', 'l1', 'LEFT'], 'LPOP l1 1'],
  [['LMPOP', '2', 'l1', 'l2', 'RIGHT', 'COUNT', '9'], 'RPOP l1 3'],
  [['ZMPOP', '2', 'nokey', 'z1', 'MIN', 'COUNT', '2'], 'ZPOPMIN z1 2'],
  [['ZMPOP', '1', 'z1', 'MAX', 'COUNT', '9'], 'ZPOPMAX z1 3'],
];

describe('LMPOP and ZMPOP replication', () => {
  it.each(cases)('%j is logged as %s, whose only key is the one popped from', (argv, logged) => {
    const { leader, follower } = pair();
    const res = run(leader, ...argv);
    expect(res.mutations.map(text)).toEqual([logged]);
    expect(keysOf(res.mutations[0]!)).toEqual([logged.split(' ')[1]]);
    for (const m of res.mutations) follower.applyMutation(m);
    expect(follower.digest()).toBe(leader.digest());
    leader.invariants();
    follower.invariants();
  });

  it('popping nothing, or failing, logs nothing', () => {
    const { leader } = pair();
    for (const argv of [['LMPOP', '1', 'nokey', 'LEFT'], ['ZMPOP', '1', 'nokey', 'MIN'], ['LMPOP', '1', 'z1', 'LEFT'], ['ZMPOP', '0', 'z1', 'MIN']]) {
      expect(run(leader, ...argv).mutations).toEqual([]);
    }
  });

  it('COMMAND GETKEYS names the keys after numkeys', () => {
    const argv = ['LMPOP', '2', 'a', 'b', 'LEFT', 'COUNT', '2'].map((x) => Buffer.from(x));
    expect(commandKeys(findCommand('lmpop')!, argv).map(String)).toEqual(['a', 'b']);
    expect(commandKeys(findCommand('zunion')!, ['ZUNION', '3', 'a', 'b', 'c', 'WITHSCORES'].map((x) => Buffer.from(x))).map(String)).toEqual(['a', 'b', 'c']);
  });

  it('ZMPOP nests [member, score] arrays whatever the protocol, the score a double', () => {
    const { leader } = pair();
    expect(run(leader, 'ZMPOP', '1', 'z1', 'MIN', 'COUNT', '2').reply).toMatchObject({
      t: 'array',
      items: [
        { t: 'bulk' },
        { t: 'array', items: [{ t: 'array', items: [{ t: 'bulk' }, { t: 'double', d: 1 }] }, { t: 'array', items: [{ t: 'bulk' }, { t: 'double', d: 2 }] }] },
      ],
    });
  });
});
