// TLS options for Keepsake's servers and clients, built from the PKI in a data directory
// (real/pki). Servers always present the certificate the PKI issued; with
// `requireClientCert` they also demand a client certificate that chains to the cluster CA
// (mutual TLS), and a client with no certificate or one from another CA is refused during
// the handshake. TLS 1.2 is the floor (RFC 8996 retires 1.0 and 1.1).

import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import { pemFileBytesMax, type Pki } from './pki/files';

export const tlsMinVersion = 'TLSv1.2' as const satisfies tls.SecureVersion;

export interface ServerTlsConfig {
  /** Mutual TLS: refuse clients without a certificate issued by the cluster CA. */
  readonly requireClientCert: boolean;
}

export function serverTlsOptions(pki: Pick<Pki, 'caCertPem' | 'serverCertPem' | 'serverKeyPem'>, cfg: ServerTlsConfig): tls.TlsOptions {
  return {
    ca: [pki.caCertPem],
    cert: pki.serverCertPem,
    key: pki.serverKeyPem,
    requestCert: cfg.requireClientCert,
    rejectUnauthorized: cfg.requireClientCert,
    minVersion: tlsMinVersion,
  };
}

export interface ClientTlsConfig {
  /** The CA certificate to trust (a Keepsake data directory's ca.crt). */
  readonly caPath: string;
  /** A client certificate and its key, for servers that require mutual TLS; both or neither. */
  readonly certPath?: string;
  readonly keyPath?: string;
  /** SNI and the name the server certificate is checked against; defaults to the host dialled. */
  readonly servername?: string;
}

/** Options for `tls.connect` (merge with host and port). Reads the files now, synchronously. */
export function clientTlsOptions(cfg: ClientTlsConfig): tls.ConnectionOptions {
  if ((cfg.certPath === undefined) !== (cfg.keyPath === undefined)) {
    throw new Error('clientTlsOptions: certPath and keyPath go together (give both or neither)');
  }
  return {
    ca: [readPemSync(cfg.caPath)],
    ...(cfg.certPath !== undefined && cfg.keyPath !== undefined ? { cert: readPemSync(cfg.certPath), key: readPemSync(cfg.keyPath) } : {}),
    ...(cfg.servername !== undefined ? { servername: cfg.servername } : {}),
    rejectUnauthorized: true,
    minVersion: tlsMinVersion,
  };
}

export interface RefusedHandshake {
  /**
   * Why: the certificate verification error when there was one (UNABLE_TO_VERIFY_LEAF_SIGNATURE
   * for a client certificate from another CA), else the OpenSSL / Node error code
   * (ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE, ERR_SSL_NO_PROTOCOLS_AVAILABLE, ECONNRESET).
   */
  readonly code: string;
  readonly message: string;
  /** Undefined when the socket was already torn down (the another-CA case). */
  readonly remoteAddress: string | undefined;
}

/**
 * Calls `fn` for every handshake the server refused or that failed (`tlsClientError`): a
 * client without a certificate under mutual TLS, one from another CA, a plain-TCP client,
 * a timeout. Returns a function that removes the listener. For metrics
 * (`keepsake_tls_handshakes_refused_total`) and logs.
 */
export function onRefusedHandshake(server: tls.Server, fn: (r: RefusedHandshake) => void): () => void {
  const listener = (err: Error, socket: tls.TLSSocket): void => {
    // A client certificate from another CA passes OpenSSL's handshake (Node verifies in JS
    // afterwards, sets authorizationError and destroys the socket), so the event itself
    // only says ECONNRESET; the verification error is the useful code.
    const verifyCode = socket.authorizationError;
    const code = verifyCode !== undefined && verifyCode !== null ? String(verifyCode) : ((err as NodeJS.ErrnoException).code ?? 'UNKNOWN');
    fn({ code, message: err.message, remoteAddress: socket.remoteAddress });
  };
  server.on('tlsClientError', listener);
  return () => {
    server.off('tlsClientError', listener);
  };
}

/** The client certificate's CN on an authorized mutual-TLS socket, or null (no cert, not authorized). */
export function peerCommonName(socket: tls.TLSSocket): string | null {
  if (!socket.authorized) return null;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : null;
}

function readPemSync(file: string): string {
  const text = readFileSync(file, 'utf8');
  if (Buffer.byteLength(text) > pemFileBytesMax) throw new Error(`${file}: larger than pemFileBytesMax=${pemFileBytesMax}`);
  return text;
}
