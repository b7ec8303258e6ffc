// JSON documents beyond the documented examples in test/golden/json.txt: legacy paths,
// NX/XX, errors and limits, number formatting, the path parser, snapshots, and that
// every JSON write is logged as the whole new document.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Store, type Session } from '../../core/store';
import { formatFloat, jsonDepthMax, jsonTextBytesMax, parseJson, serializeJson } from '../../core/store/json';
import { evalPath, parsePath } from '../../core/store/jsonpath';
import { renderReply } from '../../net/render';
import { seededRng } from './rng';

const T0 = 1_000_000;
const mk = (): Store => new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(3) });
const root = (): Session => ({ db: 0, user: null });
const exec = (s: Store, ...a: string[]) => s.execute(a.map((x) => Buffer.from(x)), T0, root());
const show = (s: Store, ...a: string[]): string => renderReply(exec(s, ...a).reply);

describe('JSON commands', () => {
  it('answers one value for legacy paths and arrays for $ paths', () => {
    const s = mk();
    expect(show(s, 'JSON.SET', 'd', '.', '{"a":[1,2,3],"b":{"c":1.0,"s":"hi"}}')).toBe('OK');
    expect(show(s, 'TYPE', 'd')).toBe('ReJSON-RL');
    expect(show(s, 'JSON.GET', 'd', '.b.c')).toBe('"1.0"');
    expect(show(s, 'JSON.GET', 'd', 'a[1]')).toBe('"2"');
    expect(show(s, 'JSON.GET', 'd', '$.a[-1]')).toBe('"[3]"');
    expect(show(s, 'JSON.GET', 'd', '$.a[*]')).toBe('"[1,2,3]"');
    expect(show(s, 'JSON.GET', 'd', "$['b'][\"s\"]")).toBe('"[\\"hi\\"]"');
    expect(show(s, 'JSON.GET', 'd', '.b', '.a[0]')).toBe('"{\\".a[0]\\":1,\\".b\\":{\\"c\\":1.0,\\"s\\":\\"hi\\"}}"');
    expect(show(s, 'JSON.GET', 'd', 'INDENT', '  ', 'NEWLINE', '\n', 'SPACE', ' ', '.a')).toBe('"[1,2,3]"');
    expect(show(s, 'JSON.GET', 'd', '.nope')).toBe("(error) ERR Path '.nope' does not exist");
    expect(show(s, 'JSON.GET', 'd', '$.nope')).toBe('"[]"');
    expect(show(s, 'JSON.GET', 'nokey')).toBe('(nil)');
    expect(show(s, 'JSON.TYPE', 'd', '.b.c')).toBe('number');
    expect(show(s, 'JSON.TYPE', 'd', '.zz')).toBe('(nil)');
    expect(show(s, 'JSON.STRLEN', 'd', '.b.s')).toBe('(integer) 2');
    expect(show(s, 'JSON.ARRLEN', 'd', '.a')).toBe('(integer) 3');
    expect(show(s, 'JSON.OBJKEYS', 'd', '.b')).toBe('1) "c"\n2) "s"');
    expect(show(s, 'JSON.STRLEN', 'd', '.b')).toBe("(error) ERR Path '.b' does not exist or not a string");
  });

  it('honours NX and XX for the key and for paths, and refuses new keys below the root', () => {
    const s = mk();
    expect(show(s, 'JSON.SET', 'd', '$.a', '1')).toBe('(error) ERR new objects must be created at the root');
    expect(show(s, 'JSON.SET', 'd', '$', '{}', 'XX')).toBe('(nil)');
    expect(show(s, 'JSON.SET', 'd', '$', '{"a":1}', 'NX')).toBe('OK');
    expect(show(s, 'JSON.SET', 'd', '$', '{}', 'NX')).toBe('(nil)');
    expect(show(s, 'JSON.SET', 'd', '$.a', '2', 'NX')).toBe('(nil)');
    expect(show(s, 'JSON.SET', 'd', '$.b', '2', 'XX')).toBe('(nil)');
    expect(show(s, 'JSON.SET', 'd', '$.b', '2', 'NX')).toBe('OK');
    expect(show(s, 'JSON.SET', 'd', '$.x.y', '2')).toBe('(nil)');
    expect(show(s, 'JSON.SET', 'd', '$', '1', 'NX', 'XX')).toBe('(error) ERR syntax error');
    expect(show(s, 'JSON.GET', 'd')).toBe('"{\\"a\\":1,\\"b\\":2}"');
  });

  it('keeps the deadline when a document is replaced or changed', () => {
    const s = mk();
    exec(s, 'JSON.SET', 'd', '$', '{"n":1}');
    exec(s, 'PEXPIRE', 'd', '5000');
    exec(s, 'JSON.NUMINCRBY', 'd', '$.n', '1');
    exec(s, 'JSON.SET', 'd', '$', '[]');
    expect(show(s, 'PTTL', 'd')).toBe('(integer) 5000');
  });

  it('increments numbers as RedisJSON does (integers stay integers)', () => {
    const s = mk();
    exec(s, 'JSON.SET', 'd', '$', '{"i":3,"f":1.5,"s":"x"}');
    expect(show(s, 'JSON.NUMINCRBY', 'd', '.i', '2')).toBe('"5"');
    expect(show(s, 'JSON.NUMINCRBY', 'd', '.i', '0.5')).toBe('"5.5"');
    expect(show(s, 'JSON.NUMINCRBY', 'd', '.f', '0.5')).toBe('"2.0"');
    expect(show(s, 'JSON.NUMINCRBY', 'd', '$.*', '1')).toBe('"[6.5,3.0,null]"');
    expect(show(s, 'JSON.NUMINCRBY', 'd', '.s', '1')).toBe("(error) ERR Path '.s' does not exist or does not contains a number");
    expect(show(s, 'JSON.NUMINCRBY', 'd', '.i', '"x"')).toBe('(error) ERR expected a number');
    expect(show(s, 'JSON.NUMINCRBY', 'nokey', '.i', '1')).toBe("(error) ERR could not perform this operation on a key that doesn't exist");
    expect(show(s, 'JSON.NUMINCRBY', 'd', '.f', '1.7976931348623157e308')).toBe('"1.7976931348623157e308"');
    expect(show(s, 'JSON.NUMINCRBY', 'd', '.f', '1.7976931348623157e308')).toBe('(error) ERR result is an overflow');
  });

  it('appends to arrays and deletes array elements from the end first', () => {
    const s = mk();
    exec(s, 'JSON.SET', 'd', '$', '{"a":[0,1,2,3],"o":{}}');
    expect(show(s, 'JSON.ARRAPPEND', 'd', '.a', '4', '"five"')).toBe('(integer) 6');
    expect(show(s, 'JSON.ARRAPPEND', 'd', '$.*', 'null')).toBe('1) (integer) 7\n2) (nil)');
    expect(show(s, 'JSON.ARRAPPEND', 'd', '.o', '1')).toBe("(error) ERR Path '.o' does not exist or not an array");
    expect(show(s, 'JSON.DEL', 'd', '$.a[*]')).toBe('(integer) 7');
    expect(show(s, 'JSON.GET', 'd')).toBe('"{\\"a\\":[],\\"o\\":{}}"');
    expect(show(s, 'JSON.FORGET', 'd', '$.zz')).toBe('(integer) 0');
    expect(show(s, 'JSON.DEL', 'd', '.')).toBe('(integer) 1');
    expect(show(s, 'EXISTS', 'd')).toBe('(integer) 0');
    expect(show(s, 'JSON.DEL', 'd')).toBe('(integer) 0');
  });

  it('answers nil in JSON.MGET for missing keys, other types and missing legacy paths', () => {
    const s = mk();
    exec(s, 'SET', 'str', 'x');
    exec(s, 'JSON.SET', 'a', '$', '{"x":1}');
    exec(s, 'JSON.SET', 'b', '$', '{"y":1}');
    expect(show(s, 'JSON.MGET', 'a', 'b', 'str', 'nokey', '.x')).toBe('1) "1"\n2) (nil)\n3) (nil)\n4) (nil)');
    expect(show(s, 'JSON.GET', 'str')).toBe('(error) WRONGTYPE Operation against a key holding the wrong kind of value');
  });

  it('refuses bad JSON, bad paths and documents nested deeper than jsonDepthMax', () => {
    const s = mk();
    expect(show(s, 'JSON.SET', 'd', '$', '{"a":')).toBe('(error) ERR expected value at line 1 column 6');
    expect(show(s, 'JSON.SET', 'd', '$', '[1e400]')).toMatch(/^\(error\) ERR number out of range/);
    expect(show(s, 'JSON.SET', 'd', '$', '[1] x')).toMatch(/^\(error\) ERR trailing characters/);
    expect(show(s, 'JSON.SET', 'd', '$', '{a:1}')).toMatch(/^\(error\) ERR key must be a string/);
    expect(show(s, 'JSON.SET', 'd', '$', '"\u0001"')).toMatch(/^\(error\) ERR invalid string/);
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    expect(show(s, 'JSON.SET', 'd', '$', deep(jsonDepthMax))).toBe('OK');
    expect(show(s, 'JSON.SET', 'd', '$', deep(jsonDepthMax + 1))).toMatch(/^\(error\) ERR nesting deeper than 128 \(jsonDepthMax\)/);
    const huge = s.execute([Buffer.from('JSON.SET'), Buffer.from('d'), Buffer.from('$'), Buffer.alloc(jsonTextBytesMax + 1, 0x20)], T0, root());
    expect(renderReply(huge.reply)).toBe(`(error) ERR JSON text exceeds ${jsonTextBytesMax} bytes (jsonTextBytesMax)`);
    for (const bad of ['$[', '$.', '$a', '$[?(@.a)]', '$[1:2]', '.a[x]']) {
      expect(show(s, 'JSON.GET', 'd', bad)).toBe(`(error) ERR invalid JSONPath '${bad}'`);
    }
  });

  it('logs every change as the whole document (or DEL), and replays to the same digest', () => {
    const a = mk();
    const b = mk();
    const logged: string[] = [];
    const step = (...x: string[]): void => {
      for (const m of exec(a, ...x).mutations) {
        logged.push(m.argv.map((y) => y.toString()).join(' '));
        b.applyMutation(m);
      }
      expect(b.digest()).toBe(a.digest());
    };
    step('JSON.SET', 'd', '.', '{ "n" : 1, "l" : [ ] }');
    step('JSON.NUMINCRBY', 'd', '$.n', '2.5');
    step('JSON.ARRAPPEND', 'd', '$.l', '"x"');
    step('JSON.SET', 'd', '$.m', '{"k":true}');
    step('JSON.DEL', 'd', '$.m.k');
    step('JSON.DEL', 'd');
    expect(logged).toEqual([
      'JSON.SET d $ {"n":1,"l":[]}',
      'JSON.SET d $ {"n":3.5,"l":[]}',
      'JSON.SET d $ {"n":3.5,"l":["x"]}',
      'JSON.SET d $ {"n":3.5,"l":["x"],"m":{"k":true}}',
      'JSON.SET d $ {"n":3.5,"l":["x"],"m":{}}',
      'DEL d',
    ]);
  });

  it('survives a snapshot and a COPY with integers and floats kept apart', () => {
    const s = mk();
    exec(s, 'JSON.SET', 'd', '$', '{"i":1,"f":1.0,"e":1e20,"s":"\u00e9"}');
    exec(s, 'COPY', 'd', 'c');
    const r = Store.restore(s.snapshot(), { maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(1) });
    r.invariants();
    expect(r.digest()).toBe(s.digest());
    expect(show(r, 'JSON.GET', 'c')).toBe(show(s, 'JSON.GET', 'd'));
    expect(show(r, 'JSON.GET', 'c', '$.*')).toBe('"[1,1.0,1e20,\\"\\xc3\\xa9\\"]"');
  });
});

describe('JSON text and paths', () => {
  it('prints floats like serde_json for the common cases', () => {
    expect([1, 3.5, -0, 1e16, 1.5e20, 1e-7, 0.001, 123456.75].map(formatFloat)).toEqual(['1.0', '3.5', '-0.0', '1e16', '1.5e20', '1e-7', '0.001', '123456.75']);
  });

  it('parse(serialize(x)) is x for any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (x) => {
        const text = JSON.stringify(x);
        const once = parseJson(Buffer.from(text));
        expect(once.ok).toBe(true);
        if (!once.ok) return;
        const again = parseJson(Buffer.from(serializeJson(once.j)));
        expect(again.ok && serializeJson(again.j)).toBe(serializeJson(once.j));
        // Same value as JavaScript reads it (numbers compared as doubles).
        expect(JSON.parse(serializeJson(once.j))).toEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });

  it('evaluates recursive descent in pre-order, like RedisJSON', () => {
    const r = parseJson(Buffer.from('{"a":1,"b":{"a":2,"c":[{"a":3}]},"a2":{"a":4}}'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = parsePath('$..a')!;
    expect(evalPath(r.j, p).map((m) => serializeJson(m.value))).toEqual(['1', '2', '3', '4']);
    expect(parsePath('a.b')).toEqual({ text: 'a.b', legacy: true, segs: [{ t: 'child', name: 'a' }, { t: 'child', name: 'b' }] });
    expect(parsePath('.')!.segs).toEqual([]);
  });
});
