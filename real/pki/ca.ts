// A small certificate authority for Keepsake: one self-signed CA per cluster, which issues
// server, client and node (server + client) certificates. node-forge builds and signs the
// X.509 structures; the RSA key pairs come from node:crypto, which is native and can run on
// the libuv thread pool (measured: about 0.3-0.4 s per 2048-bit key natively, against about
// 0.8 s and up for forge's pure-JS generator; see real/pki/README.md).
//
// Extensions follow what browsers, OpenSSL and Node check (RFC 5280 §4.2, CA/B Forum
// baseline): the CA has basicConstraints CA:true + keyUsage keyCertSign/cRLSign + a subject
// key identifier; leaves have CA:false, digitalSignature+keyEncipherment, the extended key
// usage their kind needs, a subjectAltName (servers and nodes: localhost, 127.0.0.1, ::1 by
// default), and an authority key identifier pointing at the CA's subject key identifier.

import forge from 'node-forge';
import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { assert } from '../../net/types';

export const rsaModulusBits = 2048;
export const serialBytes = 16;
export const caValidDaysDefault = 3650;
export const caValidDaysMax = 7300;
export const leafValidDaysDefault = 825;
export const leafValidDaysMax = 3650;
/** notBefore is set this far back so a peer whose clock runs slow still accepts the cert. */
export const clockSkewMs = 60 * 60 * 1000;
export const commonNameBytesMax = 64; // RFC 5280 ub-common-name
export const dnsNamesMax = 32;
export const dnsNameBytesMax = 253;
export const ipAddressesMax = 32;
export const organizationName = 'Keepsake';

const dayMs = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM (key in PKCS#8 "PRIVATE KEY" form). */
export interface CertAndKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** An RSA key pair as PEM, generated ahead of time (e.g. in parallel, off the main thread). */
export interface KeyPairPem {
  readonly privateKeyPem: string;
}

export type CertKind = 'server' | 'client' | 'node';

export interface CaOptions {
  readonly commonName?: string;
  readonly validDays?: number;
  /** A pre-generated key; a fresh one is generated synchronously when absent. */
  readonly keys?: KeyPairPem;
  /** Issue "as of" this instant (tests issue already-expired certificates). Default: now. */
  readonly now?: Date;
}

export interface CertRequest {
  readonly commonName: string;
  readonly kind: CertKind;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validDays?: number;
  readonly keys?: KeyPairPem;
  readonly now?: Date;
}

/** Which extended key usages each kind gets: node certificates serve and dial (mTLS between nodes). */
const extKeyUsageByKind = {
  server: { serverAuth: true, clientAuth: false },
  client: { serverAuth: false, clientAuth: true },
  node: { serverAuth: true, clientAuth: true },
} as const satisfies Record<CertKind, { serverAuth: boolean; clientAuth: boolean }>;

/** Servers and nodes are reachable on this machine by default; clients name no host. */
const defaultNamesByKind = {
  server: { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] },
  client: { dnsNames: [], ipAddresses: [] },
  node: { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] },
} as const satisfies Record<CertKind, { dnsNames: readonly string[]; ipAddresses: readonly string[] }>;

export function generateKeyPairPemSync(): KeyPairPem {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: rsaModulusBits,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey };
}

/** Off the main thread (libuv pool), so two keys can be generated in parallel. */
export function generateKeyPairPem(): Promise<KeyPairPem> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: rsaModulusBits,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      },
      (err, _publicKey, privateKey) => (err ? reject(err) : resolve({ privateKeyPem: privateKey })),
    );
  });
}

/** A self-signed CA. The default name carries a random suffix so two clusters' CAs never share a DN. */
export function generateCa(opts: CaOptions = {}): CertAndKey {
  const commonName = opts.commonName ?? `Keepsake CA ${randomBytes(4).toString('hex')}`;
  const validDays = opts.validDays ?? caValidDaysDefault;
  assertCommonName(commonName);
  assertValidDays(validDays, caValidDaysMax);
  return selfSign(opts.keys ?? generateKeyPairPemSync(), commonName, validDays, opts.now ?? new Date());
}

/** Re-create a CA certificate for an existing CA key (recovery when ca.crt was lost but ca.key survived). */
export function selfSign(keys: KeyPairPem, commonName: string, validDays: number, now: Date): CertAndKey {
  const privateKey = forge.pki.privateKeyFromPem(keys.privateKeyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  cert.serialNumber = randomSerialHex();
  setValidity(cert, now, validDays);
  const subject = [
    { shortName: 'CN', value: commonName },
    { shortName: 'O', value: organizationName },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const ski = cert.generateSubjectKeyIdentifier().getBytes();
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier', subjectKeyIdentifier: forge.util.bytesToHex(ski) },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

export function issueCertificate(ca: CertAndKey, req: CertRequest): CertAndKey {
  const validDays = req.validDays ?? leafValidDaysDefault;
  assertCommonName(req.commonName);
  assertValidDays(validDays, leafValidDaysMax);
  const dnsNames = unique([...defaultNamesByKind[req.kind].dnsNames, ...(req.dnsNames ?? [])]);
  const ipAddresses = unique([...defaultNamesByKind[req.kind].ipAddresses, ...(req.ipAddresses ?? [])]);
  assert(dnsNames.length <= dnsNamesMax, `issueCertificate: more than dnsNamesMax=${dnsNamesMax} DNS names`);
  assert(ipAddresses.length <= ipAddressesMax, `issueCertificate: more than ipAddressesMax=${ipAddressesMax} IPs`);
  for (const d of dnsNames) assert(validDnsName(d), `issueCertificate: bad DNS name ${JSON.stringify(d)}`);
  for (const ip of ipAddresses) assert(isIP(ip) !== 0, `issueCertificate: bad IP address ${JSON.stringify(ip)}`);

  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey;
  const keys = req.keys ?? generateKeyPairPemSync();
  const privateKey = forge.pki.privateKeyFromPem(keys.privateKeyPem) as forge.pki.rsa.PrivateKey;

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  cert.serialNumber = randomSerialHex();
  setValidity(cert, req.now ?? new Date(), validDays);
  cert.setSubject([
    { shortName: 'CN', value: req.commonName },
    { shortName: 'O', value: organizationName },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...dnsNames.map((value) => ({ type: 2, value })),
    ...ipAddresses.map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', ...extKeyUsageByKind[req.kind] },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
    // forge's `keyIdentifier: true` would use the *subject's* key; the AKI must name the CA's.
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** 16 random bytes, top bit clear (a positive INTEGER) and second-highest set (always 16 bytes long). */
function randomSerialHex(): string {
  const b = randomBytes(serialBytes);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40;
  return b.toString('hex');
}

function setValidity(cert: forge.pki.Certificate, now: Date, validDays: number): void {
  cert.validity.notBefore = new Date(now.getTime() - clockSkewMs);
  cert.validity.notAfter = new Date(now.getTime() + validDays * dayMs);
}

function assertCommonName(cn: string): void {
  assert(cn.length > 0, 'certificate common name is empty');
  assert(Buffer.byteLength(cn) <= commonNameBytesMax, `common name longer than commonNameBytesMax=${commonNameBytesMax}`);
}

function assertValidDays(days: number, max: number): void {
  assert(Number.isInteger(days) && days >= 1 && days <= max, `validDays ${days} not an integer in [1, ${max}]`);
}

export function validDnsName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= dnsNameBytesMax &&
    name.split('.').every((label) => /^(\*|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)$/.test(label))
  );
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
