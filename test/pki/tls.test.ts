// Real loopback TLS: a server built from ensurePki's files, clients built from clientTlsOptions.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCa, issueCertificate } from '../../real/pki/ca';
import { ensurePki, issueClientCertificate, type Pki } from '../../real/pki/files';
import { clientTlsOptions, onRefusedHandshake, peerCommonName, serverTlsOptions, type RefusedHandshake } from '../../real/tls';

const echoTimeoutMs = 5_000;
const waitMaxMs = 3_000;
const redisCliTimeoutMs = 5_000;

type Echo = { readonly ok: true; readonly protocol: string | null } | { readonly ok: false; readonly code: string };

/** Connects, sends one line and waits for it back: ok only if the whole round trip worked. */
function tryEcho(port: number, opts: tls.ConnectionOptions): Promise<Echo> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ...opts });
    let got = '';
    const done = (r: Echo): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, code: 'TIMEOUT' }), echoTimeoutMs);
    sock.on('secureConnect', () => sock.write('ping\n'));
    sock.on('data', (d: Buffer) => {
      got += d.toString();
      if (got === 'ping\n') done({ ok: true, protocol: sock.getProtocol() });
    });
    sock.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, code: e.code ?? e.message }));
    sock.on('close', () => done({ ok: false, code: 'CLOSED' }));
  });
}

interface Running {
  readonly port: number;
  readonly refused: RefusedHandshake[];
  readonly peerNames: (string | null)[];
  close(): Promise<void>;
}

async function startServer(options: tls.TlsOptions, onSocket: (s: tls.TLSSocket) => void): Promise<Running> {
  const refused: RefusedHandshake[] = [];
  const peerNames: (string | null)[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(options, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    peerNames.push(peerCommonName(s));
    onSocket(s);
  });
  onRefusedHandshake(server, (r) => refused.push(r));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    port: addr.port,
    refused,
    peerNames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const echo = (s: tls.TLSSocket): void => {
  s.pipe(s);
};

async function waitFor(cond: () => boolean): Promise<void> {
  const start = Date.now();
  while (!cond() && Date.now() - start < waitMaxMs) await new Promise((r) => setTimeout(r, 10));
}

let dir: string;
let pki: Pki;
let otherCaPath: string;
let mallory: { certPath: string; keyPath: string };
let alice: { certPath: string; keyPath: string };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keepsake-tls-'));
  pki = await ensurePki(path.join(dir, 'data'));
  alice = await issueClientCertificate(path.join(dir, 'data'), 'alice', path.join(dir, 'clients'));
  // Another cluster's CA, and a client certificate it issued under a name our CA also uses.
  const other = generateCa({ commonName: 'Other CA', validDays: 2 });
  const m = issueCertificate(other, { commonName: 'alice', kind: 'client', validDays: 2 });
  otherCaPath = path.join(dir, 'other-ca.crt');
  mallory = { certPath: path.join(dir, 'mallory.crt'), keyPath: path.join(dir, 'mallory.key') };
  await writeFile(otherCaPath, other.certPem);
  await writeFile(mallory.certPath, m.certPem);
  await writeFile(mallory.keyPath, m.keyPem, { mode: 0o600 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('server TLS without client certificates', () => {
  let srv: Running;
  beforeAll(async () => {
    srv = await startServer(serverTlsOptions(pki, { requireClientCert: false }), echo);
  });
  afterAll(() => srv.close());

  it('accepts a client that trusts ca.crt: verified handshake (name 127.0.0.1 checked) and an echo round trip', async () => {
    const r = await tryEcho(srv.port, clientTlsOptions({ caPath: pki.caCertPath }));
    expect(r).toEqual({ ok: true, protocol: 'TLSv1.3' });
    expect(await tryEcho(srv.port, clientTlsOptions({ caPath: pki.caCertPath, servername: 'localhost' }))).toMatchObject({ ok: true });
    expect(srv.peerNames).toEqual([null, null]);
  });

  it('a client that trusts another CA refuses the server', async () => {
    const r = await tryEcho(srv.port, clientTlsOptions({ caPath: otherCaPath }));
    // The server sends its chain with the CA, so OpenSSL reports the untrusted self-signed root.
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.code).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/);
  });

  it('a client checking a name the certificate does not carry refuses the server', async () => {
    const r = await tryEcho(srv.port, clientTlsOptions({ caPath: pki.caCertPath, servername: 'elsewhere.example' }));
    expect(r).toEqual({ ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('refuses clients that offer only TLS 1.1 or older (Node 20 also defaults to 1.2) and counts it as refused', async () => {
    const r = await tryEcho(srv.port, { ...clientTlsOptions({ caPath: pki.caCertPath }), minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    expect(r.ok).toBe(false);
    await waitFor(() => srv.refused.length > 0);
    expect(srv.refused.length).toBeGreaterThan(0);
  });
});

describe('mutual TLS', () => {
  let srv: Running;
  beforeAll(async () => {
    srv = await startServer(serverTlsOptions(pki, { requireClientCert: true }), echo);
  });
  afterAll(() => srv.close());

  it('refuses a client without a certificate, and counts the refused handshake', async () => {
    const before = srv.refused.length;
    const r = await tryEcho(srv.port, clientTlsOptions({ caPath: pki.caCertPath }));
    expect(r.ok).toBe(false);
    await waitFor(() => srv.refused.length > before);
    expect(srv.refused.slice(before).map((x) => x.code)).toEqual(['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE']);
    expect(srv.refused[before]?.remoteAddress).toBe('127.0.0.1');
  });

  it('refuses a client whose certificate comes from another CA (even with the same CN)', async () => {
    const before = srv.refused.length;
    const r = await tryEcho(srv.port, clientTlsOptions({ caPath: pki.caCertPath, ...mallory }));
    expect(r.ok).toBe(false);
    await waitFor(() => srv.refused.length > before);
    expect(srv.refused.slice(before).map((x) => x.code)).toEqual(['UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
  });

  it('accepts a client with a certificate from issueClientCertificate and sees its CN', async () => {
    const before = srv.peerNames.length;
    const r = await tryEcho(srv.port, clientTlsOptions({ caPath: pki.caCertPath, ...alice }));
    expect(r).toMatchObject({ ok: true });
    expect(srv.peerNames.slice(before)).toEqual(['alice']);
  });

  it('no refused connection ever reached the application', () => {
    expect(srv.peerNames.every((n) => n === 'alice')).toBe(true);
  });
});

describe('mutual TLS between nodes sharing the CA (no manual certificate work)', () => {
  it('core2 dials core1 with the node certificate ensurePki gave it; core1 sees CN core2', async () => {
    const core2 = await ensurePki(path.join(dir, 'core2'), { caDir: path.join(dir, 'data'), commonName: 'core2' });
    const srv = await startServer(serverTlsOptions(pki, { requireClientCert: true }), echo);
    try {
      const r = await tryEcho(srv.port, clientTlsOptions({ caPath: core2.caCertPath, certPath: core2.serverCertPath, keyPath: core2.serverKeyPath }));
      expect(r).toMatchObject({ ok: true });
      expect(srv.peerNames).toEqual(['core2']);
      expect(srv.refused).toEqual([]);
    } finally {
      await srv.close();
    }
  });
});

describe('redis-cli --tls --cacert <dir>/ca.crt', () => {
  const haveRedisCli = new Promise<boolean>((resolve) => execFile('which', ['redis-cli'], (err) => resolve(err === null)));
  const pong = (s: tls.TLSSocket): void => {
    s.on('data', () => s.write('+PONG\r\n'));
  };
  const redisCli = (args: string[]): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      execFile('redis-cli', args, { timeout: redisCliTimeoutMs }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, out: (stdout + stderr).trim() });
      });
    });

  it('PING works against a server using the generated certificates, and with mutual TLS using an issued client cert', async (ctx) => {
    if (!(await haveRedisCli)) {
      ctx.skip('redis-cli is not installed (apt-get install redis-tools); skipping the redis-cli interop test');
      return;
    }
    const plain = await startServer(serverTlsOptions(pki, { requireClientCert: false }), pong);
    const mutual = await startServer(serverTlsOptions(pki, { requireClientCert: true }), pong);
    try {
      expect(await redisCli(['--tls', '--cacert', pki.caCertPath, '-p', String(plain.port), 'PING'])).toEqual({ code: 0, out: 'PONG' });
      expect(await redisCli(['--tls', '--cacert', otherCaPath, '-p', String(plain.port), 'PING'])).toMatchObject({ out: expect.stringMatching(/certificate verify failed/) });
      const withCert = ['--tls', '--cacert', pki.caCertPath, '--cert', alice.certPath, '--key', alice.keyPath, '-p', String(mutual.port), 'PING'];
      expect(await redisCli(withCert)).toEqual({ code: 0, out: 'PONG' });
      const noCert = await redisCli(['--tls', '--cacert', pki.caCertPath, '-p', String(mutual.port), 'PING']);
      expect(noCert.code).not.toBe(0);
      expect(noCert.out).toMatch(/Server closed the connection|SSL|certificate/);
      expect(mutual.peerNames).toEqual(['alice']);
    } finally {
      await plain.close();
      await mutual.close();
    }
  });
});
