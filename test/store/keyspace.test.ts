// Keyspace extras (issue 7): what the golden files cannot show. Replication rewrites of
// COPY/SORT STORE, the two-database commands and their ACL, OBJECT under LFU/LRU, our
// documented MEMORY USAGE figure, encodings at redis 7.0's thresholds, and KSRESTORE.

import { describe, expect, it } from 'vitest';
import { Store, type EvictionPolicy, type Session } from '../../core/store';
import { dumpValue } from '../../core/store/dump';
import { hashListpackEntriesMax, setIntsetEntriesMax } from '../../core/store/cmd-keyspace';
import { sortStoreBatchMax } from '../../core/store/cmd-sort';
import { entryOverheadBytes, hashFieldOverheadBytes, listElementOverheadBytes } from '../../core/store/values';
import { renderReply } from '../../net/render';
import { seededRng } from './rng';

const T0 = 1_000_000;
const mk = (policy: EvictionPolicy = 'noeviction', maxmemoryBytes = 0): Store => new Store({ maxmemoryBytes, policy, rng: seededRng(7) });
const argv = (...a: string[]): Buffer[] => a.map((s) => Buffer.from(s, 'latin1'));
const root = (): Session => ({ db: 0, user: null });
const run = (s: Store, nowMs: number, ...a: string[]) => s.execute(argv(...a), nowMs, root());
const show = (s: Store, nowMs: number, ...a: string[]): string => renderReply(run(s, nowMs, ...a).reply);
const showAs = (s: Store, session: Session, ...a: string[]): string => renderReply(s.execute(argv(...a), T0, session).reply);

/** Run on a leader, replay every mutation on a follower, and check they agree. */
function pair(): { a: Store; b: Store; exec: (...x: string[]) => string; muts: string[] } {
  const a = mk();
  const b = mk();
  const log: string[] = [];
  const exec = (...x: string[]): string => {
    const r = run(a, T0, ...x);
    for (const m of r.mutations) {
      log.push(`${m.db}:${m.argv[0]!.toString('latin1')}`);
      b.applyMutation(m);
    }
    a.invariants();
    b.invariants();
    expect(b.digest()).toBe(a.digest());
    return renderReply(r.reply);
  };
  return { a, b, exec, muts: log };
}

describe('COPY, MOVE, SWAPDB replicate exactly', () => {
  it('logs COPY as KSRESTORE in the destination db, carrying the deadline', () => {
    const p = pair();
    p.exec('RPUSH', 'l', 'a', 'b');
    p.exec('PEXPIRE', 'l', '5000');
    p.muts.length = 0;
    expect(p.exec('COPY', 'l', 'l2', 'DB', '2')).toBe('(integer) 1');
    expect(p.muts).toEqual(['2:KSRESTORE']);
    const s2: Session = { db: 2, user: null };
    expect(renderReply(p.b.execute(argv('PTTL', 'l2'), T0, s2).reply)).toBe('(integer) 5000');
    // The copy is deep: changing it leaves the source alone.
    const r = p.a.execute(argv('RPUSH', 'l2', 'c'), T0, s2);
    for (const m of r.mutations) p.b.applyMutation(m);
    expect(renderReply(r.reply)).toBe('(integer) 3');
    expect(p.exec('LLEN', 'l')).toBe('(integer) 2');
  });

  it('MOVE and SWAPDB replay as logged, with per-mutation dbs', () => {
    const p = pair();
    p.exec('SET', 'k', 'v');
    p.exec('MOVE', 'k', '1');
    p.exec('SWAPDB', '1', '0');
    expect(p.exec('GET', 'k')).toBe('"v"');
    p.exec('HSET', 'h', 'f', 'v');
    p.exec('COPY', 'h', 'h', 'DB', '3');
    p.exec('SWAPDB', '3', '0');
    expect(p.exec('HGET', 'h', 'f')).toBe('"v"');
  });

  it('checks the ACL of the other database', () => {
    const s = mk();
    run(s, T0, 'KSUSER.SET', 'u', 'readwrite', '0', 'scrypt', '00', 'ab');
    const u: Session = { db: 0, user: 'u' };
    run(s, T0, 'SET', 'k', 'v');
    expect(showAs(s, u, 'MOVE', 'k', '1')).toBe('(error) NOPERM User has no permissions to access database 1');
    expect(showAs(s, u, 'COPY', 'k', 'k2', 'DB', '1')).toBe('(error) NOPERM User has no permissions to access database 1');
    expect(showAs(s, u, 'SWAPDB', '0', '1')).toBe('(error) NOPERM User has no permissions to access database 1');
    expect(showAs(s, u, 'COPY', 'k', 'k2')).toBe('(integer) 1');
  });

  it('KSRESTORE refuses malformed payloads and is admin only', () => {
    const s = mk();
    expect(show(s, T0, 'KSRESTORE', 'k', '-1', 'junk')).toBe('(error) ERR DUMP payload version or checksum are wrong');
    expect(show(s, T0, 'KSRESTORE', 'k', '-5', 'junk')).toBe('(error) ERR value is not an integer or out of range');
    const payload = dumpValue(Buffer.from('x')).toString('latin1');
    expect(show(s, T0, 'KSRESTORE', 'k', String(T0 + 10), payload)).toBe('OK');
    expect(show(s, T0, 'PTTL', 'k')).toBe('(integer) 10');
    run(s, T0, 'KSUSER.SET', 'rw', 'readwrite', '*', 'scrypt', '00', 'ab');
    expect(renderReply(s.execute(argv('KSRESTORE', 'k', '-1', payload), T0, { db: 0, user: 'rw' }).reply)).toMatch(/^\(error\) NOPERM/);
  });
});

describe('SORT', () => {
  it('logs STORE as DEL plus RPUSH batches, never as SORT', () => {
    const p = pair();
    const n = sortStoreBatchMax + 5;
    p.exec('RPUSH', 'src', ...Array.from({ length: n }, (_, i) => String(n - i)));
    p.muts.length = 0;
    expect(p.exec('SORT', 'src', 'STORE', 'dst')).toBe(`(integer) ${n}`);
    expect(p.muts).toEqual(['0:DEL', '0:RPUSH', '0:RPUSH']);
    expect(p.exec('LINDEX', 'dst', '0')).toBe('"1"');
    expect(p.exec('LINDEX', 'dst', '-1')).toBe(`"${n}"`);
  });

  it('reads weights and GET values from other keys at sort time', () => {
    const p = pair();
    p.exec('RPUSH', 'ids', '1', '2', '3');
    p.exec('MSET', 'w_1', '30', 'w_2', '10', 'w_3', '20');
    p.exec('SORT', 'ids', 'BY', 'w_*', 'STORE', 'out');
    // Changing the weights afterwards must not change the stored result on either side.
    p.exec('MSET', 'w_1', '0', 'w_2', '0', 'w_3', '0');
    expect(p.exec('LRANGE', 'out', '0', '-1')).toBe('1) "2"\n2) "3"\n3) "1"');
    expect(renderReply(p.b.execute(argv('LRANGE', 'out', '0', '-1'), T0, root()).reply)).toBe('1) "2"\n2) "3"\n3) "1"');
  });

  it('SORT_RO refuses STORE and is allowed for read-only users', () => {
    const s = mk();
    run(s, T0, 'KSUSER.SET', 'ro', 'readonly', '*', 'scrypt', '00', 'ab');
    run(s, T0, 'RPUSH', 'l', '2', '1');
    const ro: Session = { db: 0, user: 'ro' };
    expect(showAs(s, ro, 'SORT_RO', 'l')).toBe('1) "1"\n2) "2"');
    expect(showAs(s, ro, 'SORT', 'l')).toMatch(/^\(error\) NOPERM/);
    expect(show(s, T0, 'SORT_RO', 'l', 'STORE', 'x')).toBe('(error) ERR syntax error');
  });
});

describe('OBJECT', () => {
  it('FREQ needs an LFU policy and IDLETIME the LRU clock', () => {
    const lru = mk('allkeys-lru');
    run(lru, T0, 'SET', 'k', 'v');
    expect(show(lru, T0 + 5_500, 'OBJECT', 'IDLETIME', 'k')).toBe('(integer) 5');
    // OBJECT itself does not count as an access; GET and TOUCH do.
    expect(show(lru, T0 + 7_000, 'OBJECT', 'IDLETIME', 'k')).toBe('(integer) 7');
    run(lru, T0 + 7_000, 'TOUCH', 'k');
    expect(show(lru, T0 + 8_000, 'OBJECT', 'IDLETIME', 'k')).toBe('(integer) 1');
    // The LRU clock is Redis's: whole seconds, wrapping after 2^24 of them; idle time spans a wrap.
    const nearWrapMs = (2 ** 24 - 2) * 1000;
    run(lru, nearWrapMs, 'SET', 'w', 'v');
    expect(show(lru, nearWrapMs + 5_000, 'OBJECT', 'IDLETIME', 'w')).toBe('(integer) 5');
    expect(show(lru, T0, 'OBJECT', 'FREQ', 'k')).toMatch(/^\(error\) ERR An LFU maxmemory policy is not selected/);

    const lfu = mk('allkeys-lfu');
    run(lfu, T0, 'SET', 'k', 'v');
    expect(show(lfu, T0, 'OBJECT', 'FREQ', 'k')).toBe('(integer) 5');
    for (let i = 0; i < 200; i++) run(lfu, T0, 'GET', 'k');
    const hot = Number(show(lfu, T0, 'OBJECT', 'FREQ', 'k').replace('(integer) ', ''));
    expect(hot).toBeGreaterThan(5);
    // One point of decay per idle minute (LFUDecrAndReturn).
    expect(show(lfu, T0 + 3 * 60_000, 'OBJECT', 'FREQ', 'k')).toBe(`(integer) ${hot - 3}`);
    expect(show(lfu, T0, 'OBJECT', 'IDLETIME', 'k')).toMatch(/^\(error\) ERR An LFU maxmemory policy is selected/);
    // The decay clock is Redis's 16 bits of minutes: the idle minutes are counted across its wrap.
    const wrapMs = (2 ** 16 - 1) * 60_000;
    run(lfu, wrapMs, 'SET', 'w', 'v');
    for (let i = 0; i < 200; i++) run(lfu, wrapMs, 'GET', 'w');
    const warm = Number(show(lfu, wrapMs, 'OBJECT', 'FREQ', 'w').replace('(integer) ', ''));
    expect(warm).toBeGreaterThan(5);
    expect(show(lfu, wrapMs + 2 * 60_000, 'OBJECT', 'FREQ', 'w')).toBe(`(integer) ${warm - 2}`);
    // Over 255 idle minutes no counter survives.
    expect(show(lfu, wrapMs + 300 * 60_000, 'OBJECT', 'FREQ', 'w')).toBe('(integer) 0');
  });

  it('answers encodings at redis 7.0 thresholds', () => {
    const s = mk();
    const fields = (n: number): string[] => Array.from({ length: n }, (_, i) => [`f${i}`, 'v']).flat();
    run(s, T0, 'HSET', 'small', ...fields(hashListpackEntriesMax));
    run(s, T0, 'HSET', 'big', ...fields(hashListpackEntriesMax + 1));
    expect(show(s, T0, 'OBJECT', 'ENCODING', 'small')).toBe('"listpack"');
    expect(show(s, T0, 'OBJECT', 'ENCODING', 'big')).toBe('"hashtable"');
    run(s, T0, 'SADD', 'ints', ...Array.from({ length: setIntsetEntriesMax }, (_, i) => String(i)));
    expect(show(s, T0, 'OBJECT', 'ENCODING', 'ints')).toBe('"intset"');
    run(s, T0, 'SADD', 'ints', String(setIntsetEntriesMax));
    expect(show(s, T0, 'OBJECT', 'ENCODING', 'ints')).toBe('"hashtable"');
    run(s, T0, 'SET', 'e', 'x'.repeat(44));
    run(s, T0, 'SET', 'r', 'x'.repeat(45));
    expect(show(s, T0, 'OBJECT', 'ENCODING', 'e')).toBe('"embstr"');
    expect(show(s, T0, 'OBJECT', 'ENCODING', 'r')).toBe('"raw"');
    run(s, T0, 'JSON.SET', 'j', '$', '{}');
    expect(show(s, T0, 'OBJECT', 'ENCODING', 'j')).toBe('"raw"');
  });
});

describe('MEMORY USAGE', () => {
  it('answers our documented per-key figure, the one maxmemory counts', () => {
    const s = mk();
    run(s, T0, 'SET', 'key', 'hello');
    expect(show(s, T0, 'MEMORY', 'USAGE', 'key')).toBe(`(integer) ${entryOverheadBytes + 3 + 5}`);
    run(s, T0, 'HSET', 'h', 'ab', 'xyz');
    expect(show(s, T0, 'MEMORY', 'USAGE', 'h', 'SAMPLES', '0')).toBe(`(integer) ${entryOverheadBytes + 1 + hashFieldOverheadBytes + 2 + 3}`);
    run(s, T0, 'RPUSH', 'l', 'a', 'bb');
    expect(show(s, T0, 'MEMORY', 'USAGE', 'l')).toBe(`(integer) ${entryOverheadBytes + 1 + 2 * listElementOverheadBytes + 3}`);
    const doc = '{"a":[1,2.5,"x"]}';
    run(s, T0, 'JSON.SET', 'doc', '$', '{ "a" : [1, 2.5, "x"] }');
    expect(show(s, T0, 'MEMORY', 'USAGE', 'doc')).toBe(`(integer) ${entryOverheadBytes + 3 + doc.length}`);
    const total = [entryOverheadBytes + 8, entryOverheadBytes + 1 + hashFieldOverheadBytes + 5, entryOverheadBytes + 1 + 2 * listElementOverheadBytes + 3, entryOverheadBytes + 3 + doc.length].reduce((x, y) => x + y);
    expect(s.usedMemoryBytes()).toBe(total);
  });

  it('counts JSON documents against maxmemory (eviction and OOM)', () => {
    // Room for about four documents of ~80 bytes.
    const limit = 4 * (entryOverheadBytes + 90);
    const evict = mk('allkeys-lru', limit);
    for (let i = 0; i < 20; i++) run(evict, T0 + i, 'JSON.SET', `d${i}`, '$', JSON.stringify({ pad: 'x'.repeat(60), i }));
    expect(evict.usedMemoryBytes()).toBeLessThanOrEqual(limit);
    expect(evict.stats.evictedKeys).toBeGreaterThan(0);
    // One ~215-byte document fits; the write that brings a second one is the last allowed.
    const full = mk('noeviction', entryOverheadBytes + 300);
    const big = JSON.stringify({ pad: 'x'.repeat(200) });
    expect(show(full, T0, 'JSON.SET', 'a', '$', big)).toBe('OK');
    expect(show(full, T0, 'JSON.SET', 'b', '$', big)).toBe('OK');
    expect(show(full, T0, 'JSON.SET', 'c', '$', '1')).toMatch(/^\(error\) OOM/);
    expect(show(full, T0, 'JSON.ARRAPPEND', 'a', '$', '1')).toMatch(/^\(error\) OOM/);
  });
});

describe('LMOVE', () => {
  it('rotates in place and deletes an emptied source', () => {
    const p = pair();
    p.exec('RPUSH', 'l', 'a', 'b', 'c');
    expect(p.exec('LMOVE', 'l', 'l', 'LEFT', 'RIGHT')).toBe('"a"');
    expect(p.exec('LRANGE', 'l', '0', '-1')).toBe('1) "b"\n2) "c"\n3) "a"');
    p.exec('RPUSH', 'one', 'x');
    expect(p.exec('RPOPLPUSH', 'one', 'other')).toBe('"x"');
    expect(p.exec('EXISTS', 'one')).toBe('(integer) 0');
    expect(p.exec('LRANGE', 'other', '0', '-1')).toBe('1) "x"');
  });
});
