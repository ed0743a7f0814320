/**
 * The sending side of one SMTP session, sans-IO (after mitmproxy's layers): events in (a reply, the
 * end of a TLS handshake, the connection closing), commands out (send a line, send the message,
 * start TLS, install the NTLM seal, close). No sockets here; `connection.ts` is the thin adapter.
 *
 *   greeting → EHLO (→ HELO) → [security steps: STARTTLS → EHLO, AUTH → EHLO] → MAIL → RCPT… → DATA
 *     → message → QUIT
 *
 * Security is decided by a `SecurityPlan` (app/mta/security.ts), consulted after every EHLO, so
 * the client itself knows nothing of policy tables. Every reply and error lands in the transcript.
 * RFC 5321 §3 (session), §4.1.1 (commands), §4.5.2 (dot-stuffing), §4.2.5 (reply classes); the
 * wire grammar (reply framing, dot-stuffing) is app/smtp/wire.ts.
 */
import { dotStuff, ehloExtensions, replyText, type Reply } from '../../smtp/wire.ts';

export type Layer = 'clear' | 'tls' | 'sealed';

export interface TranscriptLine {
  /** `out`: the client sent it; `in`: the client received it; `note`: a local remark. */
  dir: 'out' | 'in' | 'note';
  layer: Layer;
  text: string;
  /**
   * Where the bytes that carried this line start in the TCP stream as the sender wrote and read
   * it (set by the socket adapter, connection.ts): the connection's direction and byte offset.
   * Inside TLS or the NTLM seal it is the offset of the record or sealed frame that carried the
   * line. The packet view links a line and a packet by this (docs/packet-view.md, "Links").
   */
  at?: { dir: 'c2s' | 's2c'; offset: number };
}

export interface TlsInfo {
  protocol: string;
  cipher: string;
  /** DER certificates the server presented, leaf first. */
  peerChainDer: Buffer[];
  /** Whether the plan authenticated the peer (verify, secure, DANE, MTA-STS enforce). */
  authenticated?: boolean;
  /** What the plan found out about the peer's certificate, for the transcript. */
  detail?: string;
}

/** Why a session did not deliver, and what the queue should do about it. */
export interface Failure {
  /** `defer`: keep queued and retry; `bounce`: permanent; `next-mx`: try the next MX now;
   *  `reconnect-cleartext`: a `may` session whose handshake failed retries on a new connection. */
  action: 'defer' | 'bounce' | 'next-mx' | 'reconnect-cleartext';
  reason: string;
  /** The remote reply that caused it, when there was one (goes to the bounce's Diagnostic-Code). */
  reply?: Reply;
  /** RFC 3463 status for a bounce or defer. */
  status: string;
  /** The session broke without a reply: the connection closed, it timed out, or a reply was unreadable. */
  broken?: 'closed' | 'timeout' | 'protocol';
}

export type SecurityStep =
  | { step: 'proceed'; downgraded?: string }
  | { step: 'starttls' }
  | { step: 'auth'; mechanism: string; initial?: string }
  | { step: 'fail'; failure: Failure };

export interface EhloFacts {
  extensions: Map<string, string>;
  layer: Layer;
  authenticated: boolean;
  /** False when the server refused EHLO and we fell back to HELO (no extensions at all). */
  esmtp: boolean;
}

/** What the session asks of security policy (sans-IO, supplied per session). */
export interface SecurityPlan {
  afterEhlo(facts: EhloFacts): SecurityStep;
  /** The handshake completed; accept the peer or fail. */
  afterTls(info: TlsInfo): { ok: true } | { ok: false; failure: Failure };
  /** The server answered STARTTLS with something other than 220, or the handshake broke. */
  tlsRefused(reply: Reply | undefined, reason: string): SecurityStep;
  /** A `334` challenge during AUTH: answer it, or fail. */
  authChallenge(reply: Reply): { ok: true; response: string } | { ok: false; failure: Failure };
  /** The AUTH exchange ended with `reply`. On success, whether to install the seal layer. */
  authResult(reply: Reply): { ok: true; seal: boolean } | { ok: false; failure: Failure };
}

export type ClientCommand =
  | { type: 'send'; line: string }
  | { type: 'send-message'; data: Buffer }
  | { type: 'start-tls' }
  | { type: 'start-seal' }
  /** The final reply after the message was 2xx: the message is delivered (whatever QUIT brings). */
  | { type: 'accepted' }
  | { type: 'close' };

export type ClientEvent =
  | { type: 'reply'; reply: Reply }
  | { type: 'tls-ready'; info: TlsInfo }
  | { type: 'tls-failed'; reason: string }
  | { type: 'seal-ready' }
  | { type: 'protocol-error'; error: string }
  | { type: 'timeout' }
  | { type: 'closed' };

export type Phase =
  | 'greeting' | 'ehlo' | 'helo' | 'starttls' | 'tls-handshake' | 'auth' | 'seal'
  | 'mail' | 'rcpt' | 'data' | 'message' | 'quit' | 'done';

export interface RecipientResult {
  address: string;
  accepted: boolean;
  reply?: Reply;
}

export interface SessionResult {
  delivered: boolean;
  failure?: Failure;
  recipients: RecipientResult[];
  dataReply?: Reply;
  tls?: TlsInfo;
  sealed: boolean;
  authenticated: boolean;
  downgraded?: string;
  /** The phase the session was in when it ended. */
  phase: Phase;
  /**
   * The transcript line that caused a failure: the first line of the reply that refused, or
   * the last line sent or received before the connection broke (what the bounce links to).
   */
  causeLine?: number;
}

export interface ClientOptions {
  heloName: string;
  from: string;
  to: string[];
  /** The RFC 5322 message, any line endings. */
  message: Buffer;
  plan: SecurityPlan;
  /** Which host we talk to, for failure texts (`host mail.ntsol.example[198.51.100.25]`). */
  peer: string;
  /** Further MAIL FROM parameters, e.g. `REQUIRETLS` (RFC 8689 §4.1). */
  mailParams?: string[];
  /**
   * EHLO again once the NTLM security layer is up (RFC 4954 §4; default true). The Exchange 5.5
   * IMS did not: it went straight to MAIL with what the first EHLO said (KB Q262945).
   */
  reEhloAfterSeal?: boolean;
  /** `RET=` on MAIL FROM when the server offers DSN (RFC 3461 §4.3); the IMS sent `RET=FULL`. */
  dsnRet?: 'FULL' | 'HDRS';
  /** `NOTIFY=` on each RCPT TO when the server offers DSN (RFC 3461 §4.1); the IMS sent `FAILURE,DELAY`. */
  dsnNotify?: string;
}

const PHASE_WORDS: Record<Phase, string> = {
  greeting: 'receiving the initial server greeting', ehlo: 'sending EHLO', helo: 'sending HELO',
  starttls: 'sending STARTTLS', 'tls-handshake': 'performing the TLS handshake', auth: 'sending AUTH',
  seal: 'starting the NTLM security layer', mail: 'sending MAIL FROM', rcpt: 'sending RCPT TO',
  data: 'sending DATA', message: 'sending message body', quit: 'sending QUIT', done: 'finished',
};

export class SmtpClientSession {
  readonly transcript: TranscriptLine[] = [];
  #o: ClientOptions;
  #phase: Phase = 'greeting';
  #layer: Layer = 'clear';
  #authenticated = false;
  #ext = new Map<string, string>();
  #rcptIndex = 0;
  #recipients: RecipientResult[] = [];
  #result: SessionResult | undefined;
  #tls: TlsInfo | undefined;
  #downgraded: string | undefined;
  #dataReply: Reply | undefined;
  #failure: Failure | undefined;
  /** Index of the first transcript line of the last reply received. */
  #replyLine = -1;
  #causeLine: number | undefined;

  constructor(options: ClientOptions) {
    this.#o = options;
  }

  get phase(): Phase { return this.#phase; }
  get layer(): Layer { return this.#layer; }
  /** Set once the session is over. */
  get result(): SessionResult | undefined { return this.#result; }

  handle(event: ClientEvent): ClientCommand[] {
    if (this.#result) return [];
    // The message was accepted before QUIT: whatever happens to the goodbye, it is delivered.
    if (this.#phase === 'quit' && event.type !== 'reply') return [{ type: 'close' }, ...this.#finish()];
    switch (event.type) {
      case 'reply':
        this.#replyLine = this.transcript.length;
        this.#log('in', event.reply.raw);
        return this.#onReply(event.reply);
      case 'tls-ready': {
        this.#tls = event.info;
        this.#note(`TLS established: ${event.info.protocol} ${event.info.cipher}`);
        const verdict = this.#o.plan.afterTls(event.info);
        this.#layer = 'tls';
        if (event.info.detail) this.#note(`peer certificate: ${event.info.detail}`);
        if (!verdict.ok) return this.#fail(verdict.failure, true);
        // RFC 3207 §4.2: forget everything learned before TLS; EHLO again.
        this.#ext = new Map();
        return this.#ehlo();
      }
      case 'tls-failed':
        this.#note(`TLS handshake failed: ${event.reason}`);
        return this.#step(this.#o.plan.tlsRefused(undefined, event.reason), false);
      case 'seal-ready':
        this.#layer = 'sealed';
        this.#note('NTLM security layer installed: every byte from here on is sealed');
        if (this.#o.reEhloAfterSeal === false) {
          // The IMS's way (KB Q262945): no second EHLO; MAIL goes out under the first one's keywords.
          return this.#step(this.#o.plan.afterEhlo({ extensions: this.#ext, layer: this.#layer, authenticated: true, esmtp: true }), true);
        }
        // RFC 4954 §4: after a security layer is negotiated the client re-issues EHLO.
        this.#ext = new Map();
        return this.#ehlo();
      case 'protocol-error':
        this.#note(`protocol error: ${event.error}`);
        return this.#fail({ action: 'defer', status: '4.4.2', broken: 'protocol', reason: `protocol error with ${this.#o.peer} while ${PHASE_WORDS[this.#phase]}: ${event.error}` }, false);
      case 'timeout':
        return this.#fail({ action: this.#phase === 'greeting' ? 'next-mx' : 'defer', status: '4.4.2', broken: 'timeout', reason: `conversation with ${this.#o.peer} timed out while ${PHASE_WORDS[this.#phase]}` }, false);
      case 'closed':
        return this.#fail({
          action: this.#phase === 'greeting' ? 'next-mx' : 'defer', status: '4.4.2', broken: 'closed',
          reason: `lost connection with ${this.#o.peer} while ${PHASE_WORDS[this.#phase]}`,
        }, false);
    }
  }

  #onReply(reply: Reply): ClientCommand[] {
    const cls = Math.floor(reply.code / 100);
    switch (this.#phase) {
      case 'greeting':
        // RFC 5321 §3.1: 554 instead of 220 means "no service here"; §5.1: try the next MX.
        if (reply.code !== 220) return this.#fail(this.#remoteFailure(reply, 'next-mx'), true);
        return this.#ehlo();
      case 'ehlo':
        if (cls === 2) {
          this.#ext = ehloExtensions(reply);
          return this.#step(this.#o.plan.afterEhlo({ extensions: this.#ext, layer: this.#layer, authenticated: this.#authenticated, esmtp: true }), true);
        }
        // RFC 5321 §3.2: a server that does not do EHLO answers 500/502; fall back to HELO.
        if (this.#layer === 'clear' && (reply.code === 500 || reply.code === 502)) {
          this.#phase = 'helo';
          return [this.#send(`HELO ${this.#o.heloName}`)];
        }
        return this.#fail(this.#remoteFailure(reply), true);
      case 'helo':
        if (cls !== 2) return this.#fail(this.#remoteFailure(reply), true);
        this.#ext = new Map();
        return this.#step(this.#o.plan.afterEhlo({ extensions: this.#ext, layer: this.#layer, authenticated: this.#authenticated, esmtp: false }), true);
      case 'starttls':
        if (reply.code === 220) {
          this.#phase = 'tls-handshake';
          return [{ type: 'start-tls' }];
        }
        return this.#step(this.#o.plan.tlsRefused(reply, replyText(reply)), true);
      case 'auth':
        if (reply.code === 334) {
          const answer = this.#o.plan.authChallenge(reply);
          if (!answer.ok) return [this.#send('*'), ...this.#fail(answer.failure, true)];
          return [this.#send(answer.response)];
        }
        {
          const outcome = this.#o.plan.authResult(reply);
          if (!outcome.ok) return this.#fail(outcome.failure, true);
          this.#authenticated = true;
          if (outcome.seal) {
            this.#phase = 'seal';
            return [{ type: 'start-seal' }];
          }
          // Authenticated without a security layer: RFC 4954 §4 keeps the EHLO state.
          return this.#step(this.#o.plan.afterEhlo({ extensions: this.#ext, layer: this.#layer, authenticated: true, esmtp: true }), true);
        }
      case 'mail':
        if (cls !== 2) return this.#fail(this.#remoteFailure(reply), true);
        this.#phase = 'rcpt';
        return [this.#send(`RCPT TO:<${this.#o.to[0]}>${this.#notify()}`)];
      case 'rcpt': {
        const address = this.#o.to[this.#rcptIndex];
        this.#recipients.push({ address, accepted: cls === 2, reply });
        this.#rcptIndex++;
        if (this.#rcptIndex < this.#o.to.length) return [this.#send(`RCPT TO:<${this.#o.to[this.#rcptIndex]}>${this.#notify()}`)];
        if (!this.#recipients.some((r) => r.accepted)) {
          // Every recipient refused: the session's failure is the last refusal.
          return this.#fail(this.#remoteFailure(reply), true);
        }
        this.#phase = 'data';
        return [this.#send('DATA')];
      }
      case 'data':
        if (reply.code !== 354) return this.#fail(this.#remoteFailure(reply), true);
        this.#phase = 'message';
        this.#log('out', `<< message of ${this.#o.message.length} octets >>`);
        return [{ type: 'send-message', data: dotStuff(this.#o.message) }];
      case 'message':
        this.#dataReply = reply;
        if (cls !== 2) return this.#fail(this.#remoteFailure(reply), true);
        this.#phase = 'quit';
        // RFC 5321 §4.1.1.4: with this 250 the receiver took responsibility for the message; the
        // queue records that now, not after QUIT (a crash in between would send it twice).
        return [{ type: 'accepted' }, this.#send('QUIT')];
      case 'quit':
        return [{ type: 'close' }, ...this.#finish()];
      case 'tls-handshake':
      case 'seal':
      case 'done':
        return this.#fail({ action: 'defer', status: '4.5.0', reason: `unexpected reply from ${this.#o.peer} while ${PHASE_WORDS[this.#phase]}: ${replyText(reply)}`, reply }, true);
    }
  }

  #step(step: SecurityStep, connected: boolean): ClientCommand[] {
    switch (step.step) {
      case 'proceed': {
        if (step.downgraded) {
          this.#downgraded = step.downgraded;
          this.#note(`continuing in cleartext: ${step.downgraded}`);
        }
        const size = this.#ext.has('SIZE') ? ` SIZE=${this.#o.message.length}` : '';
        const eightBit = this.#ext.has('8BITMIME') && this.#o.message.some((b) => b > 0x7f) ? ' BODY=8BITMIME' : '';
        const limit = Number(this.#ext.get('SIZE'));
        if (limit > 0 && this.#o.message.length > limit) {
          // RFC 1870 §6: the message is larger than the server will ever accept.
          return this.#fail({ action: 'bounce', status: '5.3.4', reason: `message size ${this.#o.message.length} exceeds the fixed limit ${limit} of ${this.#o.peer}` }, connected);
        }
        this.#phase = 'mail';
        const ret = this.#o.dsnRet && this.#ext.has('DSN') ? ` RET=${this.#o.dsnRet}` : '';
        const extra = ret + (this.#o.mailParams ?? []).map((p) => ` ${p}`).join('');
        return [this.#send(`MAIL FROM:<${this.#o.from}>${size}${eightBit}${extra}`)];
      }
      case 'starttls':
        this.#phase = 'starttls';
        return [this.#send('STARTTLS')];
      case 'auth':
        this.#phase = 'auth';
        return [this.#send(step.initial ? `AUTH ${step.mechanism} ${step.initial}` : `AUTH ${step.mechanism}`)];
      case 'fail':
        return this.#fail(step.failure, connected);
    }
  }

  /** RCPT TO's DSN parameter, when the sender adds one and the server offers DSN (RFC 3461 §4.1). */
  #notify(): string {
    return this.#o.dsnNotify && this.#ext.has('DSN') ? ` NOTIFY=${this.#o.dsnNotify}` : '';
  }

  #ehlo(): ClientCommand[] {
    this.#phase = 'ehlo';
    return [this.#send(`EHLO ${this.#o.heloName}`)];
  }

  #send(line: string): ClientCommand {
    this.#log('out', line);
    return { type: 'send', line };
  }

  /** Classify a refusal by its reply class (RFC 5321 §4.2.1): 4xx defers, 5xx bounces. */
  #remoteFailure(reply: Reply, transient: Failure['action'] = 'defer'): Failure {
    const permanent = reply.code >= 500 && reply.code < 600;
    return {
      action: permanent ? 'bounce' : transient,
      status: reply.status ?? (permanent ? '5.0.0' : '4.0.0'),
      reason: `host ${this.#o.peer} said: ${replyText(reply)} (in reply to ${PHASE_WORDS[this.#phase].replace(/^sending /, '')})`,
      reply,
    };
  }

  /** End the session with a failure; when still connected, say QUIT politely first (RFC 5321 §4.1.1.10). */
  #fail(failure: Failure, connected: boolean): ClientCommand[] {
    this.#failure = failure;
    this.#causeLine = failure.reply && this.#replyLine >= 0 ? this.#replyLine : lastLineIndex(this.transcript);
    this.#note(`${failure.action}: ${failure.reason}`);
    const phase = this.#phase;
    this.#result = this.#makeResult(false, phase);
    this.#phase = 'done';
    // Inside a failed TLS or seal negotiation the stream is not in a state to carry QUIT.
    if (!connected || phase === 'tls-handshake' || phase === 'seal') return [{ type: 'close' }];
    this.#log('out', 'QUIT');
    return [{ type: 'send', line: 'QUIT' }, { type: 'close' }];
  }

  #finish(): ClientCommand[] {
    if (!this.#result) this.#result = this.#makeResult(true, 'done');
    this.#phase = 'done';
    return [];
  }

  #makeResult(delivered: boolean, phase: Phase): SessionResult {
    return {
      delivered, failure: this.#failure, recipients: this.#recipients, dataReply: this.#dataReply,
      tls: this.#tls, sealed: this.#layer === 'sealed', authenticated: this.#authenticated,
      downgraded: this.#downgraded, phase, ...(this.#causeLine !== undefined ? { causeLine: this.#causeLine } : {}),
    };
  }

  #log(dir: 'in' | 'out', text: string): void {
    for (const line of text.split(/\r\n/)) this.transcript.push({ dir, layer: this.#layer, text: line });
  }

  #note(text: string): void {
    this.transcript.push({ dir: 'note', layer: this.#layer, text });
  }
}

/** The last line that went over the wire (not a note), or undefined when nothing did. */
function lastLineIndex(lines: readonly TranscriptLine[]): number | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].dir !== 'note') return i;
  return undefined;
}

