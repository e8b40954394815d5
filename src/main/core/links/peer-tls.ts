// The one place that decides how peer links use TLS and who is on the other end. Device
// certificates are self-signed, so TLS is told not to judge them (rejectUnauthorized: false);
// what authenticates a peer is that its certificate's DER hashes to a device ID we then check
// (the one we dialed, or one not blocked). Both sides present their certificate: mutual TLS.

import type { TLSSocket, TlsOptions, ConnectionOptions } from 'node:tls';
import { deviceIdFromCertDer } from '../identity/device-id.js';
import type { DeviceIdentity } from '../identity/device-identity.js';

/** TLS 1.3 only: no renegotiation, encrypted certificates, one round trip; every Inswarm build has it. */
const TLS_VERSION = 'TLSv1.3';

/** Listener options: our certificate, and a client certificate demanded of every peer. */
export function serverTlsOptions(identity: DeviceIdentity, handshakeTimeoutMs: number): TlsOptions {
  return {
    key: identity.keyPem,
    cert: identity.certPem,
    minVersion: TLS_VERSION,
    maxVersion: TLS_VERSION,
    requestCert: true,
    // Self-signed certificates never chain to a CA; peerDeviceId() below is the real check.
    rejectUnauthorized: false,
    handshakeTimeout: handshakeTimeoutMs,
  };
}

/** Dialer options: our certificate, so the listener can identify us too. */
export function clientTlsOptions(identity: DeviceIdentity, host: string, port: number): ConnectionOptions {
  return {
    host,
    port,
    key: identity.keyPem,
    cert: identity.certPem,
    minVersion: TLS_VERSION,
    maxVersion: TLS_VERSION,
    // Self-signed; the caller compares peerDeviceId() with the device ID it dialed.
    rejectUnauthorized: false,
    // Peers are reached by address and known by device ID, never by host name.
    checkServerIdentity: () => undefined,
  };
}

/**
 * The device ID of the certificate the peer presented on this finished TLS handshake, or
 * undefined if it presented none or the connection is not TLS 1.3. Computed from the raw DER, so
 * it is exactly the ID the peer's own identity reports.
 */
export function peerDeviceId(socket: TLSSocket): string | undefined {
  if (socket.getProtocol() !== TLS_VERSION) return undefined;
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  if (raw === undefined || raw.length === 0) return undefined;
  return deviceIdFromCertDer(raw);
}
