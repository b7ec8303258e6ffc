// Mutual TLS (issue 6, item 6): with client certificates required, a client without one and
// a client whose certificate comes from another CA are refused (and counted); a certificate
// issued by the node CA — through the API or `keepsake cert issue` — is accepted.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueCertificate, issueClientCertificate } from '../../real/pki/index';
import type { RunningServer } from '../../real/server/server';
import { adminPassword, metricSum, redisClient, removeDir, runCli, scrape, sleep, startInProcess, tempDir } from './helpers';

let dir: string;
let out: string;
let srv: RunningServer;

beforeAll(async () => {
  dir = tempDir('mtls');
  out = tempDir('mtls-out');
  srv = await startInProcess(dir, { requireClientCert: true });
});

afterAll(async () => {
  await srv?.close();
  removeDir(dir);
  removeDir(out);
});

/** Connects, sends AUTH + PING; resolves with what came back before the connection ended. */
function tryPing(cert?: { cert: string; key: string }): Promise<{ pong: boolean; error: string | null }> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port: srv.port, ca: readFileSync(srv.caCertPath!), ...(cert ?? {}) });
    let got = '';
    let error: string | null = null;
    const done = () => resolve({ pong: got.includes('+PONG'), error });
    sock.on('secureConnect', () => sock.write(`AUTH admin ${adminPassword}\r\nPING\r\n`));
    sock.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.includes('+PONG')) sock.end();
    });
    sock.on('error', (e) => (error = (e as NodeJS.ErrnoException).code ?? e.message));
    sock.on('close', done);
    setTimeout(() => sock.destroy(), 5000);
  });
}

async function refusedCount(): Promise<number> {
  return metricSum(await scrape(srv.metricsPort!), 'keepsake_tls_handshakes_refused_total');
}

/** The refusal is counted by the server's tlsClientError handler, just after the client saw it. */
async function waitForRefusals(atLeast: number): Promise<number> {
  const until = Date.now() + 3000;
  while ((await refusedCount()) < atLeast && Date.now() < until) await sleep(20);
  return refusedCount();
}

describe('mutual TLS', () => {
  it('refuses a client without a certificate', async () => {
    const before = await refusedCount();
    const r = await tryPing();
    expect(r.pong).toBe(false);
    expect(await waitForRefusals(before + 1)).toBe(before + 1);
  });

  it('refuses a client with a certificate from another CA', async () => {
    const before = await refusedCount();
    const otherCa = generateCa({ commonName: 'not-the-node-ca' });
    const mallory = issueCertificate(otherCa, { commonName: 'mallory', kind: 'client' });
    const r = await tryPing({ cert: mallory.certPem, key: mallory.keyPem });
    expect(r.pong).toBe(false);
    expect(await waitForRefusals(before + 1)).toBe(before + 1);
  });

  it('accepts a certificate issued by the node CA (ioredis)', async () => {
    const alice = await issueClientCertificate(dir, 'alice', out);
    const r = redisClient(srv.port, null, {
      tls: { ca: readFileSync(srv.caCertPath!), cert: readFileSync(alice.certPath), key: readFileSync(alice.keyPath) },
    });
    try {
      expect(await r.set('mtls', 'ok')).toBe('OK');
      expect(await r.get('mtls')).toBe('ok');
    } finally {
      r.disconnect();
    }
  });

  it('`keepsake cert issue` writes a certificate the server accepts', async () => {
    const res = await runCli(['cert', 'issue', '--name', 'bob', '--dir', dir, '--out', out]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const certPath = path.join(out, 'bob.crt');
    const keyPath = path.join(out, 'bob.key');
    expect(res.stdout).toContain(certPath);
    expect(existsSync(keyPath)).toBe(true);
    const r = await tryPing({ cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') });
    expect(r).toEqual({ pong: true, error: null });
    // A second issue under the same name is refused, not silently overwritten.
    const again = await runCli(['cert', 'issue', '--name', 'bob', '--dir', dir, '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/keepsake cert issue: /);
  });
});
