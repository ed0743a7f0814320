/**
 * The terminal: a raw TCP session the engine opens to any lab listener, as telnet would — a mail
 * host directly, or a path's entry so the bytes cross the firewall as a partner's would. The
 * renderer never holds a socket; it reaches this service through the contract (terminalOpen,
 * terminalSend, terminalClose) and hears `terminal.output` events.
 *
 *   keys ─► terminalSend ─► socket ─► tap relay [terminal/tN] ─► host, or ─► path entry ─► firewall ─► host
 *
 * Character mode writes one segment per keystroke and waits until the tap recorded it before the
 * next, so a keystroke is one packet (what got through PIX and ASA inspection in the article);
 * line mode writes a whole line at once. A typed `STARTTLS` answered with `220` upgrades the
 * terminal's own connection (RFC 3207 §4) and prints the server certificate: subject, issuer,
 * validity judged on the lab clock, and the SHA-256 fingerprint. TLS secrets go to the key
 * hand-off, so the packet view can decrypt the terminal's session like any other.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Lab } from '../lab/lab.ts';
import type { Relay } from '../path/relay.ts';
import type { TapEvent } from '../capture/tap.ts';
import { ReplyParser } from '../smtp/wire.ts';

export type TerminalMode = 'character' | 'line';

export interface TerminalTarget {
  id: string;
  label: string;
  kind: 'host' | 'path';
  org: string;
  host: string;
  /** For a path entry: the path and the organisation whose side it stands for. */
  path?: string;
  from?: string;
}

export interface TerminalInfo {
  id: string;
  target: TerminalTarget;
  point: string;
  mode: TerminalMode;
}

export interface CertificateReport {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  /** Valid at the lab clock's now (the lab never asks the wall clock, docs/lab.md "Time"). */
  validNow: boolean;
  labTime: number;
  fingerprint256: string;
  protocol: string;
  cipher: string;
}

export type TerminalEvent =
  | { type: 'output'; session: string; text: string; kind: 'data' | 'note' }
  | { type: 'tls'; session: string; certificate: CertificateReport }
  | { type: 'closed'; session: string; reason: string };

/**
 * Who opened a session: one connection of the API (a page's socket; the desktop window's one
 * channel). A connection's sessions close with it (`closeOwnedBy`): a page that reconnects cannot
 * take a session up again — its screen lived in the page (docs/ui.md, "Terminal").
 */
export type TerminalOwner = object;

/** The owner of sessions opened without one (a caller with no connections of its own). */
const NO_OWNER: TerminalOwner = {};

/**
 * Sessions one connection may hold at once. A page shows one terminal and closes it before it
 * opens the next; each session holds a few sockets and a listener, so one client could otherwise
 * use up the process's file descriptors and refuse every other learner service.
 */
export const TERMINALS_PER_CONNECTION = 4;
/** Sessions one lab (a classroom seat's, serve's) may hold at once, across all its connections. */
export const TERMINALS_PER_LAB = 16;

/** A terminal session refused because its connection or its lab holds as many as it may. */
export class TerminalLimitError extends Error {}

/** Where the terminal stands on the network when it reaches a host directly. */
const TERMINAL_ENDPOINT = { ip: '203.0.113.254', host: 'terminal.lab.example' };
/** How long a keystroke may take to reach the tap before the next one goes anyway (real ms). */
const KEY_WAIT_MS = 2000;

interface Session {
  info: TerminalInfo;
  relay: Relay;
  socket: net.Socket | tls.TLSSocket;
  /** The connection id this session has on its own tap. */
  own?: string;
  /** The loopback port the terminal's tap relay reached a path entry from (finds the path's connection). */
  upstreamPort?: number;
  /** The port that connection reached (the path's relay): with `upstreamPort` it names the socket. */
  upstreamTarget?: number;
  /** The last point that must record a keystroke before the next is written. */
  waitPoint: string;
  line: string;
  /** After a typed STARTTLS: the server's replies, read with the wire's grammar, until the first one ends. */
  armed?: ReplyParser;
  writing: Promise<void>;
  tls?: { protocol: string; verified: boolean };
  closed: boolean;
  /** Why it closed (said again to a late `send`). */
  closedBecause?: string;
  owner: TerminalOwner;
}

export class TerminalService {
  readonly #lab: Lab;
  readonly #emit: (e: TerminalEvent) => void;
  readonly #sessions = new Map<string, Session>();
  #seq = 0;
  #waiters: { point: string; conn: () => string | undefined; resolve: () => void }[] = [];
  readonly #unsubscribe: () => void;
  /** Sessions being opened (not yet in `#sessions`), per owner: they count toward the limits. */
  readonly #opening = new Map<TerminalOwner, number>();
  /** Owners whose connection closed: a session they were still opening closes at once. */
  readonly #gone = new WeakSet<TerminalOwner>();

  constructor(lab: Lab, emit: (e: TerminalEvent) => void) {
    this.#lab = lab;
    this.#emit = emit;
    this.#unsubscribe = lab.taps.subscribe((e) => this.#onTap(e));
  }

  /** Every listener a terminal can reach: each mail host, and each path entry per sending side. */
  targets(): TerminalTarget[] {
    const out: TerminalTarget[] = [];
    for (const server of this.#lab.servers.values()) {
      for (const l of server.listeners.filter((x) => x.role === 'mail')) {
        out.push({ id: `host:${l.host}`, label: `${l.host} directly (${server.id})`, kind: 'host', org: server.id, host: l.host });
      }
    }
    for (const r of this.#lab.relays) {
      const via = r.path.config.via === 'direct' ? 'the direct path' : r.path.config.via === 'firewall' ? `the firewall (${r.path.config.firewall?.profile ?? 'pass'})` : 'the content scanner';
      out.push({ id: `path:${r.path.id}:${r.fromOrg}:${r.host}`, label: `${r.host} through ${via}, as ${r.fromOrg} reaches it`, kind: 'path', org: r.toOrg, host: r.host, path: r.path.id, from: r.fromOrg });
    }
    return out;
  }

  /** What the terminal knows about one of its connections (for the topology's link state). */
  facts(conn: string): { tls?: { protocol: string; verified: boolean } } | undefined {
    for (const s of this.#sessions.values()) if (s.own === conn || this.#pathConn(s) === conn) return s.tls ? { tls: s.tls } : {};
    return undefined;
  }

  /** The path relay's connection behind a terminal session aimed at a path entry. */
  #pathConn(s: Session): string | undefined {
    return s.info.target.kind === 'path' && s.upstreamPort !== undefined ? this.#lab.taps.connByClientPort(s.upstreamPort, s.upstreamTarget ?? 0) : undefined;
  }

  list(): TerminalInfo[] {
    return [...this.#sessions.values()].filter((s) => !s.closed).map((s) => s.info);
  }

  /** Sessions open or being opened, of one owner or (without one) of the whole lab. */
  #held(owner?: TerminalOwner): number {
    let n = 0;
    for (const s of this.#sessions.values()) if (!s.closed && (owner === undefined || s.owner === owner)) n++;
    for (const [o, opening] of this.#opening) if (owner === undefined || o === owner) n += opening;
    return n;
  }

  /**
   * Open a session for `owner` (a connection; its sessions close with it, `closeOwnedBy`). Refused,
   * before any socket is made, beyond TERMINALS_PER_CONNECTION per owner or TERMINALS_PER_LAB.
   */
  async open(targetId: string, mode: TerminalMode, owner: TerminalOwner = NO_OWNER): Promise<TerminalInfo> {
    const target = this.targets().find((t) => t.id === targetId);
    if (!target) throw new Error(`no terminal target "${targetId}" (known: ${this.targets().map((t) => t.id).join(', ')})`);
    if (this.#gone.has(owner)) throw new Error('the connection that asked for this terminal has closed');
    if (this.#held(owner) >= TERMINALS_PER_CONNECTION) {
      throw new TerminalLimitError(`this connection has ${TERMINALS_PER_CONNECTION} terminal sessions open, the most one page may hold; close one first`);
    }
    if (this.#held() >= TERMINALS_PER_LAB) {
      throw new TerminalLimitError(`this lab has ${TERMINALS_PER_LAB} terminal sessions open, the most it holds at once; close one first`);
    }
    this.#opening.set(owner, (this.#opening.get(owner) ?? 0) + 1);
    let info: TerminalInfo;
    try {
      info = await this.#open(target, mode, owner);
    } finally {
      const left = (this.#opening.get(owner) ?? 1) - 1;
      if (left > 0) this.#opening.set(owner, left);
      else this.#opening.delete(owner);
    }
    // The connection closed while the session was being made: it is nobody's, so it goes at once.
    if (this.#gone.has(owner)) {
      this.#end(this.#sessions.get(info.id)!, 'the connection that opened it closed');
      throw new Error('the connection that asked for this terminal has closed');
    }
    return info;
  }

  async #open(target: TerminalTarget, mode: TerminalMode, owner: TerminalOwner): Promise<TerminalInfo> {
    const lab = this.#lab;
    const id = `t${++this.#seq}`;
    let port: number;
    let server = { ip: '127.0.0.1', port: 25, host: target.host };
    const hostConfig = lab.config.orgs.flatMap((o) => o.hosts).find((h) => h.name.toLowerCase() === target.host.toLowerCase());
    if (hostConfig) server = { ip: hostConfig.address, port: 25, host: hostConfig.name };
    let client: { ip: string; host: string; port: number } = { ...TERMINAL_ENDPOINT, port: 0 };
    let waitPoint = `terminal/${id}`;
    if (target.kind === 'host') {
      const listener = lab.servers.get(target.org)?.listeners.find((l) => l.role === 'mail' && l.host === target.host);
      if (!listener) throw new Error(`host ${target.host} has no listener`);
      port = listener.port;
    } else {
      const relay = lab.relays.find((r) => r.path.id === target.path && r.fromOrg === target.from && r.host === target.host)!;
      port = relay.port;
      const fromHost = lab.config.orgs.find((o) => o.id === target.from)?.hosts[0];
      if (fromHost) client = { ip: fromHost.address, host: fromHost.name, port: 0 };
      waitPoint = relay.path.clientPoint.id;
    }
    const point = `terminal/${id}`;
    let upstreamPort: number | undefined;
    let upstreamTarget: number | undefined;
    const relay = await lab.openTap({ id: point, label: `terminal ${id} → ${target.label}`, path: point }, { host: '127.0.0.1', port }, { client, server },
      (_conn, local, remote) => {
        upstreamPort = local;
        upstreamTarget = remote;
        const s = this.#sessions.get(id);
        if (s) {
          s.upstreamPort = local;
          s.upstreamTarget = remote;
        }
      });
    const socket = net.connect(relay.port, '127.0.0.1');
    socket.setNoDelay(true);
    const info: TerminalInfo = { id, target, point, mode };
    const session: Session = { info, relay, socket, upstreamPort, upstreamTarget, waitPoint, line: '', writing: Promise.resolve(), closed: false, owner };
    this.#sessions.set(id, session);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      });
    } catch (error) {
      // Never connected: its relay and socket go now, so it holds nothing and counts for no limit.
      this.#end(session, (error as Error).message);
      throw error;
    }
    session.own = lab.taps.connByClientPort(socket.localPort ?? 0, relay.port);
    this.#wire(session, socket);
    this.#emit({ type: 'output', session: id, kind: 'note', text: `Connected to ${target.label} (${mode} mode). Type SMTP commands; STARTTLS upgrades this connection.\r\n` });
    return info;
  }

  #wire(s: Session, socket: net.Socket | tls.TLSSocket): void {
    socket.on('data', (bytes: Buffer) => this.#onData(s, bytes));
    socket.on('error', (error) => this.#end(s, error.message));
    socket.on('close', () => this.#end(s, 'connection closed by the remote side'));
  }

  #onData(s: Session, bytes: Buffer): void {
    const text = bytes.toString('latin1');
    this.#emit({ type: 'output', session: s.info.id, kind: 'data', text });
    if (!s.armed) return;
    // The next complete reply answers STARTTLS (RFC 3207 §4): 220 starts the handshake, anything
    // else (or a line that is not a reply) leaves the session in clear.
    const { replies, error } = s.armed.push(bytes);
    if (!replies.length && !error) return;
    s.armed = undefined;
    if (replies[0]?.code === 220) void this.#startTls(s);
  }

  /** Write what the user typed: one write (one segment) per call, in order. */
  send(id: string, data: string): Promise<number> {
    const s = this.#session(id);
    const bytes = Buffer.from(data, 'utf8');
    const write = s.writing.then(() => this.#write(s, bytes));
    s.writing = write.catch(() => undefined);
    return write.then(() => bytes.length);
  }

  async #write(s: Session, bytes: Buffer): Promise<void> {
    if (s.closed) throw new Error(`terminal ${s.info.id} is closed${s.closedBecause ? ` (${s.closedBecause})` : ''}`);
    this.#track(s, bytes.toString('latin1'));
    const recorded = s.info.mode === 'character' ? this.#recorded(s) : Promise.resolve();
    s.socket.write(bytes);
    await recorded;
  }

  /** Watch the typed line: STARTTLS arms the upgrade for the server's next reply. */
  #track(s: Session, text: string): void {
    for (const ch of text) {
      if (ch === '\n' || ch === '\r') {
        if (/^\s*STARTTLS\s*$/i.test(s.line) && !s.tls) {
          s.armed = new ReplyParser();
        }
        s.line = '';
      } else if (ch === '\b' || ch === '\x7f') {
        s.line = s.line.slice(0, -1);
      } else {
        s.line += ch;
      }
    }
  }

  /** Resolves when the tap at the session's last point recorded a client segment (or after a bound). */
  #recorded(s: Session): Promise<void> {
    return new Promise((resolve) => {
      let cancel = () => {};
      const waiter = {
        point: s.waitPoint,
        conn: () => (s.waitPoint === s.info.point ? s.own : this.#pathConn(s)),
        resolve: () => {
          cancel();
          resolve();
        },
      };
      this.#waiters.push(waiter);
      cancel = this.#lab.timers.setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve();
      }, KEY_WAIT_MS);
    });
  }

  #onTap(e: TapEvent): void {
    if (e.kind !== 'data' || e.record.dir !== 'c2s') return;
    const hit = this.#waiters.findIndex((w) => w.point === e.record.point && (w.conn() === undefined || w.conn() === e.record.conn));
    if (hit < 0) return;
    const [w] = this.#waiters.splice(hit, 1);
    w.resolve();
  }

  async #startTls(s: Session): Promise<void> {
    const plain = s.socket as net.Socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = tls.connect({ socket: plain, servername: s.info.target.host, rejectUnauthorized: false });
    secure.on('keylog', (line: Buffer) => {
      const text = line.toString('latin1').trim();
      for (const conn of [s.own, this.#pathConn(s)]) if (conn) this.#lab.taps.addKeys(conn, { tlsKeyLog: [text] });
    });
    s.socket = secure;
    secure.once('secureConnect', () => {
      const cert = secure.getPeerX509Certificate();
      const now = this.#lab.clock.now();
      const cipher = secure.getCipher();
      const protocol = secure.getProtocol() ?? 'TLS';
      s.tls = { protocol, verified: false };
      if (!cert) {
        this.#emit({ type: 'output', session: s.info.id, kind: 'note', text: `TLS started (${protocol}); the server sent no certificate.\r\n` });
        return;
      }
      const report: CertificateReport = {
        subject: cert.subject.replace(/\n/g, ', '), issuer: cert.issuer.replace(/\n/g, ', '),
        validFrom: cert.validFrom, validTo: cert.validTo,
        validNow: Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo), labTime: now,
        fingerprint256: cert.fingerprint256, protocol, cipher: cipher.name,
      };
      this.#emit({ type: 'tls', session: s.info.id, certificate: report });
      this.#emit({ type: 'output', session: s.info.id, kind: 'note', text: certificateText(report) });
    });
    this.#wire(s, secure);
  }

  close(id: string): void {
    const s = this.#session(id);
    this.#end(s, 'closed by the user');
  }

  #end(s: Session, reason: string): void {
    if (s.closed) return;
    s.closed = true;
    s.closedBecause = reason;
    s.socket.destroy();
    void s.relay.close();
    this.#emit({ type: 'closed', session: s.info.id, reason });
  }

  #session(id: string): Session {
    const s = this.#sessions.get(id);
    if (!s) throw new Error(`no terminal session "${id}"`);
    return s;
  }

  /**
   * The connection `owner` closed: its sessions close (`terminal.closed`, "the connection that
   * opened it closed"), and any it is still opening close as soon as they are made.
   */
  closeOwnedBy(owner: TerminalOwner): void {
    this.#gone.add(owner);
    for (const s of this.#sessions.values()) if (s.owner === owner) this.#end(s, 'the connection that opened it closed');
  }

  closeAll(): void {
    for (const s of this.#sessions.values()) this.#end(s, 'the lab stopped');
    this.#unsubscribe();
  }
}

/** The certificate as the terminal prints it, one fact per line. */
export function certificateText(c: CertificateReport): string {
  const when = new Date(c.labTime).toISOString().replace('.000Z', 'Z');
  return [
    `TLS started: ${c.protocol}, ${c.cipher}`,
    `  subject:     ${c.subject}`,
    `  issuer:      ${c.issuer}`,
    `  valid:       ${c.validFrom} — ${c.validTo}`,
    `  lab clock:   ${when}: ${c.validNow ? 'valid now' : 'NOT valid now'}`,
    `  SHA-256:     ${c.fingerprint256}`,
    '',
  ].join('\r\n');
}
