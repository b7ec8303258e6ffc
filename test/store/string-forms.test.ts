// String values have two stored forms (core/store/values.ts): up to stringTextBytesMax bytes a
// latin1 JS string, above it a Buffer. Every command must give the same bytes whichever form a
// value is in, values must move between the forms as they grow and shrink, and snapshots,
// COPY's serialized value and the store digest must not depend on the form.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Store } from '../../core/store';
import { stringTextBytesMax } from '../../core/store/values';
import { bulkBytes, canonicalReply, type Reply } from '../../net/reply';
import { encodeReply } from '../../net/resp/encoder';
import { SeededRng } from '../../sim/rng';

const opts = () => ({ maxmemoryBytes: 0, policy: 'noeviction' as const, rng: new SeededRng('forms') });
const arg = (a: string | Buffer): Buffer => (typeof a === 'string' ? Buffer.from(a) : a);
const run = (s: Store, ...a: (string | Buffer)[]): Reply => s.execute(a.map(arg), 1000, { db: 0, user: null }).reply;
const bytes = (r: Reply): Buffer => {
  const b = bulkBytes(r);
  if (b === null) throw new Error(`not a bulk: ${JSON.stringify(r)}`);
  return b;
};
/** Every byte value, repeated to `n` bytes. */
const pattern = (n: number, from = 0): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (from + i * 7) & 0xff));

const edges = [0, 1, 200, stringTextBytesMax - 1, stringTextBytesMax, stringTextBytesMax + 1, 3 * stringTextBytesMax];

describe('string values in both stored forms', () => {
  it.each(edges)('%i bytes: GET, STRLEN, GETRANGE, MGET, GETSET and the RESP bytes give the value back', (n) => {
    const s = new Store(opts());
    const v = pattern(n);
    expect(run(s, 'SET', 'k', v)).toEqual({ t: 'simple', s: 'OK' });
    v.fill(0xee); // the store copied the argument
    const want = pattern(n);
    expect(bytes(run(s, 'GET', 'k'))).toEqual(want);
    expect(encodeReply(run(s, 'GET', 'k'), 2)).toEqual(Buffer.concat([Buffer.from(`$${n}\r\n`), want, Buffer.from('\r\n')]));
    expect(run(s, 'STRLEN', 'k')).toEqual({ t: 'int', n });
    expect(bytes(run(s, 'GETRANGE', 'k', '1', '-2'))).toEqual(want.subarray(1, Math.max(1, n - 1)));
    const m = canonicalReply(run(s, 'MGET', 'k', 'nokey'));
    expect(m).toEqual({ t: 'array', items: [{ t: 'bulk', b: want }, { t: 'null' }] });
    expect(bytes(run(s, 'GETSET', 'k', 'x'))).toEqual(want);
    s.invariants();
  });

  it('APPEND and SETRANGE move a value across the threshold, both ways, with the right bytes', () => {
    const s = new Store(opts());
    const model: number[] = [];
    const check = () => {
      expect(bytes(run(s, 'GET', 'k'))).toEqual(Buffer.from(model));
      s.invariants(); // which includes: text form exactly up to the threshold
    };
    for (const piece of [pattern(100), pattern(stringTextBytesMax - 100, 3), pattern(1, 9), pattern(50, 11)]) {
      expect(run(s, 'APPEND', 'k', piece)).toEqual({ t: 'int', n: model.length + piece.length });
      model.push(...piece);
      check();
    }
    // SETRANGE grows a text value into a Buffer one, past its end (zero filled).
    const at = model.length + 10;
    run(s, 'SETRANGE', 'k', String(at), pattern(5, 200));
    while (model.length < at) model.push(0);
    model.push(...pattern(5, 200));
    check();
    // A SET of a short value brings it back to text.
    run(s, 'SET', 'k', pattern(3));
    model.length = 0;
    model.push(...pattern(3));
    check();
    // SETRANGE inside a short value stays text.
    run(s, 'SETRANGE', 'k', '1', 'Z');
    model[1] = 0x5a;
    check();
  });

  it('INCR, INCRBY and INCRBYFLOAT read and write the text form', () => {
    const s = new Store(opts());
    expect(run(s, 'INCR', 'n')).toEqual({ t: 'int', n: 1 });
    expect(run(s, 'INCRBY', 'n', '41')).toEqual({ t: 'int', n: 42 });
    expect(bytes(run(s, 'GET', 'n')).toString()).toBe('42');
    expect(bytes(run(s, 'INCRBYFLOAT', 'n', '0.5')).toString()).toBe('42.5');
    expect(run(s, 'INCR', 'n')).toEqual({ t: 'error', s: 'ERR value is not an integer or out of range' });
    run(s, 'SET', 'big', '9223372036854775807');
    expect(run(s, 'INCR', 'big')).toEqual({ t: 'error', s: 'ERR increment or decrement would overflow' });
    run(s, 'SET', 'bin', Buffer.from([0x31, 0xb2])); // '1' then a non-digit byte above 0x7f
    expect(run(s, 'INCR', 'bin')).toEqual({ t: 'error', s: 'ERR value is not an integer or out of range' });
    s.invariants();
  });

  it('snapshot, restore, COPY (KSRESTORE) and the digest do not depend on the form (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 2 * stringTextBytesMax }).map((n) => pattern(n)))), { maxLength: 12 }),
        (writes) => {
          const s = new Store(opts());
          for (const [k, v] of writes) run(s, 'SET', `k${k}`, Buffer.from(v));
          const back = Store.restore(s.snapshot(), opts());
          back.invariants();
          expect(back.digest()).toBe(s.digest());
          expect(Buffer.from(back.snapshot())).toEqual(Buffer.from(s.snapshot()));
          for (const [k] of writes) {
            expect(canonicalReply(run(back, 'GET', `k${k}`))).toEqual(canonicalReply(run(s, 'GET', `k${k}`)));
            // COPY replicates as KSRESTORE of the serialized value (core/store/dump.ts).
            const copied = s.execute([arg('COPY'), arg(`k${k}`), arg(`c${k}`), arg('REPLACE')], 1000, { db: 0, user: null });
            expect(copied.reply).toEqual({ t: 'int', n: 1 });
            for (const m of copied.mutations) back.applyMutation(m);
            expect(canonicalReply(run(back, 'GET', `c${k}`))).toEqual(canonicalReply(run(s, 'GET', `k${k}`)));
          }
          back.invariants();
        },
      ),
      { numRuns: 60 },
    );
  });
});
