// The flags bin/keepsake.js runs node with are the ones real/node-flags.ts declares (the
// benchmark starts the server with the latter, so both must describe the same process).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { nodeFlags } from '../../real/node-flags';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

it('bin/keepsake.js runs node with exactly nodeFlags', () => {
  const first = readFileSync(path.join(repoRoot, 'bin', 'keepsake.js'), 'utf8').split('\n')[0]!;
  expect(first).toBe(`#!/usr/bin/env -S node ${nodeFlags.join(' ')}`);
});
