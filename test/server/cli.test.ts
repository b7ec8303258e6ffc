// Our own CLI against a real server (issue 6, item 9): `keepsake cli` over TLS with AUTH,
// saved profiles, and clear errors (exit codes 1/2) for bad flags.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../real/server/server';
import { adminPassword, removeDir, runCli, startInProcess, tempDir } from './helpers';

let dir: string;
let home: string;
let srv: RunningServer;

beforeAll(async () => {
  dir = tempDir('cli');
  home = tempDir('cli-home');
  srv = await startInProcess(dir, { metricsPort: null });
});

afterAll(async () => {
  await srv?.close();
  removeDir(dir);
  removeDir(home);
});

const env = () => ({ KEEPSAKE_PROFILES: path.join(home, 'profiles.json'), KEEPSAKE_CLI_PASSWORD: '' });

describe('keepsake cli', () => {
  it('sets and gets over TLS with AUTH, output like redis-cli', async () => {
    const common = ['cli', '--port', String(srv.port), '--cacert', srv.caCertPath!, '-u', 'admin', '-p', adminPassword];
    const set = await runCli([...common, 'set', 'a', 'b'], env());
    expect(set).toMatchObject({ code: 0, stdout: 'OK\n' });
    const get = await runCli([...common, 'get', 'a'], env());
    expect(get).toMatchObject({ code: 0, stdout: '"b"\n' });
    const missing = await runCli([...common, 'get', 'nope'], env());
    expect(missing).toMatchObject({ code: 0, stdout: '(nil)\n' });
    const error = await runCli([...common, 'incr', 'a'], env());
    expect(error.code).toBe(1);
    expect(error.stdout).toMatch(/ERR value is not an integer/);
  }, 60_000);

  it('saves a profile and uses it', async () => {
    const save = await runCli(['cli', '--port', String(srv.port), '--cacert', srv.caCertPath!, '-u', 'admin', '-p', adminPassword, '--save-profile', 'local', 'set', 'p', 'q'], env());
    expect(save.code).toBe(0);
    expect(save.stderr).toMatch(/saved profile 'local'/);
    const file = path.join(home, 'profiles.json');
    expect(statSync(file).mode & 0o777).toBe(0o600); // it holds a password
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ local: { port: srv.port, user: 'admin', cacert: srv.caCertPath } });
    const use = await runCli(['cli', '--profile', 'local', 'get', 'p'], env());
    expect(use).toMatchObject({ code: 0, stdout: '"q"\n' });
    const unknown = await runCli(['cli', '--profile', 'nope', 'get', 'p'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no profile 'nope'/);
  }, 60_000);

  it('reports a wrong password and an unreachable server with exit code 1', async () => {
    const wrong = await runCli(['cli', '--port', String(srv.port), '--cacert', srv.caCertPath!, '-u', 'admin', '-p', 'nope', 'ping'], env());
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/AUTH failed: WRONGPASS/);
    const t0 = Date.now();
    const down = await runCli(['cli', '--port', '1', '--cacert', srv.caCertPath!, 'ping'], env());
    expect(Date.now() - t0).toBeLessThan(4500); // the refusal is reported at once, not after the 5 s connect timeout
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/keepsake cli: .*ECONNREFUSED/);
  }, 60_000);
});

describe('bad flags', () => {
  it.each([
    [['server', '--port', 'x'], /--port/],
    [['server', '--maxmemory-policy', 'nope'], /--maxmemory-policy must be one of noeviction/],
    [['server', '--maxmemory', 'lots'], /expected a size/],
    [['server', '--ack', 'sometimes'], /--ack must be one of/],
    [['server', '--memory-flush-ms', '5000'], /--memory-flush-ms/],
    [['server', '--insecure', '--mtls', '--dir', '/nonexistent-never-created'], /contradict/],
    [['cli', '--port', '70000', 'ping'], /--port/],
  ])('keepsake %j fails with a clear message', async (args, message) => {
    const r = await runCli(args, env());
    expect(r.code === 1 || r.code === 2, `exit code ${r.code}`).toBe(true);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  }, 60_000);
});
