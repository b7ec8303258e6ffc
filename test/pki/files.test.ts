import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairPemSync, issueCertificate } from '../../real/pki/ca';
import { ensurePki, issueClientCertificate, PkiError, pkiBootMessage, type Pki } from '../../real/pki/files';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'keepsake-pki-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;
const fingerprint = async (p: string): Promise<string> => new X509Certificate(await readFile(p, 'utf8')).fingerprint256;

async function expectPkiError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PkiError);
  expect((e as PkiError).code).toBe(code);
  expect((e as PkiError).message).toMatch(message);
}

describe('ensurePki', () => {
  let dir: string;
  let first: Pki;
  beforeAll(async () => {
    dir = await freshDir();
    first = await ensurePki(path.join(dir, 'data'), { serverNames: ['core1.example', '10.9.8.7'] });
  });

  it('first boot creates ca.crt, ca.key, server.crt, server.key (keys 0600, nothing else left behind)', async () => {
    const data = path.join(dir, 'data');
    expect(first.created).toBe(true);
    expect(first.serverIssued).toBe('first-boot');
    expect((await readdir(data)).sort()).toEqual(['ca.crt', 'ca.key', 'server.crt', 'server.key']);
    expect(await mode(first.caKeyPath)).toBe(0o600);
    expect(await mode(first.serverKeyPath)).toBe(0o600);
    expect(await mode(first.caCertPath)).toBe(0o644);
    expect(await mode(data)).toBe(0o700);
    const server = new X509Certificate(await readFile(first.serverCertPath, 'utf8'));
    expect(server.verify(new X509Certificate(await readFile(first.caCertPath, 'utf8')).publicKey)).toBe(true);
    expect(server.checkHost('core1.example')).toBe('core1.example');
    expect(server.checkIP('10.9.8.7')).toBe('10.9.8.7');
    expect(pkiBootMessage(first, 6380)).toContain(`connect with: redis-cli --tls --cacert ${first.caCertPath} -p 6380`);
  });

  it('a later boot loads without regenerating: same CA and server certificate, created false', async () => {
    const caBefore = await fingerprint(first.caCertPath);
    const serverBefore = await fingerprint(first.serverCertPath);
    const again = await ensurePki(path.join(dir, 'data'), { serverNames: ['core1.example'] });
    expect(again.created).toBe(false);
    expect(again.serverIssued).toBeNull();
    expect(again.caFingerprint256).toBe(caBefore);
    expect(await fingerprint(first.caCertPath)).toBe(caBefore);
    expect(await fingerprint(first.serverCertPath)).toBe(serverBefore);
    expect(again.serverKeyPem).toBe(first.serverKeyPem);
  });

  it('re-issues from the same CA when a new server name is asked for', async () => {
    const d = path.join(dir, 'data');
    const again = await ensurePki(d, { serverNames: ['core1.example', 'core9.example'] });
    expect(again.serverIssued).toBe('names');
    expect(again.caFingerprint256).toBe(first.caFingerprint256);
    expect(new X509Certificate(again.serverCertPem).checkHost('core9.example')).toBe('core9.example');
  });

  it('re-issues an expired server certificate at boot, keeping the CA', async () => {
    const d = path.join(dir, 'data');
    const ca = { certPem: await readFile(first.caCertPath, 'utf8'), keyPem: await readFile(first.caKeyPath, 'utf8') };
    const keys = { privateKeyPem: await readFile(first.serverKeyPath, 'utf8') };
    const expired = issueCertificate(ca, { commonName: 'old', kind: 'node', validDays: 1, now: new Date(Date.now() - 30 * 86_400_000), keys });
    await writeFile(first.serverCertPath, expired.certPem);
    expect(new Date(new X509Certificate(expired.certPem).validTo).getTime()).toBeLessThan(Date.now());

    const again = await ensurePki(d);
    expect(again.created).toBe(false);
    expect(again.serverIssued).toBe('expired');
    expect(again.caFingerprint256).toBe(first.caFingerprint256);
    const onDisk = new X509Certificate(await readFile(first.serverCertPath, 'utf8'));
    expect(new Date(onDisk.validTo).getTime()).toBeGreaterThan(Date.now() + 30 * 86_400_000);
    expect(onDisk.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(await mode(first.serverKeyPath)).toBe(0o600);
  });

  it('re-issues when server.key does not match server.crt (a crash between the two renames)', async () => {
    const d = path.join(dir, 'data');
    await writeFile(first.serverKeyPath, generateKeyPairPemSync().privateKeyPem, { mode: 0o600 });
    const again = await ensurePki(d);
    expect(again.serverIssued).toBe('key-mismatch');
    expect((await ensurePki(d)).serverIssued).toBeNull();
  });

  it('tightens a private key left readable by others, and says so', async () => {
    const d = path.join(dir, 'data');
    await chmod(first.caKeyPath, 0o644);
    const again = await ensurePki(d);
    expect(await mode(first.caKeyPath)).toBe(0o600);
    expect(again.notes.join('\n')).toMatch(/ca\.key was readable by others/);
  });

  it('removes temp files a crash left behind', async () => {
    const d = path.join(dir, 'data');
    await writeFile(path.join(d, '.server.key.tmp-0123456789ab'), 'half a key', { mode: 0o600 });
    await ensurePki(d);
    expect((await readdir(d)).sort()).toEqual(['ca.crt', 'ca.key', 'server.crt', 'server.key']);
  });
});

describe('ensurePki with a damaged CA', () => {
  it('a missing CA key is a clear error, and nothing is replaced', async () => {
    const d = await freshDir();
    const p = await ensurePki(d);
    await unlink(p.caKeyPath);
    await expectPkiError(ensurePki(d), 'ca-key-missing', /ca\.key is missing but .*ca\.crt exists/);
    expect(await fingerprint(p.caCertPath)).toBe(p.caFingerprint256);
  });

  it('a CA key that belongs to another CA is a clear error', async () => {
    const d = await freshDir();
    const p = await ensurePki(d);
    await writeFile(p.caKeyPath, p.serverKeyPem);
    await expectPkiError(ensurePki(d), 'ca-mismatch', /not the key of this CA/);
  });

  it('a surviving ca.key without ca.crt (crash during first boot) gets a new CA certificate for the same key', async () => {
    const d = await freshDir();
    const p = await ensurePki(d);
    const caKey = await readFile(p.caKeyPath, 'utf8');
    await unlink(p.caCertPath);
    const again = await ensurePki(d);
    expect(again.created).toBe(true);
    expect(await readFile(p.caKeyPath, 'utf8')).toBe(caKey);
    expect(again.serverIssued).toBe('wrong-ca'); // the old server cert names the old CA subject
    expect(new X509Certificate(again.serverCertPem).verify(new X509Certificate(again.caCertPem).publicKey)).toBe(true);
  });

  it('a lone ca.key that does not parse is a clear error, not a stack trace from the ASN.1 parser', async () => {
    const d = await freshDir();
    await writeFile(path.join(d, 'ca.key'), 'not a key', { mode: 0o600 });
    await expectPkiError(ensurePki(d), 'ca-corrupt', /ca\.key does not parse/);
  });

  it('rejects a server name that is neither a DNS name nor an IP', async () => {
    await expectPkiError(ensurePki(await freshDir(), { serverNames: ['bad name!'] }), 'bad-name', /neither a DNS name nor an IP/);
  });
});

describe('issueClientCertificate', () => {
  it('issues a client certificate (CN = name, key 0600) from the data directory CA, and refuses to overwrite it', async () => {
    const d = await freshDir();
    const p = await ensurePki(path.join(d, 'data'));
    const out = path.join(d, 'out');
    const { certPath, keyPath } = await issueClientCertificate(path.join(d, 'data'), 'alice', out);
    expect(certPath).toBe(path.join(out, 'alice.crt'));
    expect(await mode(keyPath)).toBe(0o600);
    const x = new X509Certificate(await readFile(certPath, 'utf8'));
    expect(x.subject).toContain('CN=alice');
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(x.verify(new X509Certificate(p.caCertPem).publicKey)).toBe(true);
    await expectPkiError(issueClientCertificate(path.join(d, 'data'), 'alice', out), 'exists', /already exists/);
  });

  it('refuses names that are not safe as a file name and CN, and a directory without a CA', async () => {
    const d = await freshDir();
    for (const bad of ['', '../evil', 'a/b', '-x', 'x'.repeat(65), 'sp ace']) {
      await expectPkiError(issueClientCertificate(d, bad, d), 'bad-name', /certificate name/);
    }
    await expectPkiError(issueClientCertificate(d, 'bob', d), 'ca-missing', /no CA in/);
  });
});

describe('ensurePki with a CA shared by the nodes of a cluster (caDir)', () => {
  it('gives each node a copy of ca.crt (no CA key) and a node certificate with its CN, issued by the shared CA', async () => {
    const d = await freshDir();
    const core1 = await ensurePki(path.join(d, 'core1'), { commonName: 'core1' });
    const core2 = await ensurePki(path.join(d, 'core2'), { caDir: path.join(d, 'core1'), commonName: 'core2', serverNames: ['core2.example'] });
    expect(core2.created).toBe(false);
    expect(core2.serverIssued).toBe('missing');
    expect((await readdir(path.join(d, 'core2'))).sort()).toEqual(['ca.crt', 'server.crt', 'server.key']);
    expect(core2.caKeyPath).toBe(core1.caKeyPath);
    expect(core2.caFingerprint256).toBe(core1.caFingerprint256);
    expect(await fingerprint(core2.caCertPath)).toBe(core1.caFingerprint256);
    const x = new X509Certificate(core2.serverCertPem);
    expect(x.subject).toContain('CN=core2');
    expect(x.keyUsage?.slice().sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(x.verify(new X509Certificate(core1.caCertPem).publicKey)).toBe(true);

    const again = await ensurePki(path.join(d, 'core2'), { caDir: path.join(d, 'core1'), commonName: 'core2', serverNames: ['core2.example'] });
    expect(again.serverIssued).toBeNull();
    expect((await ensurePki(path.join(d, 'core2'), { caDir: path.join(d, 'core1'), commonName: 'core2b' })).serverIssued).toBe('names');
  });

  it('refuses to join a shared CA from a directory that has a CA key of its own', async () => {
    const d = await freshDir();
    await ensurePki(path.join(d, 'a'));
    await ensurePki(path.join(d, 'b'));
    await expectPkiError(ensurePki(path.join(d, 'b'), { caDir: path.join(d, 'a') }), 'ca-conflict', /has a CA of its own/);
    await expectPkiError(ensurePki(path.join(d, 'c'), { caDir: path.join(d, 'nowhere') }), 'ca-missing', /no CA in/);
  });
});
