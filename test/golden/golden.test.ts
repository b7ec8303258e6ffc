// Replays every test/golden/*.txt against Store and compares redis-cli's rendering of our
// replies with what the real redis-server answered (scripts/golden-from-redis.ts), while a
// follower applies the mutations and must keep the same digest after every request.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store, type Session } from '../../core/store';
import { renderReply } from '../../net/render';
import { parseGolden, splitArgs } from './format';
import { seededRng } from '../store/rng';

const dir = import.meta.dirname;
/** A fixed clock: golden files avoid output that depends on the time of the run. */
const nowMs = 1_700_000_000_000;

describe('golden replies match redis-server', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  it('has golden files', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
  });
  for (const f of files) {
    it(f, () => {
      const store = new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(1) });
      const session: Session = { db: 0, user: null };
      const mismatches: string[] = [];
      const cases = parseGolden(readFileSync(join(dir, f), 'utf8'));
      expect(cases.length).toBeGreaterThan(10);
      // Every golden sequence also replicates: a follower applying the mutations agrees.
      const follower = new Store({ maxmemoryBytes: 0, policy: 'noeviction', rng: seededRng(2) });
      for (const c of cases) {
        const res = store.execute(splitArgs(c.request), nowMs, session);
        for (const m of res.mutations) follower.applyMutation(m);
        expect(follower.digest(), `${f}:${c.line} replica digest`).toBe(store.digest());
        const got = renderReply(res.reply);
        const want = c.expected.join('\n');
        if (got !== want) mismatches.push(`${f}:${c.line} > ${c.request}\n  want: ${want}\n  got:  ${got}`);
        store.invariants();
      }
      expect(mismatches.join('\n')).toBe('');
    });
  }
});
