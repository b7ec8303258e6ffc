// Regenerate test/golden/*.txt expected replies from a real redis-server (the oracle).
// Usage: npx tsx scripts/golden-from-redis.ts [file.txt ...]
// Starts `redis-server` on GOLDEN_PORT (default 6391) with no persistence, FLUSHALLs
// before every file, runs each request through `redis-cli --no-raw` (keeping the
// database chosen by SELECT via -n), and rewrites the expected lines in place.
// Files containing the line `# golden: hand-written` (json.txt: no RedisJSON server here)
// are skipped: their expected replies come from documentation, not from a server.

import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGolden, rewriteGolden, splitArgs } from '../test/golden/format';

const port = process.env['GOLDEN_PORT'] ?? '6391';
const dir = join(import.meta.dirname, '..', 'test', 'golden');

function cli(db: number, args: readonly string[]): string {
  const out = execFileSync('redis-cli', ['-p', port, '-n', String(db), '--no-raw', ...args], { encoding: 'latin1' });
  return out.replace(/\n$/, '');
}

async function waitReady(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if (cli(0, ['PING']) === 'PONG') return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

const handWritten = '# golden: hand-written';

function regenerate(file: string): void {
  const text = readFileSync(file, 'utf8');
  if (text.split('\n').includes(handWritten)) {
    console.log(`${file}: hand-written, skipped`);
    return;
  }
  cli(0, ['FLUSHALL']);
  let db = 0;
  const replies = parseGolden(text).map((c) => {
    const args = splitArgs(c.request).map((b) => b.toString('latin1'));
    const reply = cli(db, args);
    if (args[0]!.toUpperCase() === 'SELECT' && reply === 'OK') db = Number(args[1]);
    return reply;
  });
  writeFileSync(file, rewriteGolden(text, replies));
  console.log(`${file}: ${replies.length} cases`);
}

const files = process.argv.slice(2);
const targets = files.length > 0 ? files : readdirSync(dir).filter((f) => f.endsWith('.txt')).map((f) => join(dir, f));
const server = spawn('redis-server', ['--port', port, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
try {
  await waitReady();
  for (const f of targets) regenerate(f);
} finally {
  server.kill('SIGTERM');
}
