import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { generateCa, issueCertificate, serialBytes } from '../../real/pki/ca';

// Key generation is the slow part: one CA and three leaves for the whole file.
const ca = generateCa({ commonName: 'Test CA' });
const server = issueCertificate(ca, { commonName: 'srv', kind: 'server', dnsNames: ['core1.example'], ipAddresses: ['10.1.2.3'] });
const client = issueCertificate(ca, { commonName: 'alice', kind: 'client' });
const node = issueCertificate(ca, { commonName: 'core2', kind: 'node' });

type Ext = { name: string; [k: string]: unknown };
const ext = (pem: string, name: string): Ext | undefined => forge.pki.certificateFromPem(pem).getExtension(name) as Ext | undefined;

describe('generateCa', () => {
  const x = new X509Certificate(ca.certPem);
  it('is a self-signed CA with keyCertSign and cRLSign and a subject key identifier', () => {
    expect(x.ca).toBe(true);
    expect(x.checkIssued(x)).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.subject).toContain('CN=Test CA');
    expect(ext(ca.certPem, 'basicConstraints')).toMatchObject({ cA: true, critical: true });
    expect(ext(ca.certPem, 'keyUsage')).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: false, critical: true });
    expect(ext(ca.certPem, 'subjectKeyIdentifier')).toBeDefined();
  });
  it('gives default CA names a random suffix, so two CAs never share a subject', () => {
    const a = new X509Certificate(generateCa({ validDays: 1 }).certPem);
    expect(a.subject).toMatch(/CN=Keepsake CA [0-9a-f]{8}/);
    expect(a.subject).not.toBe(x.subject);
  });
});

describe('issueCertificate', () => {
  const caX = new X509Certificate(ca.certPem);
  const caSki = (ext(ca.certPem, 'subjectKeyIdentifier') as unknown as { subjectKeyIdentifier: string }).subjectKeyIdentifier;

  it.each([
    ['server', server.certPem, ['1.3.6.1.5.5.7.3.1']],
    ['client', client.certPem, ['1.3.6.1.5.5.7.3.2']],
    ['node', node.certPem, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']],
  ])('%s: chains to the CA, CA:false, digitalSignature+keyEncipherment, SHA-256, AKI = CA SKI, EKU %j', (_kind, pem, eku) => {
    const x = new X509Certificate(pem);
    expect(x.checkIssued(caX)).toBe(true);
    expect(x.verify(caX.publicKey)).toBe(true);
    expect(x.ca).toBe(false);
    expect([...(x.keyUsage ?? [])].sort()).toEqual(eku);
    expect(ext(pem, 'keyUsage')).toMatchObject({ digitalSignature: true, keyEncipherment: true, keyCertSign: false });
    expect(ext(pem, 'basicConstraints')).toMatchObject({ cA: false, critical: true });
    const f = forge.pki.certificateFromPem(pem);
    expect(f.siginfo.algorithmOid).toBe(forge.pki.oids['sha256WithRSAEncryption']);
    const aki = ext(pem, 'authorityKeyIdentifier') as unknown as { value: string };
    // AKI value = SEQUENCE { [0] keyIdentifier }: the CA's SKI must be the last 20 bytes.
    expect(forge.util.bytesToHex(aki.value).endsWith(caSki)).toBe(true);
  });

  it('servers get localhost, 127.0.0.1 and ::1 plus the names asked for; clients no SAN', () => {
    const x = new X509Certificate(server.certPem);
    expect(x.subjectAltName).toBe('DNS:localhost, DNS:core1.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.1.2.3');
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('::1')).toBe('::1');
    expect(new X509Certificate(node.certPem).checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(new X509Certificate(client.certPem).subjectAltName).toBeUndefined();
    expect(new X509Certificate(client.certPem).subject).toContain('CN=alice');
  });

  it('uses random positive 16-byte serial numbers', () => {
    const serials = [server, client, node, ca].map((c) => new X509Certificate(c.certPem).serialNumber);
    for (const s of serials) {
      expect(s).toMatch(new RegExp(`^[0-9A-F]{${serialBytes * 2}}$`));
      expect(parseInt(s.slice(0, 2), 16) & 0x80).toBe(0);
    }
    expect(new Set(serials).size).toBe(serials.length);
  });

  it('starts validity an hour back (clock skew) and ends validDays ahead', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const c = issueCertificate(ca, { commonName: 'skew', kind: 'client', validDays: 2, now, keys: { privateKeyPem: client.keyPem } });
    const x = new X509Certificate(c.certPem);
    expect(new Date(x.validFrom).toISOString()).toBe('2029-12-31T23:00:00.000Z');
    expect(new Date(x.validTo).toISOString()).toBe('2030-01-03T00:00:00.000Z');
  });

  it('asserts on bad input from code (a bug), rather than issuing a broken certificate', () => {
    const keys = { privateKeyPem: client.keyPem };
    expect(() => issueCertificate(ca, { commonName: '', kind: 'client', keys })).toThrow(/common name is empty/);
    expect(() => issueCertificate(ca, { commonName: 'x', kind: 'server', ipAddresses: ['300.1.1.1'], keys })).toThrow(/bad IP/);
    expect(() => issueCertificate(ca, { commonName: 'x', kind: 'server', dnsNames: ['a b'], keys })).toThrow(/bad DNS/);
    expect(() => issueCertificate(ca, { commonName: 'x', kind: 'client', validDays: 0, keys })).toThrow(/validDays/);
  });
});
