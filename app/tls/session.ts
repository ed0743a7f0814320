/**
 * Thin socket adapters for STARTTLS (RFC 3207): upgrade a connected client socket, collect the
 * session's NSS key log (docs/tls.md, "Key logs: what Node offers": the packet view decrypts with it; pcapng carries it in a DSB),
 * and hand the peer chain to our own checks. No decision is taken here: the client connects with
 * `rejectUnauthorized: false` and levels.ts judges the chain on the lab clock.
 *
 * Server side, what Node offers:
 *   - a `tls.Server` (and so an `https.Server`) emits `keylog (line, tlsSocket)`: collectServerKeyLog.
 *   - smtp-server wraps each STARTTLS socket itself (`new tls.TLSSocket(raw, { isServer, server:
 *     <its net.Server>, … })`). A TLSSocket emits `keylog` only to listeners on itself, attached
 *     before the handshake, and smtp-server hands us the socket only after it (`onSecure`). So
 *     the lab cannot hear the server's secrets without a patch. enableWrappedServerKeylog() is that
 *     patch: it makes such sockets forward `keylog` to the `server` they were created for, exactly
 *     as tls.Server does for its own sockets, and then `smtpServer.server.on('keylog', …)` works.
 *     The client side's key log alone already decrypts a session our own sender made; the server
 *     side matters when a real tool (swaks, openssl s_client) is the client.
 */
import type { Duplex } from 'node:stream';
import tls, { type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { EventEmitter } from 'node:events';
import type { Timers } from '../base/timers.ts';

export interface UpgradeOptions {
  /** SNI and the name our own check will use; omitted from SNI when it is an IP address (RFC 6066 §3). */
  servername?: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
  /** With `timer`, the handshake fails after `timeoutMs` (default 30 s). */
  timer?: Timers;
  timeoutMs?: number;
}

export interface UpgradedClient {
  tls: TLSSocket;
  /** The certificates the server sent, leaf first, as DER. */
  peerChainDer: Buffer[];
  /** `TLSv1.3`, `TLSv1.2`, … */
  protocol: string;
  /** OpenSSL cipher name, e.g. `TLS_AES_256_GCM_SHA384`. */
  cipher: string;
  /** NSS key log lines without newline; keeps growing if the session logs more (key updates). */
  keyLog: string[];
}

/**
 * The chain the peer presented, leaf first. Node exposes it as a linked list of issuers; the
 * last element may be completed from Node's own root store, which never holds the lab CAs.
 */
export function peerChainDer(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    out.push(cert.raw);
    seen.add(cert.fingerprint256);
    cert = cert.issuerCertificate;
  }
  return out;
}

function keyLogLine(line: Buffer): string {
  return line.toString('latin1').replace(/\r?\n$/, '');
}

/** TLS alert descriptions by number (RFC 8446 §6; 41 from RFC 5246 §7.2), for the alerts a handshake meets. */
const ALERTS: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 22: 'record_overflow', 40: 'handshake_failure',
  41: 'no_certificate', 42: 'bad_certificate', 43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired',
  46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error',
  51: 'decrypt_error', 70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error', 86: 'inappropriate_fallback',
  90: 'user_canceled', 109: 'missing_extension', 110: 'unsupported_extension', 112: 'unrecognized_name',
  113: 'bad_certificate_status_response', 115: 'unknown_psk_identity', 116: 'certificate_required', 120: 'no_application_protocol',
};

/**
 * A failed handshake in words a log line can carry: OpenSSL's reason and, when the peer sent one,
 * its alert by number and name (`tlsv1 alert protocol version — alert 70 protocol_version`), not
 * OpenSSL's whole error string with its source file and line and a trailing newline.
 */
export function handshakeErrorText(error: Error): string {
  const reason = (error as Error & { reason?: unknown }).reason;
  const alert = /SSL alert number (\d+)/.exec(error.message)?.[1];
  const name = alert !== undefined ? ALERTS[Number(alert)] : undefined;
  const base = typeof reason === 'string' && reason ? reason : error.message.split('\n')[0].trim();
  return alert !== undefined ? `${base} — alert ${alert}${name ? ` ${name}` : ''}` : base;
}

/**
 * Start TLS as the client on an already connected socket (after `220 Ready to start TLS`).
 * Rejects on a failed handshake (the caller asks decideTls with `handshake-failed`). Once it
 * resolves, the caller owns the TLS socket, including its 'error' events.
 */
export function upgradeClient(socket: Duplex, options: UpgradeOptions = {}): Promise<UpgradedClient> {
  return new Promise((resolve, reject) => {
    const keyLog: string[] = [];
    const servername = options.servername && isIP(options.servername) === 0 ? options.servername : undefined;
    const secure = tls.connect({
      socket,
      servername,
      rejectUnauthorized: false,
      minVersion: options.minVersion,
      maxVersion: options.maxVersion,
      ciphers: options.ciphers,
    });
    // Attached before the handshake runs (it starts on a later tick), so no line is missed.
    secure.on('keylog', (line: Buffer) => keyLog.push(keyLogLine(line)));

    let settled = false;
    const cancel = options.timer?.setTimeout(() => fail(new Error('TLS handshake timed out')), options.timeoutMs ?? 30_000);
    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      cancel?.();
      secure.destroy();
      reject(new Error(handshakeErrorText(err), { cause: err }));
    }
    secure.once('error', fail);
    secure.once('close', () => fail(new Error('connection closed during the TLS handshake')));
    secure.once('secureConnect', () => {
      if (settled) return;
      settled = true;
      cancel?.();
      secure.removeListener('error', fail);
      const cipher = secure.getCipher();
      resolve({
        tls: secure,
        peerChainDer: peerChainDer(secure),
        protocol: secure.getProtocol() ?? 'unknown',
        cipher: cipher.standardName ?? cipher.name,
        keyLog,
      });
    });
  });
}

/** Collect the key log of every session a `tls.Server` (or `https.Server`) accepts. */
export function collectServerKeyLog(server: tls.Server, sink: (line: string, socket: TLSSocket) => void): () => void {
  const listener = (line: Buffer, socket: TLSSocket): void => sink(keyLogLine(line), socket);
  server.on('keylog', listener);
  return () => server.off('keylog', listener);
}

const patched = Symbol.for('postcard-lab.keylog-forwarding');

interface WrappingOptions {
  isServer?: boolean;
  server?: EventEmitter;
}

/**
 * Process-wide, idempotent: server-side TLSSockets created with `new tls.TLSSocket(raw,
 * { isServer: true, server })` by code that is not tls.Server (smtp-server's STARTTLS) forward
 * their `keylog` events to `server` as `keylog (line, tlsSocket)`, as tls.Server does. Only
 * sockets whose server has a `keylog` listener at creation time pay for it.
 */
export function enableWrappedServerKeylog(): void {
  const holder = tls as unknown as Record<symbol, boolean> & { TLSSocket: typeof tls.TLSSocket };
  if (holder[patched]) return;
  const Original = holder.TLSSocket;
  function ForwardingTLSSocket(this: unknown, socket?: Duplex, options?: WrappingOptions): TLSSocket {
    const created = Reflect.construct(Original, [socket, options], new.target ?? Original) as TLSSocket;
    const server = options?.server;
    if (options?.isServer && server && !(server instanceof tls.Server) && server.listenerCount('keylog') > 0) {
      created.on('keylog', (line: Buffer) => server.emit('keylog', line, created));
    }
    return created;
  }
  // Same prototype: `instanceof tls.TLSSocket` stays true for sockets made by either constructor.
  ForwardingTLSSocket.prototype = Original.prototype;
  Object.setPrototypeOf(ForwardingTLSSocket, Original);
  holder.TLSSocket = ForwardingTLSSocket as unknown as typeof tls.TLSSocket;
  holder[patched] = true;
}
