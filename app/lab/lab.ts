/**
 * `createLab(config, deps)`: the composition root of the engine (docs/architecture.md, "The engine"). It builds the
 * simulated DNS, one mail server per organisation, a recording relay for every route between
 * them, and runs the outbound routing: MX look-up, path choice, the SMTP client session and its
 * security plan. Scenario steps (send, action, advance, expect) call in here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabAction, OrgConfig, SendStep } from '../config/schema.ts';
import type { LabConfig } from '../config/lab.ts';
import { RunningClock, VirtualClock, parseDuration, type LabClock, type PendingTimers } from '../base/clock.ts';
import { DeliverySlots, type SlotLimits } from '../mta/slots.ts';
import { createRng, type Rng } from '../base/rng.ts';
import { realTimers, type Timers } from '../base/timers.ts';
import { SimDns } from './dns.ts';
import { Workspace } from '../base/store.ts';
import { Emitter } from '../base/emitter.ts';
import type { LabEvent } from './events.ts';
import { labEndpoints, type LabEndpoint } from './endpoints.ts';
import { buildPaths, derivedDnsRecords, orgOfHost, pickPath, scannerOrg, type PathInfo, type RelayInfo } from './topology.ts';
import { TapLog, socketKey, type CapturePoint, type Endpoint, type PointRole, type TapConnection, type TapEvent } from '../capture/tap.ts';
import { Deque } from '../capture/deque.ts';
import { findLeaks, findLeaksOfAll, makeCanaries, type Canaries, type LeakHit } from '../capture/leak.ts';
import { CaptureStore } from '../capture/store.ts';
import { CaptureBudget, DEFAULT_CAPTURE_BYTES } from '../capture/budget.ts';
import { MailServer } from '../mta/server.ts';
import type { QueueEntry } from '../mta/queue.ts';
import { composeMessage } from '../mta/compose.ts';
import { deliver, type DeliveryContext } from './delivery.ts';
import { applyLabAction } from './actions.ts';
import { LabError } from '../base/errors.ts';
import { LabJournal } from './journal.ts';
import { LabSecurity } from './security.ts';
import type { RptNote } from '../tls/levels.ts';
import { buildTlsReport, type TlsReport } from '../tls/tlsrpt.ts';
import { startRelay, type Relay, type RelayOptions } from '../path/relay.ts';
import { LabRelayThread } from '../path/relay-thread.ts';
import { labCounters, nextClientPort, nextConnId } from '../path/relay-wire.ts';
import { createPathPipeline, pathStages } from '../path/middlebox.ts';
import { onlyBuiltInStages } from '../path/stages/index.ts';
import { passPipeline } from '../path/pipeline.ts';
import type { ServerLogLine } from '../mta/inbound.ts';
import type { MessageSource } from '../base/journal.ts';

export { LabError };
export type { RelayInfo };

/**
 * Where a session from outside the lab (a real tool on this machine) appears to come from in the
 * packet view and the server's greeting: an address of TEST-NET-3 (RFC 5737), apart from the
 * organisations' own ranges.
 */
export const OUTSIDE_PEER = { ip: '203.0.113.1', host: 'outside.lab.example' };

export interface LabDeps {
  /** Workspace folder (durable state); when absent, a fresh temporary folder removed by `stop()`. */
  workspace?: string;
  /** Overrides the scenario's seed. */
  seed?: number;
  timers?: Timers;
  /** Where RSA keys are cached; default: the package's node_modules/.cache (shared by all labs). */
  keyCache?: string;
  /** Where issued certificates are cached; default: the workspace's `pki/`. Tests that build many labs share one. */
  certCache?: string;
  /**
   * Lab time follows real time, `scale` times as fast (`up` and `serve`, where no scenario moves
   * the clock). Without it the clock is virtual and moves only when a scenario advances it.
   */
  running?: { scale: number };
  /** Inbound limits per listener (default: 200 connections at once, sessions of at most 10 minutes). */
  limits?: Partial<{ connectionsPerListener: number; sessionMs: number }>;
  /** Outbound session limits (default: 20 per destination, 100 in all). */
  delivery?: Partial<SlotLimits>;
  /** What the lab keeps in memory (defaults: SERVER_LOG_LIMITS, FINISHED_TRANSCRIPTS_KEPT, JOURNAL_MESSAGES_KEPT). */
  retain?: Partial<{ serverLogConnections: number; serverLogLines: number; transcripts: number; journalMessages: number }>;
  /**
   * Run the paths' relays on the process's relay thread (docs/decisions.md, "The paths run on a
   * thread of their own"). Default: yes, with real timers and only built-in stages registered; a
   * lab on injected timers relays in its own thread, where those timers run, and so does a lab in
   * a process with a stage of its own (code the thread does not have).
   */
  relayThread?: boolean;
}

/**
 * The receivers' per-connection server logs are a ring (docs/decisions.md, "Bounded memory"): the
 * newest 2,000 connections, each at most 1,000 lines (a session of a few messages takes 20 to 60);
 * what goes is counted in `serverLogsDropped` and said in the server log view.
 */
/** How long a closed relay connection's socket name still maps to it (real time, see `#forgetUpstream`). */
const UPSTREAM_GRACE_MS = 2_000;
/**
 * Tap events that may wait for a reader of the packet view before it takes them in anyway: about
 * 4,000 plain messages' worth, a pause of a fraction of a second when it does.
 */
const MAX_BACKLOG = 65_536;

export const SERVER_LOG_LIMITS = { connections: 2000, lines: 1000 };

export interface SentMessage {
  ref: string;
  org: string;
  from: string;
  to: string[];
  canaries: Canaries;
  entryIds: string[];
}

export type MessageOutcome = 'delivered' | 'deferred' | 'bounced' | 'pending';


export class Lab {
  readonly config: LabConfig;
  readonly clock: LabClock & PendingTimers;
  /** Outbound session slots: the queue manager's concurrency limits. */
  readonly slots: DeliverySlots;
  readonly rng: Rng;
  readonly seed: number;
  readonly timers: Timers;
  readonly dns = new SimDns();
  /** What the taps saw; it shares one byte budget with `capture` (settings.captureLimit). */
  readonly #taps: TapLog;
  /**
   * The tap log. With the paths on the relay thread it first takes in what the thread has posted,
   * so a reader sees every record of what its sockets have seen (app/path/relay-thread.ts).
   */
  get taps(): TapLog {
    this.#thread?.drain();
    return this.#taps;
  }
  /** The process's relay thread, when the paths run there (docs/decisions.md, "The paths run on a thread of their own"). */
  #thread: LabRelayThread | null = null;
  readonly #useThread: boolean;
  /** Where the paths' relays run: on the relay thread, or in the lab's own (injected timers, or no thread to be had). */
  get relaysOn(): 'thread' | 'lab' {
    return this.#thread ? 'thread' : 'lab';
  }
  /** Connection ids and simulated client ports, drawn by the lab and its relay thread alike. */
  readonly #counters = labCounters();
  /**
   * The packet view of everything the taps saw: bounded, paged, filterable (docs/packet-view.md).
   * Built when read: tap events wait in `#backlog` until something reads the view (docs/decisions.md,
   * "The packet view is built when read"), so a lab nobody watches does not dissect its traffic.
   */
  get capture(): CaptureStore {
    this.#catchUp();
    return this.#store;
  }
  readonly events = new Emitter<LabEvent>();
  readonly ws: Workspace;
  /** The workspace is a temporary folder this lab made: it goes when the lab stops. */
  readonly #ownsWorkspace: boolean;
  readonly servers = new Map<string, MailServer>();
  readonly paths: PathInfo[];
  readonly relays: RelayInfo[] = [];
  readonly messages = new Map<string, SentMessage>();
  readonly security: LabSecurity;
  readonly tlsRpt: { org: string; domain: string; host: string; note: RptNote; at: number }[] = [];
  /** The receiving server's log lines per relay connection (the receiver's view of a transcript). */
  readonly serverLogs = new Map<string, ServerLogLine[]>();
  /**
   * The host whose listener logged each of those sessions. Not always the tap's server: a content
   * scanner answers connections to the organisation's mail host, and the sender's hop keeps the
   * address it dialed, as a transparent interception does.
   */
  readonly serverLogHosts = new Map<string, string>();
  /** What the server log ring let go: whole connections (oldest first) and lines past a connection's cap. */
  readonly serverLogsDropped = { connections: 0, lines: 0 };
  readonly serverLogLimits: { connections: number; lines: number };
  /** What was done to this lab, in order: app/scenario/record.ts saves it as a scenario. */
  readonly journal: LabJournal;
  #relays: Relay[] = [];
  #started = performance.now();
  /**
   * The relays' connections onward to a lab listener, by the socket's two loopback ports
   * (`socketKey`): how a receiving server tells which relay connection, and so which sender and
   * capture, a session came from. An entry goes a little after its connection closes.
   */
  #upstream = new Map<string, string>();
  #upstreamKeys = new Map<string, string>();
  /** Each listener's tapped relay for sessions from outside: `org/host/role` → port. */
  #outside = new Map<string, number>();
  #outsidePoints = new Set<string>();
  #pointRoles = new Map<string, PointRole[]>();
  #cancelClockSave: () => void = () => {};
  #sessions = new Map<string, MessageSource>();
  /** Each relay connection as the tap first saw it (its client side), by connection id. */
  #tapConns = new Map<string, TapConnection>();
  readonly #store: CaptureStore;
  /** Tap events the packet view has not taken in yet, oldest first. */
  readonly #backlog = new Deque<TapEvent>();
  /** The tap log's `dropped` when the backlog was last emptied. */
  #tapsDropped = 0;
  /** What recovery did on start: unacknowledged copies discarded (their senders send them again). */
  readonly recovered = { discarded: 0, settled: 0 };

  constructor(config: LabConfig, deps: LabDeps = {}) {
    this.config = config;
    this.seed = deps.seed ?? config.seed ?? 1;
    this.rng = createRng(this.seed);
    this.timers = deps.timers ?? realTimers;
    // A lab given no workspace makes a temporary one and removes it when it stops (`stop`).
    this.#ownsWorkspace = deps.workspace === undefined;
    this.ws = new Workspace(deps.workspace ?? fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-lab-')));
    const saved = this.ws.readJson<{ labTime: number }>('lab.json');
    const start = config.clock?.start ? Date.parse(config.clock.start) : Date.now();
    const labStart = Math.max(start, saved?.labTime ?? 0);
    this.clock = deps.running ? new RunningClock(labStart, this.timers, deps.running.scale) : new VirtualClock(labStart);
    this.slots = new DeliverySlots(deps.delivery);
    for (const r of derivedDnsRecords(config)) this.dns.add(r);
    for (const r of config.dns) this.dns.add(r);
    for (const z of config.dnssec) this.dns.setZoneState(z.zone, z.state);
    this.security = new LabSecurity({
      ws: this.ws, dns: this.dns, timers: this.timers, now: () => this.clock.now(), keyCache: deps.keyCache, certCache: deps.certCache,
      // The receiving side's TLS secrets (RFC 3207 sessions it accepted): a real tool as the client
      // logs none for us, so an outside session decrypts with these (docs/packet-view.md).
      onTlsKeyLog: (port, local, line) => {
        const conn = this.#connOf(socketKey(port, local));
        if (conn) this.taps.addKeys(conn, { tlsKeyLog: [line] });
      },
      onNtlmKeys: (port, local, keys) => {
        const conn = this.#connOf(socketKey(port, local));
        if (conn) this.taps.addKeys(conn, { ntlm: keys });
      },
    });
    this.serverLogLimits = {
      connections: deps.retain?.serverLogConnections ?? SERVER_LOG_LIMITS.connections,
      lines: deps.retain?.serverLogLines ?? SERVER_LOG_LIMITS.lines,
    };
    this.#taps = new TapLog(new CaptureBudget(config.settings?.captureLimit ?? DEFAULT_CAPTURE_BYTES));
    // A path whose profile changes tells the relay thread before the next connection through it.
    this.paths = buildPaths(config, (p) => this.#thread?.setPath(p.id, pathStages(p.config)));
    this.#useThread = deps.relayThread ?? (this.timers === realTimers && onlyBuiltInStages());
    for (const p of this.paths) for (const pt of [...p.points, ...p.reversePoints]) this.#pointRoles.set(pt.id, pt.roles);
    this.#store = new CaptureStore({ keys: this.#taps.keys, budget: this.#taps.budget });
    for (const p of this.paths) for (const pt of p.points) this.#store.addPoint(pt);
    // A firewall path's reverse direction is listed once a connection crosses it.
    const later = new Map(this.paths.flatMap((p) => p.reversePoints.map((pt) => [pt.id, pt] as const)));
    this.#taps.subscribe((event) => {
      if (event.kind === 'open' && !this.#tapConns.has(event.connection.conn)) this.#tapConns.set(event.connection.conn, event.connection);
      const pending = event.kind === 'open' ? later.get(event.connection.point) : undefined;
      if (pending) {
        this.#store.addPoint(pending);
        later.delete(pending.id);
      }
      this.#backlog.push(event);
      // The backlog holds records the tap log may let go under the capture budget; once it has,
      // they are taken in at once, so the view counts them as dropped and nothing outlives the budget.
      if (this.#taps.dropped !== this.#tapsDropped || this.#backlog.length >= MAX_BACKLOG) this.#catchUp();
      if (event.kind === 'close') this.#forgetUpstream(event.connection.conn);
      if (event.kind === 'close') this.events.emit({ type: 'capture.changed', point: event.connection.point, conn: event.connection.conn });
    });
    const socketTimeoutMs = parseDuration(config.settings?.timeout ?? '30s') ?? 30_000;
    const delivery = this.#deliveryContext(socketTimeoutMs);
    const scanners = this.paths.map((p) => scannerOrg(p, config)).filter((x) => x !== undefined);
    for (const { org, relayDomains } of [...config.orgs.map((org) => ({ org, relayDomains: [] as string[] })), ...scanners]) {
      this.servers.set(org.id, new MailServer(org, {
        ws: this.ws, clock: this.clock, timers: this.timers, rng: this.rng.fork(`org:${org.id}`),
        socketTimeoutMs, limits: { connectionsPerListener: 200, sessionMs: 600_000, ...deps.limits }, maxMessageSize: config.settings?.maxMessageSize ?? 10 * 1024 * 1024,
        deliver: (entry, message, onAccepted) => deliver(delivery, entry, message, onAccepted), slots: this.slots,
        inboundOptions: (server, host) => this.security.inboundOptions(server, host),
        describeClient: (port, local) => this.#describeClient(port, local),
        senderOf: (port, local) => this.#senderOf(port, local),
        emit: (event) => this.events.emit(event),
        onServerLog: (host, line) => this.#serverLog(host, line),
        ...(deps.retain?.transcripts !== undefined ? { transcriptsKept: deps.retain.transcripts } : {}),
      }, relayDomains));
    }
    this.journal = new LabJournal(this, deps.retain?.journalMessages !== undefined ? { keepMessages: deps.retain.journalMessages } : {});
  }

  /** What delivery may use of this lab (app/lab/delivery.ts): lookups and two notes, not the lab. */
  #deliveryContext(sessionTimeoutMs: number): DeliveryContext {
    const taps = () => this.taps;
    return {
      clock: this.clock, timers: this.timers, sessionTimeoutMs, dns: this.dns, security: this.security,
      // Read when a session ends, so it holds what the relay thread has posted by then.
      get taps() {
        return taps();
      },
      server: (org) => this.servers.get(org),
      relayTo: (fromOrg, host) => {
        const toOrg = orgOfHost(this.config, host);
        const name = host.toLowerCase();
        return toOrg && this.relays.find((r) => r.fromOrg === fromOrg && r.toOrg === toOrg.id && r.host.toLowerCase() === name);
      },
      noteSession: (localPort, relayPort, source) => this.noteSession(localPort, relayPort, source),
      recordTlsRpt: (org, domain, host, note) => this.recordTlsRpt(org, domain, host, note),
    };
  }

  /** The bytes of a queued entry's message, as accepted (the save-as-scenario journal reads it). */
  messageOf(org: string, entry: string): Buffer | undefined {
    return this.servers.get(org)?.queuedMessage(entry);
  }

  /** Real milliseconds since the lab started (packet times). */
  elapsed(): number {
    return performance.now() - this.#started;
  }

  async start(): Promise<void> {
    if (this.#useThread) {
      this.#thread = await LabRelayThread.attach({
        counters: this.#counters, seed: this.seed, startedAt: performance.timeOrigin + this.#started,
        paths: this.paths.map((p) => ({ id: p.id, stages: pathStages(p.config) })),
        tap: this.#taps, labTime: () => this.clock.now(),
        onUpstream: (conn, local, remote, at) => this.#noteUpstream(conn, local, remote, at),
      });
    }
    await this.security.start(this.config, [...this.servers.values()].filter((s) => s.relayDomains.length > 0).map((s) => s.config));
    for (const server of this.servers.values()) await server.start();
    for (const from of this.config.orgs) {
      for (const to of this.config.orgs) {
        if (from.id === to.id) continue;
        for (const host of to.hosts) {
          const p = pickPath(this.paths, from.id, to.id, host.name);
          if (!p) continue;
          const scanner = scannerOrg(p, this.config)?.org;
          if (scanner) {
            // The session ends at the scanner: this hop is the sender's side of the path only.
            const point = p.config.between[0] === from.id ? p.clientPoint : p.serverPoint;
            // On the wire the scanner answers for the host the sender dialed (a transparent
            // interception): the hop keeps that host's name and address, the scanner's banner says who answered.
            await this.#relay(p, from, this.#target(scanner.id, scanner.hosts[0].name), [point], [point], host, to.id, host.name, scanner.hosts[0].name);
          } else {
            const sides = p.sides(from.id);
            await this.#relay(p, from, this.#target(to.id, host.name), sides.client, sides.server, host, to.id, host.name);
          }
        }
      }
    }
    // A content scanner relays onward to both organisations, each on its own side of the path.
    for (const p of this.paths) {
      const scanner = scannerOrg(p, this.config)?.org;
      if (!scanner) continue;
      for (const to of this.config.orgs.filter((o) => p.config.between.includes(o.id))) {
        // Onward to the second organisation: the wire after the scanner, then what its host receives.
        const [client, server]: CapturePoint[][] = p.config.between[1] === to.id ? [[p.serverPoint], p.points.slice(2)] : [[p.clientPoint], [p.clientPoint]];
        for (const host of to.hosts) await this.#relay(p, scanner, this.#target(to.id, host.name), client, server, host, to.id, host.name);
      }
    }
    await this.#tapListeners();
    this.#reconcile();
    for (const server of this.servers.values()) server.recover();
    if (this.clock instanceof RunningClock) {
      // A running clock is saved now and then, so a restart after a kill resumes close to where it was.
      const save = () => {
        this.#saveClock();
        this.#cancelClockSave = this.timers.setTimeout(save, 2_000);
      };
      this.#cancelClockSave = this.timers.setTimeout(save, 2_000);
    }
  }

  /** What every relay in the lab's own thread shares: where it records, its clocks, its ids. */
  #relayDeps(): Pick<RelayOptions, 'tap' | 'timers' | 'labTime' | 'elapsed' | 'nextConnId' | 'onUpstream'> {
    return {
      tap: this.#taps, timers: this.timers, labTime: () => this.clock.now(), elapsed: () => this.elapsed(),
      nextConnId: () => nextConnId(this.#counters),
      onUpstream: (conn, local, remote, at) => this.#noteUpstream(conn, local, remote, at),
    };
  }

  /** A recording relay from `from`'s server towards `host`, reaching `target`. */
  async #relay(p: PathInfo, from: OrgConfig, target: { host: string; port: number }, clientPoints: CapturePoint[], serverPoints: CapturePoint[],
    peer: { name: string; address: string }, toOrg: string, host: string, endsAtScanner?: string): Promise<void> {
    const serverEndpoint = { ip: peer.address, port: 25, host: peer.name };
    const client = { ip: from.hosts[0].address, host: from.hosts[0].name };
    const relay = this.#thread
      ? await this.#thread.startRelay({ target, path: p.id, clientPoints, serverPoints, client, serverEndpoint })
      : await startRelay({
        target,
        createPipeline: (conn) => createPathPipeline(p.config, { rng: this.rng.fork(`path:${p.id}:${conn}`), conn, now: () => this.timers.now() }),
        clientPoints, serverPoints,
        clientEndpoint: () => ({ ...client, port: nextClientPort(this.#counters) }),
        serverEndpoint, ...this.#relayDeps(),
      });
    this.#relays.push(relay);
    this.relays.push({ path: p, fromOrg: from.id, toOrg, host, port: relay.port, endsAtScanner });
  }

  /**
   * Every listener a lab shows (`endpoints()`: each mail host, alternate interfaces, the submission
   * port) is reached from outside the lab through a recording relay of its own, so a session typed
   * by hand (swaks, telnet, openssl s_client) is tapped like any hop (docs/lab.md, "Paths and capture points") under a capture point
   * that names the host and the port: "mail.ntsol.example :25 — from outside". The lab's own paths
   * and the terminal reach the server's listener behind it and are tapped on their own points.
   */
  async #tapListeners(): Promise<void> {
    for (const server of this.servers.values()) {
      for (const l of server.listeners) {
        const host = server.config.hosts.find((h) => h.name === l.host);
        if (!host) continue;
        const port = l.role === 'submission' ? 587 : 25;
        const id = `outside/${l.host}:${port}`;
        const point: CapturePoint = {
          id, path: id, roles: [],
          label: `${l.host} :${port}${l.role === 'submission' ? ' (submission)' : ''} — from outside`,
        };
        this.#store.addPoint(point);
        this.#pointRoles.set(id, []);
        this.#outsidePoints.add(id);
        const relay = await startRelay({
          target: { host: '127.0.0.1', port: l.port }, createPipeline: () => passPipeline(), clientPoints: [point], serverPoints: [point],
          clientEndpoint: () => ({ ...OUTSIDE_PEER, port: nextClientPort(this.#counters) }), serverEndpoint: { ip: host.address, port, host: host.name },
          ...this.#relayDeps(),
        });
        this.#relays.push(relay);
        this.#outside.set(`${server.id}/${l.host}/${l.role}`, relay.port);
      }
    }
    // The MTA-STS policy hosts (RFC 8461 §3.3: HTTPS on 443): the senders' policy fetches and any
    // browser or curl from outside go through a tap too, under a point named for the host.
    for (const [name, sts] of this.security.stsHosts) {
      const id = `https/${name}:443`;
      const point: CapturePoint = { id, path: id, roles: [], label: `${name} :443 (MTA-STS policy host, HTTPS)` };
      this.#store.addPoint(point);
      this.#pointRoles.set(id, []);
      this.#outsidePoints.add(id);
      const org = [...this.servers.values()].find((s) => name === `mta-sts.${s.domain}`);
      const relay = await startRelay({
        target: { host: '127.0.0.1', port: sts.host.port }, createPipeline: () => passPipeline(), clientPoints: [point], serverPoints: [point],
        clientEndpoint: () => ({ ...OUTSIDE_PEER, port: nextClientPort(this.#counters) }),
        serverEndpoint: { ip: org?.config.hosts[0]?.address ?? '198.51.100.1', port: 443, host: name },
        ...this.#relayDeps(),
      });
      this.#relays.push(relay);
      sts.tapPort = relay.port;
    }
  }

  /** Take every waiting tap event into the packet view, in order. */
  #catchUp(): void {
    for (let event = this.#backlog.shift(); event; event = this.#backlog.shift()) this.#store.ingest(event);
    this.#tapsDropped = this.#taps.dropped;
  }

  /** Where a capture point is: on a path, in front of a listener (from outside), or a terminal's own. */
  pointKind(id: string): 'path' | 'outside' | 'terminal' {
    const roles = this.#pointRoles.get(id);
    if (roles && roles.length > 0) return 'path';
    return this.#outsidePoints.has(id) ? 'outside' : 'terminal';
  }

  /** The port a listener is reached on from outside the lab (its tapped relay), if it has one. */
  outsidePort(org: string, host: string, role: 'mail' | 'submission'): number | undefined {
    return this.#outside.get(`${org}/${host}/${role}`);
  }

  /**
   * A recording relay for a session the lab opens itself (the terminal): every hop is tapped
   * (docs/lab.md, "Paths and capture points"), so it gets its own capture point, with no role in scenario expectations. Closed
   * with the lab, or earlier by the caller.
   */
  async openTap(point: Omit<CapturePoint, 'roles'>, target: { host: string; port: number }, ends: { client: Endpoint; server: Endpoint },
    onUpstream?: (conn: string, localPort: number, remotePort: number) => void): Promise<Relay> {
    const full: CapturePoint = { ...point, roles: [] };
    this.#store.addPoint(full);
    this.#pointRoles.set(full.id, []);
    const relay = await startRelay({
      target, createPipeline: () => passPipeline(), clientPoints: [full], serverPoints: [full],
      clientEndpoint: () => ({ ...ends.client, port: nextClientPort(this.#counters) }), serverEndpoint: ends.server,
      ...this.#relayDeps(),
      onUpstream: (conn, local, remote, at) => {
        this.#noteUpstream(conn, local, remote, at);
        onUpstream?.(conn, local, remote);
      },
    });
    this.#relays.push(relay);
    return relay;
  }

  /** Where this lab listens: mail hosts, MTA-STS hosts, path entries (app/lab/endpoints.ts). */
  endpoints(): LabEndpoint[] {
    return labEndpoints(this);
  }

  async stop(): Promise<void> {
    this.#cancelClockSave();
    if (this.clock instanceof RunningClock) this.clock.stop();
    this.#saveClock();
    await Promise.all(this.#relays.map((r) => r.close()));
    await this.#thread?.detach();
    this.#thread = null;
    for (const server of this.servers.values()) await server.stop();
    await this.security.stop();
    await this.ws.close();
    if (this.#ownsWorkspace) fs.rmSync(this.ws.root, { recursive: true, force: true });
  }

  #saveClock(): void {
    this.ws.writeJson('lab.json', { labTime: this.clock.now(), seed: this.seed });
  }

  #target(orgId: string, host: string): { host: string; port: number } {
    const server = this.servers.get(orgId)!;
    const external = server.config.external?.smtp;
    if (external) {
      const i = external.lastIndexOf(':');
      return { host: external.slice(0, i), port: Number(external.slice(i + 1)) };
    }
    const listener = server.listeners.find((l) => l.role === 'mail' && l.host.toLowerCase() === host.toLowerCase());
    if (!listener) throw new LabError(`host ${host} of ${orgId} has no listener`);
    return { host: '127.0.0.1', port: listener.port };
  }

  /**
   * A closed connection's socket name is let go a little later (its last log lines and keys arrive
   * just after the close), before the kernel may give the same pair of ports to another socket.
   */
  #forgetUpstream(conn: string): void {
    const key = this.#upstreamKeys.get(conn);
    if (!key) return;
    this.#upstreamKeys.delete(conn);
    const later = setTimeout(() => {
      if (this.#upstream.get(key) === conn) this.#upstream.delete(key);
      // Only a socket name found in `#upstream` leads to a connection here: both go together.
      this.#tapConns.delete(conn);
    }, UPSTREAM_GRACE_MS);
    later.unref?.();
  }

  /**
   * The relay connection a receiving server's session came from, by its socket's name. A relay on
   * the thread names its socket as the receiver accepts it: a name not yet known is waited for while
   * the thread has connections being made (`waitForUpstream`, at most a few milliseconds).
   */
  #connOf(key: string): string | undefined {
    const conn = this.#upstream.get(key);
    if (conn !== undefined || !this.#thread) return conn;
    this.#thread.waitForUpstream(() => this.#upstream.has(key));
    return this.#upstream.get(key);
  }

  /** A relay's connection onward is up: the capture's handshake completes, and its socket is named. */
  #noteUpstream(conn: string, localPort: number, remotePort: number, at: number): void {
    this.#taps.established(conn, at);
    const key = socketKey(localPort, remotePort);
    this.#upstream.set(key, conn);
    this.#upstreamKeys.set(conn, key);
  }

  /**
   * Which lab server's queue entry a delivery session is sending, from the receiving server's side
   * of the socket (its client's port and its own; see `noteSession`). Recovery trusts this answer to
   * settle the sender's entry, so it must name the socket exactly: by ports alone a direct
   * submission could be taken for a relay's session that once used, or now shares, its source port.
   */
  #senderOf(remotePort: number, localPort: number): MessageSource | undefined {
    const conn = this.#connOf(socketKey(remotePort, localPort));
    const c = conn ? this.#tapConns.get(conn) : undefined;
    return c?.loopbackClientPort ? this.#sessions.get(socketKey(c.loopbackClientPort, c.loopbackServerPort ?? 0)) : undefined;
  }

  /** A delivery session of `source` runs from this loopback port to a relay's (until the returned function is called). */
  noteSession(localPort: number, relayPort: number, source: MessageSource): () => void {
    const key = socketKey(localPort, relayPort);
    this.#sessions.set(key, source);
    return () => this.#sessions.delete(key);
  }

  /**
   * Recovery: a copy a receiver stored whose 250 never went out (the process died during the flush)
   * is dropped when its sender is a lab server still holding the message: that server sends it
   * again, so keeping the copy would deliver it twice. A copy from any other client is kept — it
   * may be the only one (docs/decisions.md, "Flush markers and duplicates after a crash").
   */
  #reconcile(): void {
    for (const server of this.servers.values()) {
      // The receiver flushed the copy and its 250 was on its way when the process died: the sender
      // records what its session would have read next, instead of sending the message again.
      for (const src of server.acknowledgedSources()) {
        const sender = this.servers.get(src.org);
        const state = sender?.storedState(src.id);
        if (sender && state && state !== 'delivered' && state !== 'bounced') {
          sender.recordAccepted(src.id);
          this.recovered.settled++;
        }
      }
      for (const u of [...server.unacknowledged()]) {
        const state = u.src && this.servers.get(u.src.org)?.storedState(u.src.id);
        if (state && state !== 'delivered' && state !== 'bounced') {
          server.discardUnacknowledged(u);
          this.recovered.discarded++;
        }
      }
    }
  }

  #describeClient(remotePort: number, localPort: number): { ip: string; host?: string } | undefined {
    const conn = this.#connOf(socketKey(remotePort, localPort));
    if (!conn) return { ip: '127.0.0.1', host: 'localhost' };
    // Indexed by connection id: a scan of every connection per accepted message grew with the run.
    const c = this.#tapConns.get(conn);
    return c && { ip: c.client.ip, host: c.client.host };
  }

  #serverLog(host: string, line: ServerLogLine): void {
    const conn = this.#connOf(socketKey(line.remotePort, line.localPort));
    if (!conn) return;
    let lines = this.serverLogs.get(conn);
    if (!lines) {
      lines = [];
      this.serverLogs.set(conn, lines);
      this.serverLogHosts.set(conn, host);
      // A Map iterates in insertion order: the first key is the oldest connection.
      while (this.serverLogs.size > this.serverLogLimits.connections) {
        const oldest = this.serverLogs.keys().next().value!;
        this.serverLogsDropped.lines += this.serverLogs.get(oldest)!.length;
        this.serverLogs.delete(oldest);
        this.serverLogHosts.delete(oldest);
        this.serverLogsDropped.connections++;
      }
    }
    if (lines.length >= this.serverLogLimits.lines) {
      this.serverLogsDropped.lines++;
      return;
    }
    lines.push(line);
  }

  pointRoles(): Map<string, PointRole[]> {
    return this.#pointRoles;
  }

  // —— Security services: TLS-RPT (RFC 8460) ——

  /** Record the TLS-RPT note of a session from `org` to `domain`'s MX `host`. */
  recordTlsRpt(org: string, domain: string, host: string, note: RptNote): void {
    this.tlsRpt.push({ org, domain, host, note, at: this.clock.now() });
  }

  /** The RFC 8460 report `domain` would receive from `org`'s server for this run. */
  tlsReport(org: string, domain: string): TlsReport {
    const notes = this.tlsRpt.filter((n) => n.org === org && n.domain === domain.toLowerCase());
    const server = this.servers.get(org)!;
    const sending = server.config.hosts[0].address;
    const start = notes[0]?.at ?? this.clock.now();
    return buildTlsReport({
      organizationName: server.config.domain, contactInfo: `postmaster@${server.config.domain}`,
      reportId: `${start}.${org}.${domain}@${server.config.hosts[0].name}`, start, end: this.clock.now(),
      sessions: notes.map(({ note, host }) => ({
        policy: { type: note.policyType, domain: domain.toLowerCase(), mxHost: [host] },
        outcome: note.result === 'success' ? 'success' : { resultType: note.result, sendingMtaIp: sending, receivingMxHostname: host, additionalInformation: note.detail },
      })),
    });
  }

  // —— Scenario steps ——

  send(step: SendStep): SentMessage {
    if (this.messages.has(step.id)) throw new LabError(`message id ${step.id} is used twice`);
    const to = Array.isArray(step.to) ? step.to : [step.to];
    const domain = step.from.split('@')[1]?.toLowerCase();
    const server = [...this.servers.values()].find((s) => s.domain === domain);
    if (!server) throw new LabError(`no organisation has the domain of ${step.from}`);
    this.journal.sent(step);
    const rng = this.rng.fork(`message:${step.id}`);
    const canaries = makeCanaries((n) => rng.hex(n));
    const data = composeMessage({
      ref: step.id, from: step.from, to, subject: step.subject, body: step.body, headers: step.headers,
      date: this.clock.now(), messageId: `${step.id}.${rng.hex(6)}@${server.config.hosts[0].name}`, canaries,
    });
    const entries = server.submit(step.from, to, data, step.id, undefined, { requireTls: step.requireTls });
    const sent: SentMessage = { ref: step.id, org: server.id, from: step.from, to, canaries, entryIds: entries.map((e) => e.id) };
    this.messages.set(step.id, sent);
    return sent;
  }

  /** The message's queue entries: the sender's, then any a relay (content scanner) made of it. */
  entriesOf(ref: string): QueueEntry[] {
    const sent = this.messages.get(ref);
    if (!sent) return [];
    const server = this.servers.get(sent.org)!;
    const own = sent.entryIds.map((id) => server.entries.get(id)).filter((e): e is QueueEntry => !!e);
    const relayed = [...this.servers.values()].filter((s) => s.relayDomains.length > 0).flatMap((s) => [...s.entries.values()].filter((e) => e.ref === ref));
    return [...own, ...relayed];
  }

  outcome(ref: string): MessageOutcome {
    const entries = this.entriesOf(ref);
    if (entries.some((e) => e.state === 'queued' || e.state === 'in-flight')) return 'pending';
    if (entries.some((e) => e.state === 'bounced')) return 'bounced';
    if (entries.some((e) => e.state === 'deferred')) return 'deferred';
    return 'delivered';
  }

  get inFlight(): number {
    let n = 0;
    for (const s of this.servers.values()) n += s.inFlight;
    return n;
  }

  /**
   * Resolve once every connection the taps saw has closed, so the capture holds the end of each
   * session (a `QUIT` the sender did not wait to see answered, RFC 5321 §4.1.1.10, its `221`, the
   * FINs), or after `maxWaitMs` of real time, with false. A scenario run waits for this before its
   * exports (`run --pcap`, `--export`): a sender that gave up on a message has its session's last
   * bytes still crossing the path when the step that expected the deferral is done.
   */
  wireClosed(maxWaitMs = 2_000): Promise<boolean> {
    const anyOpen = () => {
      for (const c of this.taps.connections.values()) if (c.closedAt === undefined) return true;
      return false;
    };
    if (!anyOpen()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        unsubscribe();
        resolve(false);
      }, maxWaitMs);
      const unsubscribe = this.taps.subscribe((event) => {
        if (event.kind !== 'close' || anyOpen()) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(true);
      });
    });
  }

  /** Resolve once nothing is in flight anywhere in the lab (real time). */
  idle(maxWaitMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let cancel = () => {};
      const unsubscribe = this.events.subscribe(() => check());
      let settled = false;
      const check = () => {
        if (this.inFlight > 0 || settled) return;
        // An event is emitted in the middle of a server's work (a bounce queued right after the
        // attempt that caused it): look again once the current call stack is done.
        queueMicrotask(() => {
          if (this.inFlight > 0 || settled) return;
          settled = true;
          unsubscribe();
          cancel();
          resolve();
        });
      };
      cancel = this.timers.setTimeout(() => {
        unsubscribe();
        reject(new LabError(`the lab did not settle within ${maxWaitMs / 1000} s`));
      }, maxWaitMs);
      check();
    });
  }

  /**
   * Wait until message `ref` settles (docs/scenario-format.md): delivered, bounced, or — when `deferredIsFinal` —
   * deferred. While it waits and nothing is in flight, the clock jumps to the next scheduled event.
   */
  async settle(ref: string, deferredIsFinal: boolean): Promise<MessageOutcome> {
    for (let jumps = 0; jumps < 10_000; jumps++) {
      await this.idle();
      const outcome = this.outcome(ref);
      if (outcome === 'delivered' || outcome === 'bounced') return outcome;
      if (outcome === 'deferred' && deferredIsFinal) return outcome;
      const next = this.clock.nextEventTime();
      if (next === undefined) return outcome;
      this.advanceTo(next);
    }
    return this.outcome(ref);
  }

  advanceTo(t: number): void {
    // What the relay thread recorded so far is stamped with the lab time before this move.
    this.#thread?.drain();
    this.clock.advanceTo(t);
    this.#saveClock();
    this.events.emit({ type: 'clock.advanced', now: this.clock.now() });
  }

  /** Flag, in the packet view, every packet that carries a canary of any message in clear. */
  markLeaks(): LeakHit[] {
    const hits = [...this.leaksOf([...this.messages.keys()]).values()].flat();
    this.capture.markLeaks(hits);
    return hits;
  }

  /** Where a message's canaries crossed in clear, at the capture points playing one of `roles`. */
  leaks(ref: string, roles?: PointRole[]): LeakHit[] {
    const sent = this.messages.get(ref);
    return sent ? findLeaks(this.taps, sent.canaries, this.#pointRoles, roles) : [];
  }

  /**
   * `leaks` for many messages, in one pass over the capture (`findLeaksOfAll`): a message's own
   * search reads the whole log, so one per message made every message cost the whole capture.
   * Messages the lab did not send (no canaries) are left out.
   */
  leaksOf(refs: readonly string[], roles?: PointRole[]): Map<string, LeakHit[]> {
    const sent = refs.flatMap((ref) => this.messages.get(ref) ?? []);
    const hits = findLeaksOfAll(this.taps, sent.map((m) => m.canaries), this.#pointRoles, roles);
    return new Map(sent.map((m, i) => [m.ref, hits[i]]));
  }

  /** A lab change from a scenario step or the UI (docs/scenario-format.md): exactly one change, announced as an event. */
  applyAction(action: LabAction): void {
    const what = applyLabAction(this, action);
    this.journal.acted(action);
    this.events.emit({ type: 'lab.changed', org: action.org, what });
  }

}

export async function createLab(config: LabConfig, deps: LabDeps = {}): Promise<Lab> {
  const lab = new Lab(config, deps);
  try {
    await lab.start();
  } catch (error) {
    await lab.stop();
    throw error;
  }
  return lab;
}
