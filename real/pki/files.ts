// The PKI on disk: `ca.crt`, `ca.key`, `server.crt`, `server.key` in a node's data directory.
// First boot creates them; later boots load and check them and re-issue the server
// certificate when it no longer fits (missing, unreadable, wrong key, not from this CA,
// expiring, or missing a requested name). The CA itself is never silently replaced: every
// client trusts it, so a missing CA key or an expired CA is a clear error instead.
//
// Every file is written whole or not at all: temp file (0600 for keys) -> write -> fsync ->
// rename -> fsync of the directory, so a crash never leaves a half-written key behind. Write
// order makes each crash window recoverable: ca.key before ca.crt (a surviving key gets a
// fresh self-signed cert), server.key before server.crt (a mismatch is re-issued at boot).

import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import {
  caValidDaysDefault,
  commonNameBytesMax,
  generateKeyPairPem,
  issueCertificate,
  selfSign,
  validDnsName,
  type CertAndKey,
  type CertKind,
  type KeyPairPem,
} from './ca';
import { unreachable } from '../../net/types';

export const caCertFile = 'ca.crt';
export const caKeyFile = 'ca.key';
export const serverCertFile = 'server.crt';
export const serverKeyFile = 'server.key';
export const keyFileMode = 0o600;
export const certFileMode = 0o644;
export const dataDirMode = 0o700;
export const pemFileBytesMax = 64 * 1024;
export const serverNamesMax = 32;
/** A server certificate this close to its notAfter is re-issued at boot rather than left to lapse. */
export const serverRenewBeforeDays = 7;
export const serverCommonName = 'keepsake-server';

const dayMs = 24 * 60 * 60 * 1000;
const tempFilePattern = /^\.(ca|server)\.(crt|key)\.tmp-[0-9a-f]{12}$/;

export type PkiErrorCode =
  | 'ca-missing' // no CA at all where one is required (issuing a client cert before first boot)
  | 'ca-key-missing' // ca.crt exists but ca.key does not: cannot issue, must not silently replace
  | 'ca-corrupt' // ca.crt or ca.key does not parse
  | 'ca-mismatch' // ca.key is not the key of ca.crt
  | 'ca-not-ca' // ca.crt lacks basicConstraints CA:true
  | 'ca-expired'
  | 'ca-conflict' // asked to share another directory's CA while this one has a CA key of its own
  | 'bad-name' // a server name or certificate name the caller gave is not acceptable
  | 'file-too-large'
  | 'exists'; // refusing to overwrite an issued certificate

/** Expected failures (bad input, a damaged data directory) carry a code and an actionable message. */
export class PkiError extends Error {
  override name = 'PkiError';
  constructor(
    readonly code: PkiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Why a server certificate was issued; 'names' = a requested host name, IP or the CN is not in the old one. */
export type ServerIssueReason = 'first-boot' | 'missing' | 'unreadable' | 'key-mismatch' | 'wrong-ca' | 'expired' | 'names';

export interface Pki {
  readonly caCertPath: string;
  readonly caKeyPath: string;
  readonly serverCertPath: string;
  readonly serverKeyPath: string;
  /** True when this call made a new CA certificate: clients must (re)fetch ca.crt. */
  readonly created: boolean;
  /** Why the server certificate was (re)issued by this call, or null when the one on disk was kept. */
  readonly serverIssued: ServerIssueReason | null;
  /** SHA-256 fingerprint of ca.crt, colon-separated hex (as `openssl x509 -fingerprint -sha256`). */
  readonly caFingerprint256: string;
  readonly caCertPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** Things done to the directory that an operator may want to hear about (a key's mode tightened). */
  readonly notes: readonly string[];
}

export interface EnsurePkiOptions {
  /** Extra host names / IP addresses for the server certificate (localhost, 127.0.0.1, ::1 always). */
  readonly serverNames?: readonly string[];
  /**
   * Share the CA of another data directory (the first Core's) instead of having one here:
   * this directory gets a copy of that ca.crt (never its key) and a node certificate issued
   * by it, so every node of a cluster on this machine trusts every other with no manual step.
   */
  readonly caDir?: string;
  /** CN of the server certificate: under mutual TLS peers see it as this node's name. */
  readonly commonName?: string;
  /** "Now" for validity checks and issuing; tests move it. Default: the wall clock. */
  readonly now?: Date;
}

export async function ensurePki(dataDir: string, opts: EnsurePkiOptions = {}): Promise<Pki> {
  const now = opts.now ?? new Date();
  const names = splitServerNames(opts.serverNames ?? []);
  const commonName = opts.commonName ?? serverCommonName;
  if (!validCertName(commonName)) throw new PkiError('bad-name', `server common name ${JSON.stringify(commonName)} is not acceptable`);
  await fsp.mkdir(dataDir, { recursive: true, mode: dataDirMode });
  await removeStaleTempFiles(dataDir);
  const notes: string[] = [];
  const caDir = opts.caDir !== undefined && path.resolve(opts.caDir) !== path.resolve(dataDir) ? opts.caDir : null;

  const step = caDir === null ? await ownCa(dataDir, now, notes) : await sharedCa(dataDir, caDir, now, notes);
  const existing = await readServerFiles(dataDir, notes);
  const problem = step.firstBoot ? 'first-boot' : serverProblem(step.ca.certPem, existing, names, commonName, now);
  const server = problem === null && existing !== null ? existing : await issueServer(dataDir, step.ca, { names, commonName, now, keys: step.serverKeys });
  return {
    ...pkiPaths(dataDir),
    caKeyPath: path.join(caDir ?? dataDir, caKeyFile),
    created: step.created,
    serverIssued: problem,
    caFingerprint256: new X509Certificate(step.ca.certPem).fingerprint256,
    caCertPem: step.ca.certPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    notes,
  };
}

export function pkiPaths(dataDir: string): Pick<Pki, 'caCertPath' | 'caKeyPath' | 'serverCertPath' | 'serverKeyPath'> {
  return {
    caCertPath: path.join(dataDir, caCertFile),
    caKeyPath: path.join(dataDir, caKeyFile),
    serverCertPath: path.join(dataDir, serverCertFile),
    serverKeyPath: path.join(dataDir, serverKeyFile),
  };
}

/** Lines for the boot log: where the CA certificate is and how to connect with it. */
export function pkiBootMessage(pki: Pki, port?: number): string[] {
  const portArg = port === undefined ? '' : ` -p ${port}`;
  return [
    `${pki.created ? 'created' : 'using'} CA certificate ${pki.caCertPath} (SHA-256 ${pki.caFingerprint256})`,
    ...(pki.serverIssued !== null ? [`issued server certificate ${pki.serverCertPath} (${pki.serverIssued})`] : []),
    `connect with: redis-cli --tls --cacert ${pki.caCertPath}${portArg}`,
    ...pki.notes,
  ];
}

export interface IssueFilesOptions {
  readonly kind?: CertKind;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validDays?: number;
  /** Replace `<name>.crt`/`<name>.key` if they exist (default: refuse with code 'exists'). */
  readonly overwrite?: boolean;
}

/** For `keepsake cert issue --name alice`: writes `<outDir>/alice.crt` and `alice.key` (0600). */
export async function issueClientCertificate(
  dataDir: string,
  name: string,
  outDir: string,
  opts: Omit<IssueFilesOptions, 'kind'> = {},
): Promise<{ certPath: string; keyPath: string }> {
  return issueCertificateFiles(dataDir, name, outDir, { ...opts, kind: 'client' });
}

/** Issues a certificate of any kind from the CA in `dataDir` (nodes of a cluster get kind 'node'). */
export async function issueCertificateFiles(
  dataDir: string,
  name: string,
  outDir: string,
  opts: IssueFilesOptions = {},
): Promise<{ certPath: string; keyPath: string }> {
  if (!validCertName(name)) {
    throw new PkiError('bad-name', `certificate name ${JSON.stringify(name)}: use 1-${commonNameBytesMax} characters from A-Z a-z 0-9 . _ @ -, not starting with . or -`);
  }
  for (const d of opts.dnsNames ?? []) if (!validDnsName(d)) throw new PkiError('bad-name', `bad DNS name ${JSON.stringify(d)}`);
  for (const ip of opts.ipAddresses ?? []) if (isIP(ip) === 0) throw new PkiError('bad-name', `bad IP address ${JSON.stringify(ip)}`);
  const ca = await loadCa(dataDir);
  checkCa(ca, new Date(), path.join(dataDir, caCertFile));
  await fsp.mkdir(outDir, { recursive: true, mode: dataDirMode });
  const certPath = path.join(outDir, `${name}.crt`);
  const keyPath = path.join(outDir, `${name}.key`);
  if (opts.overwrite !== true && ((await exists(certPath)) || (await exists(keyPath)))) {
    throw new PkiError('exists', `${certPath} or ${keyPath} already exists (pass overwrite to replace)`);
  }
  const issued = issueCertificate(ca, {
    commonName: name,
    kind: opts.kind ?? 'client',
    keys: await generateKeyPairPem(),
    ...(opts.dnsNames !== undefined ? { dnsNames: opts.dnsNames } : {}),
    ...(opts.ipAddresses !== undefined ? { ipAddresses: opts.ipAddresses } : {}),
    ...(opts.validDays !== undefined ? { validDays: opts.validDays } : {}),
  });
  await writeFileAtomic(outDir, `${name}.key`, issued.keyPem, keyFileMode);
  await writeFileAtomic(outDir, `${name}.crt`, issued.certPem, certFileMode);
  return { certPath, keyPath };
}

/** The CA of a data directory, for issuing; a clear PkiError when it is absent or damaged. */
export async function loadCa(dataDir: string): Promise<CertAndKey> {
  const loaded = await loadCaFiles(dataDir, []);
  switch (loaded.kind) {
    case 'none':
      throw new PkiError('ca-missing', `no CA in ${dataDir}: start the server once (it creates ${caCertFile} and ${caKeyFile}) or point at its data directory`);
    case 'keyOnly':
      throw new PkiError('ca-missing', `${path.join(dataDir, caCertFile)} is missing (${caKeyFile} exists): start the server once to re-create it`);
    case 'both':
      return { certPem: loaded.certPem, keyPem: loaded.keyPem };
    default:
      return unreachable(loaded);
  }
}

export function validCertName(name: string): boolean {
  return Buffer.byteLength(name) <= commonNameBytesMax && /^[A-Za-z0-9_@][A-Za-z0-9._@-]*$/.test(name);
}

// ---- CA ---------------------------------------------------------------------------------

type LoadedCa =
  | { readonly kind: 'none' }
  | { readonly kind: 'keyOnly'; readonly keyPem: string }
  | { readonly kind: 'both'; readonly certPem: string; readonly keyPem: string };

async function loadCaFiles(dataDir: string, notes: string[]): Promise<LoadedCa> {
  const certPath = path.join(dataDir, caCertFile);
  const keyPath = path.join(dataDir, caKeyFile);
  const keyPem = await readPem(keyPath, notes, true);
  const certPem = await readPem(certPath, notes, false);
  if (keyPem === null && certPem === null) return { kind: 'none' };
  if (keyPem === null) {
    throw new PkiError(
      'ca-key-missing',
      `${keyPath} is missing but ${certPath} exists: the CA cannot issue certificates without its key. ` +
        `Restore ${caKeyFile} from a backup, or delete ${caCertFile} to start a new CA (every client must then trust the new ${caCertFile}).`,
    );
  }
  if (certPem === null) return { kind: 'keyOnly', keyPem };
  return { kind: 'both', certPem, keyPem };
}

interface CaStep {
  readonly ca: CertAndKey;
  /** A new CA certificate was made (clients must trust the new ca.crt). */
  readonly created: boolean;
  /** Nothing was here: the server certificate is issued without looking for an old one. */
  readonly firstBoot: boolean;
  /** On first boot the server's key pair is generated alongside the CA's (in parallel). */
  readonly serverKeys?: KeyPairPem;
}

async function ownCa(dataDir: string, now: Date, notes: string[]): Promise<CaStep> {
  const loaded = await loadCaFiles(dataDir, notes);
  const step = loaded.kind === 'none' ? await createCa(dataDir, now) : await caFromLoaded(dataDir, loaded, now);
  checkCa(step.ca, now, path.join(dataDir, caCertFile));
  return step;
}

/** The CA lives in `caDir`; `dataDir` keeps an up-to-date copy of its certificate only. */
async function sharedCa(dataDir: string, caDir: string, now: Date, notes: string[]): Promise<CaStep> {
  if (await exists(path.join(dataDir, caKeyFile))) {
    throw new PkiError('ca-conflict', `${path.join(dataDir, caKeyFile)} exists but the CA of ${caDir} was asked for: this directory has a CA of its own; remove its ca.crt and ca.key to join the shared CA`);
  }
  const ca = await loadCa(caDir);
  checkCa(ca, now, path.join(caDir, caCertFile));
  const copy = await readPem(path.join(dataDir, caCertFile), notes, false);
  if (copy !== ca.certPem) {
    await writeFileAtomic(dataDir, caCertFile, ca.certPem, certFileMode);
    notes.push(`copied the shared CA certificate from ${path.join(caDir, caCertFile)}`);
  }
  return { ca, created: false, firstBoot: false };
}

async function createCa(dataDir: string, now: Date): Promise<CaStep> {
  // Two key pairs at once on the libuv pool: first boot costs about one key generation, not two.
  const [caKeys, serverKeys] = await Promise.all([generateKeyPairPem(), generateKeyPairPem()]);
  const ca = selfSign(caKeys, defaultCaName(), caValidDaysDefault, now);
  await writeFileAtomic(dataDir, caKeyFile, ca.keyPem, keyFileMode);
  await writeFileAtomic(dataDir, caCertFile, ca.certPem, certFileMode);
  return { ca, created: true, firstBoot: true, serverKeys };
}

async function caFromLoaded(dataDir: string, loaded: Exclude<LoadedCa, { kind: 'none' }>, now: Date): Promise<CaStep> {
  switch (loaded.kind) {
    case 'keyOnly': {
      // A crash between writing ca.key and ca.crt on first boot: the key survived, so re-sign.
      const ca = selfSignOrCorrupt(path.join(dataDir, caKeyFile), loaded.keyPem, now);
      await writeFileAtomic(dataDir, caCertFile, ca.certPem, certFileMode);
      return { ca, created: true, firstBoot: false };
    }
    case 'both':
      return { ca: { certPem: loaded.certPem, keyPem: loaded.keyPem }, created: false, firstBoot: false };
    default:
      return unreachable(loaded);
  }
}

function selfSignOrCorrupt(keyPath: string, keyPem: string, now: Date): CertAndKey {
  try {
    return selfSign({ privateKeyPem: keyPem }, defaultCaName(), caValidDaysDefault, now);
  } catch (e) {
    throw new PkiError('ca-corrupt', `${keyPath} does not parse as an RSA private key: ${(e as Error).message}`);
  }
}

function defaultCaName(): string {
  return `Keepsake CA ${randomBytes(4).toString('hex')}`;
}

function checkCa(ca: CertAndKey, now: Date, certPath: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(ca.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(ca.keyPem))) {
      throw new PkiError('ca-mismatch', `${certPath}: ${caKeyFile} is not the key of this CA certificate (files from two different CAs?)`);
    }
  } catch (e) {
    if (e instanceof PkiError) throw e;
    throw new PkiError('ca-corrupt', `${certPath} or its key does not parse: ${(e as Error).message}`);
  }
  if (!cert.ca) throw new PkiError('ca-not-ca', `${certPath} is not a CA certificate (basicConstraints CA:false)`);
  if (new Date(cert.validTo).getTime() <= now.getTime()) {
    throw new PkiError('ca-expired', `${certPath} expired on ${cert.validTo}: delete ${caCertFile} and ${caKeyFile} to start a new CA, then redistribute ${caCertFile}`);
  }
}

// ---- Server certificate -----------------------------------------------------------------

export interface ServerNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

function splitServerNames(names: readonly string[]): ServerNames {
  if (names.length > serverNamesMax) throw new PkiError('bad-name', `more than serverNamesMax=${serverNamesMax} server names`);
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const n of names) {
    if (isIP(n) !== 0) ipAddresses.push(n);
    else if (validDnsName(n)) dnsNames.push(n.toLowerCase());
    else throw new PkiError('bad-name', `server name ${JSON.stringify(n)} is neither a DNS name nor an IP address`);
  }
  return { dnsNames, ipAddresses };
}

async function readServerFiles(dataDir: string, notes: string[]): Promise<CertAndKey | null> {
  const keyPem = await readPem(path.join(dataDir, serverKeyFile), notes, true);
  const certPem = await readPem(path.join(dataDir, serverCertFile), notes, false);
  return keyPem === null || certPem === null ? null : { certPem, keyPem };
}

/** Why the server certificate on disk cannot be kept, or null if it can. */
export function serverProblem(caCertPem: string, server: CertAndKey | null, names: ServerNames, commonName: string, now: Date): ServerIssueReason | null {
  if (server === null) return 'missing';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(server.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(server.keyPem))) return 'key-mismatch';
  } catch {
    return 'unreadable';
  }
  const ca = new X509Certificate(caCertPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'wrong-ca';
  const renewAtMs = now.getTime() + serverRenewBeforeDays * dayMs;
  if (new Date(cert.validTo).getTime() <= renewAtMs || new Date(cert.validFrom).getTime() > now.getTime()) return 'expired';
  const covered =
    subjectCommonName(cert) === commonName &&
    names.dnsNames.every((d) => cert.checkHost(d, { wildcards: false }) !== undefined) &&
    names.ipAddresses.every((ip) => cert.checkIP(ip) !== undefined);
  return covered ? null : 'names';
}

function subjectCommonName(cert: X509Certificate): string | null {
  const line = cert.subject.split('\n').find((l) => l.startsWith('CN='));
  return line === undefined ? null : line.slice('CN='.length);
}

interface ServerIssue {
  readonly names: ServerNames;
  readonly commonName: string;
  readonly now: Date;
  readonly keys: KeyPairPem | undefined;
}

async function issueServer(dataDir: string, ca: CertAndKey, req: ServerIssue): Promise<CertAndKey> {
  const server = issueCertificate(ca, {
    commonName: req.commonName,
    kind: 'node', // a Core both serves clients and dials its peers with this certificate
    dnsNames: req.names.dnsNames,
    ipAddresses: req.names.ipAddresses,
    keys: req.keys ?? (await generateKeyPairPem()),
    now: req.now,
  });
  await writeFileAtomic(dataDir, serverKeyFile, server.keyPem, keyFileMode);
  await writeFileAtomic(dataDir, serverCertFile, server.certPem, certFileMode);
  return server;
}

// ---- Files ------------------------------------------------------------------------------

/** The file's text, or null when it does not exist. Private keys readable by others are tightened to 0600. */
async function readPem(file: string, notes: string[], isKey: boolean): Promise<string | null> {
  let st: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    st = await fsp.stat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (st.size > pemFileBytesMax) throw new PkiError('file-too-large', `${file} is ${st.size} bytes, more than pemFileBytesMax=${pemFileBytesMax}`);
  if (isKey && (st.mode & 0o077) !== 0) {
    await fsp.chmod(file, keyFileMode);
    notes.push(`${file} was readable by others (mode ${(st.mode & 0o777).toString(8)}); set to 600`);
  }
  return fsp.readFile(file, 'utf8');
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Temp file -> write -> fsync -> rename -> fsync(dir): the name holds the old or the new content, whole. */
export async function writeFileAtomic(dir: string, name: string, text: string, mode: number): Promise<void> {
  const tmp = path.join(dir, `.${name}.tmp-${randomBytes(6).toString('hex')}`);
  try {
    const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
      await fh.chmod(mode); // the umask may have narrowed a cert's 0644; a key is 0600 from creation on
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path.join(dir, name));
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function removeStaleTempFiles(dataDir: string): Promise<void> {
  for (const name of await fsp.readdir(dataDir)) {
    if (tempFilePattern.test(name)) await fsp.rm(path.join(dataDir, name), { force: true });
  }
}
