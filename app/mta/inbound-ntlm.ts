/**
 * `AUTH NTLM` for smtp-server, wire form per MS-SMTPNTLM §3.1.5 / RFC 4954 §4:
 *
 *   C: AUTH NTLM                        (or AUTH NTLM <base64 NEGOTIATE>, the initial response)
 *   S: 334 ntlm supported
 *   C: <base64 NEGOTIATE_MESSAGE>
 *   S: 334 <base64 CHALLENGE_MESSAGE>
 *   C: <base64 AUTHENTICATE_MESSAGE>
 *   S: 235 2.7.0 Authentication successful   |   535 5.7.8 Authentication credentials invalid
 *   … and, when SEAL was negotiated, everything after 235 runs inside the security layer
 *     (sasl-layer.ts, a reconstruction). RFC 4954 §4 has the server forget the first EHLO; the lab's
 *     servers keep it (`keepEhlo`, docs/ntlm.md), so a client may re-EHLO or go straight to MAIL.
 *
 * smtp-server looks mechanisms up in its SASL table at call time (docs/ntlm.md, "smtp-server
 * integration"), so `registerNtlmMechanism()` adds `SASL_NTLM` there. The per-connection NTLM
 * state comes from `options.ntlm` of the SMTPServer.
 */
import type net from 'node:net';
import type { SMTPServerOptions } from 'smtp-server';
import sasl from 'smtp-server/lib/sasl.js';
import type { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { NtlmSessionKeys } from '../ntlm/keys.ts';
import { replies, replyLine } from '../smtp/replies.ts';
import { sealStream } from '../ntlm/sealed-stream.ts';
import type { AuthenticateResult, NtlmServerSession } from '../ntlm/server.ts';
import { parseReplyLine } from '../smtp/wire.ts';

export interface NtlmMechanismOptions {
  /** A fresh NTLM server session for this connection (its domain, accounts, crypto build). */
  newSession(connection: SMTPConnection): NtlmServerSession;
  /**
   * The whole reply lines in the server product's words (the exchange-5.5 profile says `235 ntlm
   * authentication successful` and `535 ntlm authentication failed`); the catalogue's by default.
   */
  replies?(): { ok: string; failed: string; supported: string };
  /**
   * Keep the client's EHLO after the security layer starts. RFC 4954 §4 says forget it (the default
   * here); the lab's servers keep it for every product (app/lab/security.ts, docs/ntlm.md).
   */
  keepEhlo?(): boolean;
  /** Every outcome, success or not, e.g. to hand the session keys to the capture engine. */
  onResult?(connection: SMTPConnection, result: AuthenticateResult): void;
  /** A sealed buffer failed its check; the session is being ended. */
  onLayerError?(connection: SMTPConnection, error: string): void;
}

export type SMTPServerOptionsWithNtlm = SMTPServerOptions & { ntlm: NtlmMechanismOptions };


type Done = () => void;
type Continuation = (this: SMTPConnection, line: Buffer, callback: Done) => void;
type Mechanism = (this: SMTPConnection, args: string[], callback: Done) => void;

function ntlmOptions(conn: SMTPConnection): NtlmMechanismOptions | undefined {
  return (conn._server.options as Partial<SMTPServerOptionsWithNtlm>).ntlm;
}

/** Writes a full reply line without smtp-server adding an enhanced status code of its own. */
function sendLine(conn: SMTPConnection, line: string): void {
  const reply = parseReplyLine(line.trim());
  if (!reply?.final) throw new Error(`not a one-line SMTP reply: ${line}`);
  conn.send(reply.code, reply.text, false);
}

/** RFC 4954 §4: `*` cancels (501), an undecodable line is a 501 too. */
function readBlob(conn: SMTPConnection, line: Buffer | string): Buffer | undefined {
  const text = line.toString().trim();
  if (text === '*') {
    sendLine(conn, replyLine(replies.authCancelled));
    return undefined;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    sendLine(conn, replyLine(replies.authCannotDecode));
    return undefined;
  }
  return Buffer.from(text, 'base64');
}

function fail(conn: SMTPConnection, options: NtlmMechanismOptions, result: AuthenticateResult): void {
  options.onResult?.(conn, result);
  if (!result.ok) {
    conn._server.logger.info({ tnx: 'authfail', cid: conn.id, method: 'NTLM' }, 'NTLM authentication failed: %s (%s)', result.reason, result.detail);
  }
  sendLine(conn, options.replies?.().failed ?? replyLine(replies.authFailed));
}

const SASL_NTLM: Mechanism = function (this: SMTPConnection, args, callback) {
  const options = ntlmOptions(this);
  if (!options) {
    sendLine(this, replyLine(replies.authMechanismUnknown));
    return callback();
  }
  if (args.length > 1) {
    sendLine(this, replyLine(replies.authNtlmSyntax));
    return callback();
  }
  const session = options.newSession(this);
  const onNegotiate: Continuation = function (this: SMTPConnection, line, done) {
    const blob = readBlob(this, line);
    if (!blob) return done();
    const r = session.onNegotiate(blob);
    if (!r.ok) {
      fail(this, options, { ok: false, reason: 'malformed', detail: r.error });
      return done();
    }
    this._nextHandler = onAuthenticate;
    sendLine(this, `334 ${r.challenge.toString('base64')}`);
    done();
  };
  const onAuthenticate: Continuation = function (this: SMTPConnection, line, done) {
    const blob = readBlob(this, line);
    if (!blob) return done();
    const result = session.onAuthenticate(blob);
    if (!result.ok) {
      fail(this, options, result);
      return done();
    }
    options.onResult?.(this, result);
    this.session.user = `${result.identity.domain}\\${result.identity.user}`;
    this.session.transmissionType = this._transmissionType();
    this._server.logger.info({ tnx: 'auth', cid: this.id, method: 'NTLM', user: this.session.user }, '%s authenticated using NTLM (%s, %d-bit, %s)',
      this.session.user, result.response, result.keyBits, result.sealNegotiated ? 'sealed' : 'not sealed');
    sendLine(this, options.replies?.().ok ?? replyLine(replies.authOk));
    // docs/ntlm.md, "Who gets in": a client that did not negotiate SEAL (swaks) continues authenticated in the clear.
    if (result.sealNegotiated && result.keys) installSecurityLayer(this, options, result.keys);
    done();
  };
  // RFC 4954 §4: `=` is an empty initial response, which NTLM treats as none.
  if (args.length === 1 && args[0] !== '=') return onNegotiate.call(this, Buffer.from(args[0]), callback);
  this._nextHandler = onNegotiate;
  sendLine(this, options.replies?.().supported ?? replyLine(replies.ntlmSupported));
  callback();
};

/**
 * Swaps the connection's socket for the sealed stream, the way smtp-server's `upgrade()` swaps
 * in a TLS socket: the old parser is retired (whatever it still holds arrived unsealed and is
 * dropped), a new parser reads from the sealed stream, and — RFC 4954 §4, unless `keepEhlo` —
 * the server forgets the client's EHLO. The 235 was written to the raw socket before this runs.
 */
function installSecurityLayer(conn: SMTPConnection, options: NtlmMechanismOptions, keys: NtlmSessionKeys): void {
  const raw = conn._socket;
  if (conn._parser) {
    raw.unpipe(conn._parser);
    conn._parser.isClosed = true;
  }
  conn._parser = conn._createParser();
  raw.removeAllListeners();
  const sealed = sealStream(raw, keys, 'server', {
    onFailure: 'close',
    onLayerError: (error) => {
      conn._server.logger.info({ tnx: 'ntlm-seal', cid: conn.id }, 'NTLM security layer failed, ending the session: %s', error);
      options.onLayerError?.(conn, error);
    },
  });
  sealed.on('close', (hadError: boolean) => conn._onCloseEvent(hadError));
  sealed.on('error', (err: Error) => conn._onError(err));
  // The sealed stream quacks like a socket where smtp-server looks (readyState, setTimeout).
  conn._socket = sealed as unknown as net.Socket;
  conn._armTimeout(conn._socket);
  // RFC 4954 §4: the server forgets the client's EHLO — unless told to keep it, as the lab's
  // servers are for every product (docs/ntlm.md: the IMS sent no second EHLO, KB Q262945).
  if (!options.keepEhlo?.()) {
    conn.hostNameAppearsAs = false;
    conn.openingCommand = false;
  }
  conn._resetSession();
  // The session now runs encrypted (an IMS interface that accepts only encrypted hosts takes it, app/mta/server.ts).
  (conn.session as { sealed?: boolean }).sealed = true;
  sealed.pipe(conn._parser);
}

/** Adds `AUTH NTLM` to smtp-server's mechanism table (idempotent). */
export function registerNtlmMechanism(): void {
  (sasl as unknown as Record<string, Mechanism>).SASL_NTLM = SASL_NTLM;
}
