/**
 * The receiving side of a lab mail host: smtp-server on 127.0.0.1, port 0, with the lab's
 * settings. The adapter keeps smtp-server's layering (framing → session guards → hooks) and adds:
 *
 *  - a greeting delay that is a setting of the server (default 0) instead of smtp-server's fixed
 *    100 ms "early talker" wait, and the profile's exact banner (see `LabSmtpServer.connect`);
 *  - no reverse DNS (the lab never resolves a real name);
 *  - a message is handed to `accept` — which writes it atomically — before the `250` after DATA.
 */
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession, type SMTPServerDataStream } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { Timers } from '../base/timers.ts';
import { hookReply, replies, type ReplyText } from '../smtp/replies.ts';
import { checkRecipientAddress } from './address.ts';
import type { Dialect } from '../products/types.ts';
import { speak, type SpeakingConnection } from './dialect-wire.ts';
import type { TLSSocket } from 'node:tls';
import { enableWrappedServerKeylog } from '../tls/session.ts';
import type { Layer } from './outbound/client.ts';

export interface InboundEnvelope {
  from: string;
  to: string[];
  heloName: string;
  /** Loopback port of the connecting client (the lab maps it, with `localPort`, to a simulated address). */
  remotePort: number;
  /** The listener's own port: with `remotePort` it names the socket (app/capture/tap.ts, `socketKey`). */
  localPort: number;
  secure: boolean;
  tlsProtocol?: string;
  tlsCipher?: string;
  /** The cipher suite's IANA name (Node's `standardName`). */
  tlsCipherStd?: string;
  user?: string;
  /** The client sent MAIL FROM with REQUIRETLS (RFC 8689 §4.1). */
  requireTls?: boolean;
}

export interface ServerLogLine {
  cid: string;
  remotePort: number;
  localPort: number;
  dir: 'in' | 'out';
  /** The layer the line crossed, as this server knew it when it read or wrote the line (`layerOf`). */
  layer: Layer;
  text: string;
}

/**
 * The layer a session's next line crosses: inside the NTLM seal once the server installed it
 * (app/mta/inbound-ntlm.ts sets `sealed`), else inside TLS once the STARTTLS handshake completed
 * (smtp-server sets `secure`; RFC 3207 §4), else in clear. A reply that starts a layer — `220` to
 * STARTTLS, `235` to a sealing AUTH NTLM — is written before the layer exists, so it is logged in
 * the layer it crossed: the one before. app/mta/server.ts reads the same two flags at MAIL.
 */
function layerOf(session: { secure?: boolean; sealed?: boolean } | undefined): Layer {
  return session?.sealed ? 'sealed' : session?.secure ? 'tls' : 'clear';
}

export interface InboundOptions {
  hostName: string;
  /** The whole greeting text after `220 `. */
  greeting: string;
  /**
   * The product's words (app/products/): every reply smtp-server would word itself is replaced
   * (app/mta/dialect-wire.ts). Without it, smtp-server's own texts go out (tests of the adapter).
   */
  dialect?: () => Dialect;
  /** Real milliseconds before the greeting (a "pregreet" test knob); 0 by default. */
  greetingDelayMs: number;
  timers: Timers;
  /** Largest message accepted (RFC 1870 SIZE), in octets. */
  maxSize: number;
  socketTimeoutMs: number;
  /** Connections open at once on this listener; one more is answered 421 and closed (default 200). */
  maxConnections?: number;
  /** Real milliseconds a session may last, idle or not; then 421 and the connection closes (default 10 minutes). */
  sessionLimitMs?: number;
  /**
   * Must the client say HELO/EHLO before MAIL? Exchange 5.5 and Postfix (smtpd_helo_required=no)
   * do not insist — which is why a PIX that overwrote EHLO with NOOP still let mail through.
   */
  heloRequired: boolean;
  /** The server's own mail domain: `RCPT TO:<Postmaster>` without a domain means its postmaster. Default: the host name. */
  domain?: string;
  /** May this recipient be accepted? Returns undefined when yes, or a reply to refuse it. */
  checkRecipient(address: string, session: { remotePort: number }): { code: number; message: string } | undefined;
  /**
   * A failure inside the server while taking a message (a bug, a full disk): the client gets
   * `451 4.3.0 Local error in processing` and never the detail, which goes here.
   */
  onInternalError?(detail: string): void;
  /** Persist the message. Resolves with the queue id once it is safely on disk. */
  accept(envelope: InboundEnvelope, data: Buffer): Promise<string>;
  /** The simulated client a loopback port stands for, shown in the EHLO reply instead of 127.0.0.1. */
  describeClient?(remotePort: number, localPort: number): { ip: string } | undefined;
  /** Every command and reply line, for the receiver's view of a transcript. */
  onLog?(line: ServerLogLine): void;
  /**
   * Further smtp-server options (TLS, AUTH), set by the security layers; `onKeyLog` hears the
   * server's TLS secrets of each STARTTLS session (NSS key log lines), by the client's loopback port.
   */
  extra?: Partial<SMTPServerOptions> & { onKeyLog?(remotePort: number, localPort: number, line: string): void };
}

/** What smtp-server calls to log: each level takes the entry's fields, a format and its arguments. */
type ServerLogger = Record<'info' | 'debug' | 'error' | 'warn' | 'trace' | 'fatal', (entry: unknown, format: unknown, line: unknown) => void>;

type LabConnectionOptions = Pick<InboundOptions, 'greeting' | 'greetingDelayMs' | 'timers' | 'heloRequired' | 'describeClient' | 'dialect' | 'sessionLimitMs' | 'hostName'>;

/** The private surface of smtp-server's connection this adapter relies on (see docs/ntlm.md, "smtp-server integration"). */
interface ConnectionInternals {
  _setListeners(callback: () => void): void;
  connectionReady(): void;
  _sendGreeting(): void;
  send(code: number, data: string, context?: unknown): void;
  init(): void;
  hostNameAppearsAs: string | false;
  clientHostname: string;
  remotePort: number;
  localPort: number;
  _setClientHostname(hostname: string): void;
  handler_EHLO(command: unknown, callback: unknown): void;
  handler_HELO(command: unknown, callback: unknown): void;
  on(event: string, fn: (arg: unknown) => void): void;
  name: string;
  close(): void;
  _onClose(): void;
}

interface ServerInternals {
  connections: Set<unknown>;
  options: SMTPServerOptions;
  _onError(err: unknown): void;
  _onClientConnect(data: unknown): void;
}

/**
 * smtp-server with the lab's greeting. `connect` mirrors SMTPServer.connect (smtp-server 3.21.6,
 * dist/esm/smtp-server.js) and replaces the connection's `init`, whose fixed
 * `setTimeout(connectionReady, 100)` is the early-talker wait, with our `greetingDelayMs` on the
 * injected timers. test/mta/inbound.test.ts fails if an upgrade changes what this relies on.
 */
export class LabSmtpServer extends SMTPServer {
  readonly lab: LabConnectionOptions;

  /** Sessions this server has numbered (`_handleProxy`). */
  #sessions = 0;

  constructor(options: SMTPServerOptions, lab: LabConnectionOptions, logger?: ServerLogger) {
    super(options);
    this.lab = lab;
    // smtp-server wraps the logger it is given in nodemailer's shared one, which copies every
    // entry's fields into a new object and deletes one of them (`_logFunc`): about 2 % of a lab's
    // thread under load, for a dozen lines a session of which the lab keeps only the commands and
    // replies (docs/bench.md, "The CPU budget of a plain message"). Each connection logs through
    // its server's `logger` (`this._server.logger`), so the lab's own takes its place.
    if (logger) (this as unknown as { logger: ServerLogger }).logger = logger;
  }

  /**
   * Mirrors SMTPServer._handleProxy for a listener without a PROXY header (the lab never sets
   * `useProxy`): smtp-server names each session with 10 random octets run through BigInt, about 1 %
   * of a lab's whole time under load (docs/bench.md, "Where the time goes"). The lab numbers its
   * sessions instead, 16 base-32 digits as smtp-server's are: unique per server, and the same in
   * every run of a seeded lab. Still answered on the next turn, as the original does.
   */
  override _handleProxy(socket: { remoteAddress?: string }, callback: (err: Error | null, socketOptions: { id: string; ignore: boolean }) => void): void {
    if (this.options.useProxy) {
      super._handleProxy(socket as never, callback as never);
      return;
    }
    const id = (++this.#sessions).toString(32).padStart(16, '0');
    const ignored = this.options.ignoredHosts?.includes(socket.remoteAddress ?? '') ?? false;
    setImmediate(() => callback(null, { id, ignore: ignored }));
  }

  override connect(socket: unknown, socketOptions: unknown): void {
    const self = this as unknown as ServerInternals;
    const Connection = SMTPConnection as unknown as new (server: unknown, socket: unknown, options: unknown) => ConnectionInternals;
    const connection = new Connection(this, socket, socketOptions);
    self.connections.add(connection);
    connection.on('error', (err) => self._onError(err));
    connection.on('connect', (data) => self._onClientConnect(data));
    const { greeting, greetingDelayMs, timers, heloRequired } = this.lab;
    connection._sendGreeting = () => connection.send(220, greeting, false);
    if (this.lab.dialect) speak(connection as unknown as SpeakingConnection, this.lab.dialect);
    // smtp-server answers MAIL before HELO with 503 unless it has a name for the client.
    if (!heloRequired) connection.hostNameAppearsAs = 'unknown';
    // The name smtp-server greets the client by: the simulated address, not the loopback one.
    // Asked as the session opens and again at HELO/EHLO, which is where the name is said: a relay
    // thread slow to name its socket under load has named it by the time the client's first
    // command has crossed that relay (its records go before the bytes they describe).
    let reverseName = '';
    const simulatedName = () => {
      const sim = this.lab.describeClient?.(connection.remotePort, connection.localPort);
      if (sim && !reverseName) connection.clientHostname = `[${sim.ip}]`;
    };
    const setName = connection._setClientHostname.bind(connection);
    connection._setClientHostname = (hostname) => {
      setName(hostname);
      reverseName = hostname;
      simulatedName();
    };
    for (const handler of ['handler_EHLO', 'handler_HELO'] as const) {
      const original = connection[handler].bind(connection);
      connection[handler] = (command, callback) => {
        simulatedName();
        original(command, callback);
      };
    }
    connection.init = () => {
      connection._setListeners(() => {
        const maxClients = self.options.maxClients;
        if (maxClients && self.connections.size > maxClients) {
          const r = hookReply(replies.tooManyConnections, this.lab.hostName);
          connection.send(r.code, r.message, false);
          connection.close();
          return;
        }
        // A session that lasts too long — a client sending a byte now and then — is closed (issue 18).
        const cancel = timers.setTimeout(() => {
          const r = hookReply(replies.sessionTimeLimit, this.lab.hostName);
          connection.send(r.code, r.message, false);
          connection.close();
        }, this.lab.sessionLimitMs ?? inboundDefaults.sessionLimitMs);
        // SMTPConnection emits no 'close' of its own (smtp-server 3.21.6): a listener there never
        // ran, and each session's timer held its connection, socket and parser for the full 10
        // minutes after it ended — 24,000 sessions' worth at 40 messages a second (docs/bench.md,
        // `load`). Its `_onClose` runs for every way a session ends.
        const onClose = connection._onClose.bind(connection);
        connection._onClose = () => {
          cancel();
          onClose();
        };
        if (greetingDelayMs > 0) timers.setTimeout(() => connection.connectionReady(), greetingDelayMs);
        else connection.connectionReady();
      });
    };
    connection.init();
  }
}

/** Postfix-like defaults: smtpd's process limit is 100 a service; a lab listener takes twice that. */
export const inboundDefaults = { maxConnections: 200, sessionLimitMs: 10 * 60_000 };

/** An error smtp-server turns into the catalogue's reply. */
function hookError(reply: ReplyText, ...args: (string | number)[]): Error {
  const r = hookReply(reply, ...args);
  return Object.assign(new Error(r.message), { responseCode: r.code });
}

export interface InboundServer {
  port: number;
  server: LabSmtpServer;
  close(): Promise<void>;
}

export async function startInbound(o: InboundOptions): Promise<InboundServer> {
  // Each open session by its id: smtp-server keeps one session object per connection (its
  // `_resetSession` refills it), so its ports and its `secure` and `sealed` flags are read here.
  const sessions = new Map<string, SMTPServerSession & { sealed?: boolean }>();
  const protocols = new Map<string, string>();
  // smtp-server logs bunyan's way: the entry's fields, then a format and its arguments. The lab
  // keeps the commands it read (`C:`) and the replies it sent (`S:`), the first argument each.
  const log = (entry: unknown, format: unknown, line: unknown): void => {
    const e = entry as { tnx?: string; cid?: string } | undefined;
    if (!o.onLog || !e || (e.tnx !== 'send' && e.tnx !== 'command') || (format !== 'S:' && format !== 'C:')) return;
    const cid = e.cid ?? '';
    const session = sessions.get(cid);
    const ports = { remotePort: session?.remotePort ?? 0, localPort: session?.localPort ?? 0 };
    const layer = layerOf(session);
    const dir = format === 'C:' ? 'in' : 'out';
    const text = String(line ?? '');
    // One log line per CRLF- or LF-ended line, a final line break ending the last one; found with
    // indexOf, not regular expressions (every session logs about a dozen, docs/bench.md "Where
    // the time goes").
    let start = 0;
    do {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl > start && text[nl - 1] === '\r' ? nl - 1 : nl;
      o.onLog({ cid, ...ports, dir, layer, text: text.slice(start, end) });
      start = nl < 0 ? text.length + 1 : nl + 1;
    } while (start < text.length);
  };
  const logger: ServerLogger = { info: log, debug: log, error: log, warn: log, trace: log, fatal: log };

  const options: SMTPServerOptions = {
    name: o.hostName,
    disableReverseLookup: true,
    size: o.maxSize,
    authOptional: true,
    disabledCommands: ['AUTH'],
    hideSTARTTLS: true,
    socketTimeout: o.socketTimeoutMs,
    maxClients: o.maxConnections ?? inboundDefaults.maxConnections,
    closeTimeout: 200,
    // The lab's own logger replaces smtp-server's after construction (LabSmtpServer).
    logger: false,
    onConnect(session, callback) {
      sessions.set(session.id, session);
      callback();
    },
    onClose(session) {
      sessions.delete(session.id);
      protocols.delete(session.id);
    },
    // smtp-server's session.tlsOptions is getCipher(), whose `version` is the cipher's first
    // protocol (AES256-SHA says SSLv3 on a TLS 1.0 session): keep the negotiated one.
    onSecure(socket, session, callback) {
      const protocol = (socket as { getProtocol?: () => string | null }).getProtocol?.();
      if (protocol) protocols.set(session.id, protocol);
      callback();
    },
    onRcptTo(address, session, callback) {
      // RFC 5321 §4.1.2: a recipient without a domain (but <Postmaster>) or with a broken one is
      // refused here, so nothing is stored for a transaction that cannot succeed.
      const syntax = checkRecipientAddress(address.address, o.domain ?? o.hostName);
      if (!syntax.ok) return callback(hookError(replies.badRecipientSyntax));
      // smtp-server adds this same object to the envelope once we accept it.
      address.address = syntax.address;
      const refusal = o.checkRecipient(address.address, { remotePort: session.remotePort });
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(hookError(replies.messageTooBig));
          return;
        }
        const tls = (session as SMTPServerSession & { tlsOptions?: { name?: string; standardName?: string; version?: string } }).tlsOptions;
        const envelope: InboundEnvelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          heloName: session.hostNameAppearsAs,
          remotePort: session.remotePort,
          localPort: session.localPort,
          secure: session.secure,
          tlsProtocol: protocols.get(session.id) ?? tls?.version,
          tlsCipher: tls?.name,
          tlsCipherStd: tls?.standardName,
          user: typeof session.user === 'string' ? session.user : undefined,
          requireTls: (session.envelope as { requireTLS?: boolean }).requireTLS === true,
        };
        let accepted: Promise<string>;
        try {
          accepted = o.accept(envelope, Buffer.concat(chunks));
        } catch (error) {
          accepted = Promise.reject(error);
        }
        accepted.then(
          (id) => {
            // smtp-server sends `250 <text>`; the product words the text (app/products/).
            const q = o.dialect?.().replies.queued(id);
            callback(null, q ? (q.status ? `${q.status} ${q.text}` : q.text) : hookReply(replies.queued, id).message);
          },
          (error: unknown) => {
            o.onInternalError?.(error instanceof Error ? error.stack ?? error.message : String(error));
            callback(hookError(replies.localError));
          },
        );
      });
    },
    ...o.extra,
  };
  const server = new LabSmtpServer(options, o, logger);
  server.on('error', () => {
    /* per-connection errors (resets, garbage) must never take the listener down */
  });
  const onKeyLog = o.extra?.onKeyLog;
  if (onKeyLog) {
    // smtp-server wraps STARTTLS sockets itself; the documented patch forwards their key log to
    // its net.Server (app/tls/session.ts), attached before any session starts.
    enableWrappedServerKeylog();
    server.server.on('keylog', (line: Buffer, socket: TLSSocket) => {
      const parent = (socket as TLSSocket & { _parent?: { remotePort?: number; localPort?: number } })._parent;
      const port = socket.remotePort ?? parent?.remotePort;
      const local = socket.localPort ?? parent?.localPort ?? 0;
      if (port) onKeyLog(port, local, line.toString('latin1').replace(/\r?\n$/, ''));
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
