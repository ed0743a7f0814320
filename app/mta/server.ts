/**
 * One organisation's mail server: inbound listeners (one per host, plus a submission port for the
 * organisation's own users), mailboxes, and the outbound queue with its retry schedule on the lab
 * clock. Routing and the wire are the lab's business (`deliver`); this class decides what happens
 * to a message after each attempt: delivered, deferred and retried, or bounced (docs/lab.md, "Outbound security"; docs/products.md, "Bounces").
 */
import type { OrgConfig, NtAccount, SecurityEntry } from '../config/schema.ts';
import type { LabClock } from '../base/clock.ts';
import type { Rng } from '../base/rng.ts';
import type { Timers } from '../base/timers.ts';
import type { Workspace } from '../base/store.ts';
import type { MailEvent } from './events.ts';
import type { SMTPServerOptions } from 'smtp-server';
import { startInbound, type InboundEnvelope, type InboundServer, type ServerLogLine } from './inbound.ts';
import type { Said } from '../products/types.ts';
import { QueueStore, type Attempt, type QueueEntry } from './queue.ts';
import type { DeliverySlots } from './slots.ts';
import type { MessageSource, Unacknowledged } from '../base/journal.ts';
import { Mailboxes, type MailboxItem } from './mailbox.ts';
import { buildBounce, headerValues } from './bounce.ts';
import { product, type Product } from '../products/index.ts';
import { rfc5322Date } from '../smtp/dates.ts';
import { parseDuration } from '../base/clock.ts';
import { LabError } from '../base/errors.ts';
import { inboundTlsProblem } from './inbound-tls.ts';
import { decide, queuePolicy, type QueuePolicy } from './queue-policy.ts';

/** A product's reply as smtp-server's hooks take it: code apart, enhanced status leading the text. */
function said(r: Said): { code: number; message: string } {
  return { code: r.code, message: r.status ? `${r.status} ${r.text}` : r.text };
}

export interface DeliveryOutcome {
  attempts: Attempt[];
  result: 'delivered' | 'deferred' | 'bounced';
  reason?: string;
  status?: string;
  diagnostic?: string;
  remoteMta?: string;
  refused?: QueueEntry['refused'];
}

export interface MailServerDeps {
  ws: Workspace;
  clock: LabClock;
  timers: Timers;
  rng: Rng;
  socketTimeoutMs: number;
  maxMessageSize: number;
  /** Per listener: connections at once, and how long one session may last (real ms). */
  limits: { connectionsPerListener: number; sessionMs: number };
  /** Deliver one entry; `onAccepted` when the remote server answered the final 250 after DATA. */
  deliver(entry: QueueEntry, message: Buffer, onAccepted: () => void): Promise<DeliveryOutcome>;
  /** Outbound session slots shared by every server of the lab (per-destination and total limits). */
  slots: DeliverySlots;
  /** The lab server and queue entry sending on this loopback port, when a lab server is the client. */
  senderOf?(remotePort: number, localPort: number): MessageSource | undefined;
  /** The simulated client a loopback port stands for (from the tap log). */
  describeClient(remotePort: number, localPort: number): { ip: string; host?: string } | undefined;
  emit(event: MailEvent): void;
  onServerLog?(host: string, line: ServerLogLine): void;
  /**
   * Finished (delivered or bounced) entries that keep their attempts' transcripts; older ones drop
   * them (default FINISHED_TRANSCRIPTS_KEPT; docs/decisions.md, "Bounded memory").
   */
  transcriptsKept?: number;
  /** smtp-server options the security layers add for a host (STARTTLS keys, AUTH NTLM). */
  inboundOptions(server: MailServer, host: string): Partial<SMTPServerOptions>;
}

export interface Listener {
  host: string;
  role: 'mail' | 'submission';
  port: number;
}

/**
 * How many finished entries per server keep their attempts' transcripts in memory. A real MTA
 * forgets a delivered message and keeps a log that is rotated; the lab keeps the entry (its
 * outcome, attempts and reasons) and the transcripts of the newest 1,000, enough for every
 * scenario and a class's lab many times over. The journal record written when the entry finished
 * keeps the full transcript until the journal is compacted.
 */
export const FINISHED_TRANSCRIPTS_KEPT = 1000;

export class MailServer {
  readonly id: string;
  /** The organisation as configured, then as lab actions changed it: read here, changed only through the methods below. */
  #config: OrgConfig;
  readonly mailboxes: Mailboxes;
  readonly listeners: Listener[] = [];
  readonly entries = new Map<string, QueueEntry>();
  #deps: MailServerDeps;
  #queue: QueueStore;
  #servers: InboundServer[] = [];
  #mailServers = new Map<string, InboundServer>();
  #inFlight = 0;
  /** Finished entries that still hold their transcripts, oldest first. */
  #withTranscripts: QueueEntry[] = [];
  #withTranscriptsHead = 0;
  #counter = 0;
  #cancelTimers = new Map<string, () => void>();
  #waitingForSlot = new Set<string>();
  #stopped = false;
  readonly #domains: readonly string[];
  #policy?: { profile: OrgConfig['profile']; policy: QueuePolicy };

  /** Domains this server relays for without being their final destination (a content scanner). */
  readonly relayDomains: string[];

  constructor(config: OrgConfig, deps: MailServerDeps, relayDomains: string[] = []) {
    this.id = config.id;
    this.relayDomains = relayDomains;
    this.#config = structuredClone(config);
    // Looked up for every recipient of every message (isLocal, hasUser): lowercased once.
    this.#domains = [config.domain.toLowerCase(), ...config.aliases.map((a) => a.toLowerCase())];
    this.#deps = deps;
    this.#queue = new QueueStore(deps.ws, config.id);
    this.mailboxes = new Mailboxes(deps.ws, config.id);
    this.#counter = this.#queue.counter;
  }

  /**
   * The organisation's live settings. Read-only to everyone else: the configuration a lab was
   * built from is immutable input, and a change goes through a method of this server, which
   * replaces what it changes (copy on write), so nothing read earlier changes under its reader.
   */
  get config(): Readonly<OrgConfig> {
    return this.#config;
  }

  /** The server product this organisation runs (app/products/): its words, queue and NTLM behaviour. */
  get product(): Product {
    return product(this.config.profile);
  }

  get domain(): string {
    return this.#domains[0];
  }

  /** Every domain this server receives mail for: its own and its aliases (no lab action changes them). */
  get domains(): string[] {
    return [...this.#domains];
  }

  /** Messages being sent right now (the runner waits for zero before it moves the clock). */
  get inFlight(): number {
    return this.#inFlight;
  }

  async start(): Promise<void> {
    if (this.config.external) return;
    for (const host of this.config.hosts) {
      await this.#listen(host.name, 'mail');
    }
    // A relay host (content scanner) has no users of its own to submit mail.
    if (this.config.users.length > 0) await this.#listen(this.config.hosts[0].name, 'submission');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const cancel of this.#cancelTimers.values()) cancel();
    await Promise.all(this.#servers.map((s) => s.close()));
  }

  async #listen(hostName: string, role: Listener['role']): Promise<void> {
    const delay = parseDuration(this.config.inbound.greetingDelay ?? 0) ?? 0;
    const server = await startInbound({
      hostName,
      greeting: this.product.dialect.banner(hostName, this.#deps.clock.now()),
      dialect: () => this.product.dialect,
      greetingDelayMs: role === 'mail' ? delay : 0,
      heloRequired: this.product.heloRequired,
      describeClient: (port, local) => this.#deps.describeClient(port, local),
      timers: this.#deps.timers,
      maxSize: this.#deps.maxMessageSize,
      socketTimeoutMs: this.#deps.socketTimeoutMs,
      maxConnections: this.#deps.limits.connectionsPerListener,
      sessionLimitMs: this.#deps.limits.sessionMs,
      domain: this.domain,
      checkRecipient: (address) => this.#checkRecipient(address, role),
      onInternalError: (detail) => this.#internalError(hostName, detail),
      accept: async (envelope, data) => this.#accept(hostName, role, envelope, data),
      onLog: (line) => this.#deps.onServerLog?.(hostName, line),
      extra: {
        ...(role === 'mail' ? this.#deps.inboundOptions(this, hostName) : {}),
        onMailFrom: (_address, session, callback) => {
          const refusal = role === 'mail' ? this.#mailRefusal(hostName, session as typeof session & { sealed?: boolean }) : undefined;
          if (!refusal) return callback();
          callback(Object.assign(new Error(refusal.status ? `${refusal.status} ${refusal.text}` : refusal.text), { responseCode: refusal.code }));
        },
      },
    });
    this.#servers.push(server);
    if (role === 'mail') this.#mailServers.set(hostName, server);
    this.listeners.push({ host: hostName, role, port: server.port });
  }

  /**
   * May this session on this interface send mail? RFC 3207 §4: a server that requires TLS refuses
   * MAIL before STARTTLS (`inbound.requireTls`). The host's Connections setting (`hosts[].accept`,
   * the IMS Connections tab, docs/products.md): "only from hosts using Encryption" takes TLS or the
   * NTLM seal layer, "only from hosts using Authentication" a successful AUTH (RFC 4954 §6: 530).
   * Read per session, so a changed setting applies to the next MAIL.
   */
  #mailRefusal(hostName: string, session: { secure: boolean; sealed?: boolean; user?: unknown }): Said | undefined {
    const r = this.product.dialect.replies;
    const accept = this.config.hosts.find((h) => h.name.toLowerCase() === hostName.toLowerCase())?.accept;
    if (this.config.inbound.requireTls && !session.secure) return r.mustStartTls;
    if (accept?.encryption && !session.secure && !session.sealed) return r.mustStartTls;
    if (accept?.authentication && !session.user) return r.mustAuthenticate;
    return undefined;
  }

  isLocal(address: string): boolean {
    return this.#domains.includes(address.toLowerCase().split('@')[1]);
  }

  hasUser(address: string): boolean {
    const [local, domain] = address.toLowerCase().split('@');
    // RFC 5321 §4.5.1: every domain that takes mail has a postmaster.
    return this.#domains.includes(domain) && (local === 'postmaster' || this.config.users.some((u) => u.toLowerCase() === local));
  }

  /** Local errors while taking mail, newest last (the detail the client's 451 does not carry). */
  readonly internalErrors: { host: string; at: number; detail: string }[] = [];

  #internalError(host: string, detail: string): void {
    this.internalErrors.push({ host, at: this.#deps.clock.now(), detail });
    if (this.internalErrors.length > 100) this.internalErrors.shift();
  }

  #checkRecipient(address: string, role: Listener['role']): { code: number; message: string } | undefined {
    if (this.isLocal(address)) {
      // RFC 5321 §3.3 / RFC 3463 5.1.1: no such mailbox here.
      return this.hasUser(address) ? undefined : said(this.product.dialect.replies.userUnknown(address));
    }
    if (this.relayDomains.includes(address.toLowerCase().split('@')[1])) return undefined;
    // The MX port relays for nobody else (RFC 5321 §7.1); the submission port takes the organisation's own users' mail anywhere.
    return role === 'submission' ? undefined : said(this.product.dialect.replies.relayDenied(address));
  }

  async #accept(hostName: string, role: Listener['role'], envelope: InboundEnvelope, data: Buffer): Promise<string> {
    const client = this.#deps.describeClient(envelope.remotePort, envelope.localPort);
    const id = this.#nextId();
    const proto = `ESMTP${envelope.secure ? 'S' : ''}${envelope.user ? 'A' : ''}`;
    // RFC 5321 §4.4 trace field, in the product's own form (app/products/).
    const received = this.product.dialect.received({
      heloName: envelope.heloName, clientHost: client?.host, clientIp: client?.ip ?? '127.0.0.1', byHost: hostName,
      byIp: this.config.hosts.find((h) => h.name === hostName)?.address, id, date: rfc5322Date(this.#deps.clock.now()),
      envelopeFrom: envelope.from, ...(envelope.to.length === 1 ? { for: envelope.to[0] } : {}),
      ...(envelope.secure ? { tls: { protocol: envelope.tlsProtocol ?? 'TLS', cipher: envelope.tlsCipher ?? 'unknown', ...(envelope.tlsCipherStd ? { cipherStd: envelope.tlsCipherStd } : {}) } } : {}),
      ...(envelope.user ? { user: envelope.user } : {}),
    });
    const message = Buffer.concat([Buffer.from(received, 'latin1'), data]);
    // The header is read once: the mailbox's summary takes its From and Subject from here too.
    const fields = headerValues(data, ['X-Postcard-Message', 'Content-Type', 'From', 'Subject']);
    const ref = fields['X-Postcard-Message']?.trim();
    const local = envelope.to.filter((r) => this.isLocal(r));
    const remote = envelope.to.filter((r) => !this.isLocal(r));
    // A delivery status notification arrives with a null reverse-path (RFC 5321 §4.5.5, RFC 3464 §2).
    const dsn = envelope.from === '' && /multipart\/report/i.test(fields['Content-Type'] ?? '');
    // These records wait for their 250; recovery knows them by the flush marker they lack.
    const awaited = { src: this.#deps.senderOf?.(envelope.remotePort, envelope.localPort) };
    const relayed = role === 'submission' ? remote : remote.filter((r) => this.relayDomains.includes(r.split('@')[1].toLowerCase()));
    // One transaction: the queue entries first, local copies last, so a failure before the 250
    // (which the client retries) leaves no local copy behind to be duplicated.
    // RFC 8689 §4.2: a relay keeps the sender's REQUIRETLS for the next hop.
    if (relayed.length > 0) this.submit(envelope.from, relayed, message, ref, id, { requireTls: envelope.requireTls, awaited });
    for (const rcpt of local) this.#storeLocal(rcpt, envelope.from, id, message, { ref, via: proto, ...(dsn ? { kind: 'bounce' as const } : {}), ...(envelope.requireTls ? { requireTls: true } : {}) }, awaited, fields);
    // The 250 waits for the flush that covers this message (and every other one that arrived meanwhile).
    await this.#queue.commit();
    if (role === 'submission') {
      // Back-pressure (Postfix's in_flow_delay): while the queue manager is far behind, slow down
      // whoever is submitting, by up to a second per message, instead of letting the queue grow without end.
      await this.#deps.slots.whenWaitingBelow(this.#deps.slots.limits.total * 10, 1_000, (fn, ms) => this.#deps.timers.setTimeout(fn, ms));
    }
    return id;
  }

  /** Final delivery into a user's mailbox (with its Return-Path line, `finalDelivery`). */
  #storeLocal(rcpt: string, reversePath: string, id: string, message: Buffer, extra: Partial<MailboxItem>, awaited?: { src?: MessageSource }, fields?: { From?: string; Subject?: string }): void {
    const user = rcpt.split('@')[0].toLowerCase();
    const item = this.mailboxes.store({ id, user, kind: 'mail', receivedAt: this.#deps.clock.now(), ...extra }, finalDelivery(reversePath, message), this.#counter, awaited, fields);
    this.#deps.emit({ type: 'mail.received', org: this.id, item });
  }

  #nextId(): string {
    // The counter is persisted with the next record written (every record carries it).
    this.#counter++;
    return `${this.id.slice(0, 3).toUpperCase()}${String(this.#counter).padStart(5, '0')}${this.#deps.rng.hex(2).toUpperCase()}`;
  }

  /**
   * Take a message from one of our users: local recipients get it at once; remote ones are queued
   * one entry per recipient domain and delivered. Appended to the journal before this returns (in
   * the file by the end of this turn of the event loop); durable once `commit()` resolves (a
   * server's 250 waits for that).
   */
  submit(from: string, to: string[], message: Buffer, ref?: string, id?: string, options: { requireTls?: boolean; awaited?: { src?: MessageSource } } = {}): QueueEntry[] {
    const byDomain = new Map<string, string[]>();
    for (const rcpt of to) {
      if (this.isLocal(rcpt)) {
        this.#storeLocal(rcpt, from, id ?? this.#nextId(), message, { ref, via: 'local' }, options.awaited);
        continue;
      }
      const domain = rcpt.split('@')[1].toLowerCase();
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), rcpt]);
    }
    const entries: QueueEntry[] = [];
    // What the logs name a message by once its bytes have gone (QueueEntry.size).
    const fields = byDomain.size > 0 ? headerValues(message, ['Subject', 'Message-ID']) : undefined;
    for (const [domain, rcpts] of byDomain) {
      const entry: QueueEntry = {
        id: byDomain.size === 1 && id ? id : this.#nextId(), org: this.id, from, to: rcpts, domain, ref,
        state: 'queued', arrivedAt: this.#deps.clock.now(), size: message.length, subject: fields?.Subject, messageId: fields?.['Message-ID'],
        attempts: [], requireTls: options.requireTls,
      };
      this.#queue.add(entry, message, this.#counter, options.awaited);
      this.entries.set(entry.id, entry);
      this.#deps.emit({ type: 'mail.queued', entry });
      entries.push(entry);
      // The first attempt takes the bytes it was handed rather than reading back what it just wrote.
      void this.#attempt(entry, message);
    }
    return entries;
  }

  /** The bytes of a queued (or finished) entry's message, as accepted. */
  queuedMessage(id: string): Buffer | undefined {
    return this.#queue.message(id);
  }

  /** Resolves once everything this server wrote so far is on disk. */
  commit(): Promise<void> {
    return this.#queue.commit();
  }

  /** Copies stored for a client that never got its 250 (found when the journal was opened). */
  unacknowledged(): Unacknowledged[] {
    return this.#queue.unacknowledged();
  }

  /** Lab servers' entries this server flushed and acknowledged (found when the journal was opened). */
  acknowledgedSources(): MessageSource[] {
    return this.#queue.acknowledgedSources();
  }

  /** Recovery: the receiver has this entry's message and acknowledged it; record the acceptance. */
  recordAccepted(id: string): void {
    this.#queue.accepted(id, this.#deps.clock.now(), this.#counter);
  }

  discardUnacknowledged(u: Unacknowledged): void {
    this.#queue.discard(u);
  }

  /** A queue entry's last recorded state (before `recover`). */
  storedState(id: string): QueueEntry['state'] | undefined {
    return this.#queue.storedState(id);
  }

  /** After a restart: pick up every entry a previous process left unfinished. */
  recover(): QueueEntry[] {
    for (const entry of this.#queue.finished()) {
      this.entries.set(entry.id, entry);
      this.#finished(entry);
    }
    const pending = this.#queue.pending();
    for (const entry of pending) {
      if (entry.state === 'in-flight') entry.state = 'queued';
      this.entries.set(entry.id, entry);
      if (entry.state === 'deferred' && entry.nextAttemptAt !== undefined && entry.nextAttemptAt > this.#deps.clock.now()) this.#schedule(entry, entry.nextAttemptAt);
      else void this.#attempt(entry);
    }
    return pending;
  }

  /** "Retry now" (the UI button; also what a retry timer does). */
  retry(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry || (entry.state !== 'deferred' && entry.state !== 'queued')) return false;
    this.#cancelTimers.get(id)?.();
    void this.#attempt(entry);
    return true;
  }

  /** `carried`: the message as submitted, for the attempt made at once (later ones read the journal). */
  async #attempt(entry: QueueEntry, carried?: Buffer): Promise<void> {
    if (entry.state === 'in-flight' || this.#waitingForSlot.has(entry.id)) return;
    this.#cancelTimers.delete(entry.id);
    // Waiting for a session slot counts as in flight: the lab is not idle while mail waits to go.
    this.#inFlight++;
    this.#waitingForSlot.add(entry.id);
    const release = await this.#deps.slots.acquire(`${this.id}>${entry.domain}`);
    this.#waitingForSlot.delete(entry.id);
    // An entry no longer in the journal (discarded on recovery) is not sent.
    const message = this.#queue.holds(entry.id) ? (carried ?? this.#queue.message(entry.id)) : undefined;
    if (!message || this.#stopped) {
      release();
      this.#inFlight--;
      return;
    }
    entry.state = 'in-flight';
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.#deps.deliver(entry, message, () => this.#queue.accepted(entry.id, this.#deps.clock.now(), this.#counter));
    } catch (error) {
      outcome = { attempts: [], result: 'deferred', status: '4.3.0', reason: `local error: ${(error as Error).message}` };
    } finally {
      release();
      this.#inFlight--;
    }
    // Stopping: record nothing more; the journal still holds the entry as queued, and the next
    // start sends it again (or finds the remote server's acceptance recorded).
    if (this.#stopped) return;
    entry.attempts.push(...outcome.attempts);
    entry.lastError = outcome.reason;
    if (outcome.refused?.length) entry.refused = [...(entry.refused ?? []), ...outcome.refused];
    this.#deps.emit({ type: 'mail.attempted', entry });
    const decision = decide(this.#queuePolicy(), { result: outcome.result, now: this.#deps.clock.now(), arrivedAt: entry.arrivedAt, attempts: entry.attempts });
    switch (decision.action) {
      case 'delivered':
        // Recipients the receiver refused get their bounce even though the rest was delivered.
        if (entry.refused?.length) this.#bounce(entry, message, entry.refused.map((r) => r.address), { result: 'bounced', attempts: [], status: entry.refused[0].status, diagnostic: entry.refused[0].diagnostic, reason: entry.refused[0].diagnostic });
        this.#settle(entry, 'delivered');
        return;
      case 'bounce':
        this.#bounce(entry, message, entry.to, outcome);
        this.#settle(entry, 'bounced');
        return;
      case 'retry':
        entry.state = 'deferred';
        entry.nextAttemptAt = decision.at;
        this.#queue.save(entry, this.#counter);
        this.#schedule(entry, decision.at);
        this.#deps.emit({ type: 'mail.deferred', entry });
        return;
      default: {
        const never: never = decision;
        throw new Error(`unhandled queue decision ${JSON.stringify(never)}`);
      }
    }
  }

  /** The entry is done (delivered or bounced): recorded, its transcripts in the retention ring, announced. */
  #settle(entry: QueueEntry, state: 'delivered' | 'bounced'): void {
    entry.state = state;
    entry.nextAttemptAt = undefined;
    this.#queue.save(entry, this.#counter);
    this.#finished(entry);
    this.#deps.emit({ type: state === 'delivered' ? 'mail.delivered' : 'mail.bounced', entry });
  }

  /** An entry finished: it keeps its transcripts while among the newest `transcriptsKept`. */
  #finished(entry: QueueEntry): void {
    this.#withTranscripts.push(entry);
    const kept = this.#deps.transcriptsKept ?? FINISHED_TRANSCRIPTS_KEPT;
    while (this.#withTranscripts.length - this.#withTranscriptsHead > kept) {
      const old = this.#withTranscripts[this.#withTranscriptsHead++];
      for (const a of old.attempts) {
        if (a.transcript.length === 0) continue;
        a.transcriptDropped = (a.transcriptDropped ?? 0) + a.transcript.length;
        a.transcript = [];
      }
    }
    // Compact the FIFO now and then rather than shifting an array of thousands on every message.
    if (this.#withTranscriptsHead > 1024 && this.#withTranscriptsHead * 2 > this.#withTranscripts.length) {
      this.#withTranscripts = this.#withTranscripts.slice(this.#withTranscriptsHead);
      this.#withTranscriptsHead = 0;
    }
  }

  /** Finished entries whose transcripts are still in memory (at most `transcriptsKept`). */
  get transcriptsKept(): number {
    return this.#withTranscripts.length - this.#withTranscriptsHead;
  }

  #schedule(entry: QueueEntry, at: number): void {
    this.#cancelTimers.get(entry.id)?.();
    this.#cancelTimers.set(entry.id, this.#deps.clock.at(at, `retry ${this.id}/${entry.id}`, () => {
      this.#cancelTimers.delete(entry.id);
      void this.#attempt(entry);
    }));
  }

  /**
   * The sender's retry schedule and lifetime: the organisation's `queue:` settings, else its
   * product's. Worked out once per profile (the `queue:` settings never change; the profile may,
   * `setProfile`), not parsed again after every attempt.
   */
  #queuePolicy(): QueuePolicy {
    if (this.#policy?.profile === this.config.profile) return this.#policy.policy;
    const configured = this.config.queue?.retry?.map((r) => parseDuration(r) ?? 0).filter((r) => r > 0);
    const policy = queuePolicy(
      parseDuration(this.config.queue?.lifetime ?? '') ?? this.product.queue.lifetimeMs,
      configured?.length ? configured : this.product.queue.retryMs,
    );
    this.#policy = { profile: this.config.profile, policy };
    return policy;
  }

  #bounce(entry: QueueEntry, original: Buffer, recipients: string[], outcome: DeliveryOutcome): void {
    const now = this.#deps.clock.now();
    const last = entry.attempts.at(-1);
    const expired = outcome.result !== 'bounced';
    const status = expired ? (outcome.status?.replace(/^4/, '5') ?? '5.4.7') : (outcome.status ?? '5.0.0');
    const id = this.#nextId();
    const bounce = buildBounce({
      product: this.product,
      expired,
      ntDomain: this.config.nt?.domain,
      reportingHost: this.config.hosts[0].name,
      domain: this.domain,
      to: entry.from,
      recipients,
      status,
      reason: expired ? `delivery time expired; last error: ${outcome.reason ?? entry.lastError ?? 'unknown'}` : (outcome.reason ?? 'permanent failure'),
      // Only a reply the remote MTA really sent is a diagnostic (RFC 3464 §2.3.6).
      diagnostic: outcome.diagnostic ?? (expired ? last?.diagnostic : undefined),
      remoteMta: outcome.remoteMta ?? last?.host,
      arrivalDate: entry.arrivedAt,
      lastAttemptDate: last?.at ?? now,
      now,
      queueId: entry.id,
      original,
      boundary: `${id}.${this.#deps.rng.hex(6)}/${this.config.hosts[0].name}`,
      messageId: `${id}@${this.config.hosts[0].name}`,
      ref: entry.ref,
    });
    entry.bounceId = id;
    // RFC 5321 §4.5.5: never a bounce for a bounce (null reverse-path).
    if (!entry.from) return;
    if (!this.hasUser(entry.from)) {
      // A relay (the content scanner) returns the message to a sender elsewhere, with a null
      // reverse-path (RFC 5321 §4.5.5), through the same queue and paths as any mail.
      this.submit('', [entry.from], bounce, entry.ref);
      return;
    }
    const user = entry.from.split('@')[0].toLowerCase();
    const item = this.mailboxes.store({
      id, user, kind: 'bounce', receivedAt: now, ref: entry.ref,
      cause: { queueId: entry.id, conn: last?.conn, attempt: last ? entry.attempts.length - 1 : undefined, transcriptLine: last ? last.causeLine ?? last.transcript.length - 1 : undefined },
    }, finalDelivery('', bounce), this.#counter);
    this.#deps.emit({ type: 'mail.received', org: this.id, item });
  }

  // —— Lab actions (docs/scenario-format.md): accounts, security table, profile ——

  findAccount(domain: string, user: string): Readonly<NtAccount> | undefined {
    return this.#config.accounts.find(sameAccount(domain, user));
  }

  /**
   * Create an account; false when one of that domain and user exists (names compare without case,
   * as NT's do): User Manager refuses a second account of one name rather than replace the first
   * and its password.
   */
  createAccount(account: NtAccount): boolean {
    if (this.#config.accounts.some(sameAccount(account.domain, account.user))) return false;
    this.#config.accounts = [...this.#config.accounts, { ...account }];
    return true;
  }

  /** Delete an account; false when there is none. */
  deleteAccount(domain: string, user: string): boolean {
    const n = this.#config.accounts.length;
    this.#config.accounts = this.#config.accounts.filter((a) => !sameAccount(domain, user)(a));
    return this.#config.accounts.length < n;
  }

  /** Change an account (disable it, set its password); false when there is none. */
  updateAccount(domain: string, user: string, change: Partial<Pick<NtAccount, 'disabled' | 'password'>>): boolean {
    const at = this.#config.accounts.findIndex(sameAccount(domain, user));
    if (at < 0) return false;
    this.#config.accounts = this.#config.accounts.map((a, i) => (i === at ? { ...a, ...definedOnly(change) } : a));
    return true;
  }

  setAccountPassword(domain: string, user: string, password: string): boolean {
    return this.updateAccount(domain, user, { password });
  }

  disableAccount(domain: string, user: string): boolean {
    return this.updateAccount(domain, user, { disabled: true });
  }

  enableAccount(domain: string, user: string): boolean {
    return this.updateAccount(domain, user, { disabled: false });
  }

  removeSecurity(domain: string): void {
    this.#config.security = this.#config.security.filter((e) => e.domain.toLowerCase() !== domain.toLowerCase());
  }

  setProfile(profile: OrgConfig['profile']): void {
    this.#config.profile = profile;
  }

  /** Change the NT build's settings (the inbound side applies them to the next session); false without an NT domain. */
  setNt(change: Partial<NonNullable<OrgConfig['nt']>>): boolean {
    if (!this.#config.nt) return false;
    this.#config.nt = { ...this.#config.nt, ...definedOnly(change) };
    this.applyInbound();
    return true;
  }

  /**
   * A host's Connections setting (IMS Connections tab: accept only authenticated or encrypted
   * sessions). Read at every MAIL (`#mailRefusal`), so the next session on that interface takes it.
   * Returns the host as named in the configuration, or undefined when the organisation has none.
   */
  setConnections(hostName: string, accept: NonNullable<OrgConfig['hosts'][number]['accept']>): OrgConfig['hosts'][number] | undefined {
    const host = this.#config.hosts.find((h) => h.name.toLowerCase() === hostName.toLowerCase());
    if (host) host.accept = { ...accept };
    return host;
  }

  /**
   * Change the inbound policy, all or nothing: TLS settings OpenSSL refuses (a cipher string it has
   * no match for) throw before anything changes. smtp-server's `updateSecureContext` assigns its
   * options before it builds the context, so a refused cipher once left STARTTLS advertised with
   * every handshake failing.
   */
  setInbound(change: Partial<OrgConfig['inbound']>): void {
    const next = { ...this.#config.inbound, ...definedOnly(change) };
    // `tls` changes the fields it names: lowering the minimum keeps a cipher list the scenario set.
    if (change.tls) next.tls = { ...this.#config.inbound.tls, ...definedOnly(change.tls) };
    const problem = next.tls ? inboundTlsProblem(this.#config.profile, next.tls) : undefined;
    if (problem) throw new LabError(`setInbound.tls${problem.key ? `.${problem.key}` : ''}: ${problem.message}`);
    const before = this.#config.inbound;
    this.#config.inbound = next;
    try {
      this.applyInbound();
    } catch (error) {
      this.#config.inbound = before;
      this.applyInbound();
      throw error;
    }
  }

  /** The inbound policy changed: smtp-server reads these options at every EHLO, so they apply to the next session. */
  applyInbound(): void {
    for (const [host, server] of this.#mailServers) {
      // updateSecureContext assigns the options and rebuilds the TLS context (versions, ciphers).
      server.server.updateSecureContext(this.#deps.inboundOptions(this, host));
    }
  }

  /** Set the entry for a domain: an existing one is replaced where it stands in the table, a new one added at its end. */
  setSecurity(entry: SecurityEntry): void {
    const at = this.#config.security.findIndex((e) => e.domain.toLowerCase() === entry.domain.toLowerCase());
    this.#config.security = at < 0 ? [...this.#config.security, { ...entry }] : this.#config.security.map((e, i) => (i === at ? { ...entry } : e));
  }
}

/** Account names compare case-insensitively (NT domains and user names are). */
function sameAccount(domain: string, user: string): (a: { domain: string; user: string }) => boolean {
  const d = domain.toLowerCase(), u = user.toLowerCase();
  return (a) => a.domain.toLowerCase() === d && a.user.toLowerCase() === u;
}

/** A change's fields that are set (an absent field keeps its value). */
function definedOnly<T extends object>(change: T): Partial<T> {
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The message as it goes into a mailbox. RFC 5321 §4.4: the server that makes the final delivery
 * inserts a `Return-Path:` line at the beginning of the mail data, preserving the reverse-path of
 * MAIL FROM (`<>`, the null path, for a bounce: §4.5.5), so the mailbox keeps where a report about
 * the message must go. Only the final delivery writes it; a message relayed on carries none.
 */
function finalDelivery(reversePath: string, message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`Return-Path: <${reversePath}>\r\n`, 'latin1'), message]);
}
