/**
 * Engine objects → the contract's plain JSON views. Read-only: nothing here changes the lab, and
 * secrets stay behind (account passwords, key material). The renderer sees only these shapes.
 */
import { X509Certificate } from 'node:crypto';
import type { Lab } from '../lab/lab.ts';
import type { HostEndpoint } from '../lab/endpoints.ts';
import type { LabEvent } from '../lab/events.ts';
import type { QueueEntry } from '../mta/queue.ts';
import type { MailboxItem } from '../mta/mailbox.ts';
import type { OrgConfig } from '../config/schema.ts';
import type { FirewallProfileView, LabEventView, LabSnapshot, MailboxItemView, OrgView, PathView, QueueEntryView, StepResultView, TlsLevelView } from './contract.ts';
import { alternateHosts, describeEntry, settingView, vocabularyOf } from './security.ts';
import { product } from '../products/index.ts';
import { ntSettingsForm } from '../products/windows-nt.ts';
import { firewallProfileList, pixEhlo } from '../observe/firewall.ts';
import { tlsLevelNames, tlsLevelSpec } from '../tls/level-table.ts';

export function queueEntryView(e: QueueEntry): QueueEntryView {
  return {
    id: e.id, org: e.org, from: e.from, to: [...e.to], domain: e.domain, ref: e.ref, state: e.state,
    arrivedAt: e.arrivedAt, nextAttemptAt: e.nextAttemptAt, lastError: e.lastError,
    attempts: e.attempts.length, bounceId: e.bounceId,
  };
}

/** A copy, so a view handed to a transport never aliases the engine's record. */
export function mailboxItemView(m: MailboxItem): MailboxItemView {
  return { ...m, cause: m.cause ? { ...m.cause } : undefined };
}

export function labEventView(e: LabEvent): LabEventView {
  switch (e.type) {
    case 'mail.queued':
    case 'mail.attempted':
    case 'mail.deferred':
    case 'mail.delivered':
    case 'mail.bounced':
      return { type: e.type, entry: queueEntryView(e.entry) };
    case 'mail.received':
      return { type: e.type, org: e.org, item: mailboxItemView(e.item) };
    case 'clock.advanced':
      return { type: e.type, now: e.now };
    case 'lab.changed':
      return { type: e.type, org: e.org, what: e.what };
    case 'capture.changed':
      return { type: e.type, point: e.point, conn: e.conn };
    default: {
      const never: never = e;
      throw new Error(`unhandled lab event ${JSON.stringify(never)}`);
    }
  }
}

/** The configuration half of an organisation's view (available before the lab starts, too). */
function orgConfigView(c: OrgConfig): Omit<OrgView, 'mailboxes' | 'queue'> {
  const p = product(c.profile);
  // The server's own floor, else its product's (app/lab/security.ts `inboundOptions` merges them so).
  const minVersion = c.inbound.tls?.minVersion ?? p.tls.minVersion;
  return {
    id: c.id, domain: c.domain, profile: c.profile, vocabulary: vocabularyOf(c.profile),
    form: p.vocabulary.form,
    ...(p.connections ? { connections: p.connections } : {}),
    ...(p.inboundTls ? { inboundTls: p.inboundTls } : {}),
    ...(p.defaultOutbound ? { defaultOutbound: describeEntry(c.profile, { domain: '*', ...p.defaultOutbound }) } : {}),
    ...(p.tls.note ? { tlsNote: p.tls.note } : {}),
    nt: c.nt ? { ...c.nt } : undefined,
    ...(c.nt ? { ntSettings: ntSettingsForm(p) } : {}),
    external: c.external?.smtp,
    mtaSts: c.mtaSts ? `mta-sts.${c.domain.toLowerCase()}` : undefined,
    hosts: c.hosts.map((h) => ({ name: h.name, address: h.address, certificate: h.certificate, ...(h.accept ? { accept: { ...h.accept } } : {}) })),
    users: [...c.users],
    accounts: c.accounts.map((a) => ({ domain: a.domain, user: a.user, disabled: a.disabled })),
    inbound: { starttls: c.inbound.starttls, requireTls: c.inbound.requireTls, ...(minVersion ? { minVersion } : {}) },
    security: c.security.map((s) => ({
      domain: s.domain, method: s.method, level: s.level, minKeyBits: s.minKeyBits, via: s.via,
      logon: s.logon ? { domain: s.logon.domain, user: s.logon.user } : undefined,
      setting: settingView(c.profile, s),
      description: describeEntry(c.profile, s),
    })),
  };
}

/** The level table as the renderer sees it: every registered level, in table order. */
export function tlsLevelViews(): TlsLevelView[] {
  return tlsLevelNames().map((name) => {
    const { description, failsClosed, authenticates } = tlsLevelSpec(name)!;
    return { name, description, failsClosed, authenticates };
  });
}

/** The firewall profiles as the Rehearse tab offers them: every registered profile, in order. */
export function firewallProfileViews(): FirewallProfileView[] {
  return firewallProfileList();
}

export function labSnapshot(lab: Lab, scenario: { id: string; title: string }, cursor: { nextStep: number; results: StepResultView[] }): LabSnapshot {
  const endpoints = lab.endpoints();
  const orgs: OrgView[] = [...lab.servers.values()].map((server) => {
    const base = orgConfigView(server.config);
    base.alternates = alternateHosts(lab, server.id);
    for (const host of base.hosts) {
      const ep = endpoints.find((x): x is HostEndpoint => x.type === 'host' && x.org === server.id && x.name === host.name);
      if (ep?.smtp) host.smtp = ep.smtp;
      if (ep?.submission) host.submission = ep.submission;
      const issued = lab.security.certs.get(host.name.toLowerCase());
      if (issued) host.fingerprint = fingerprintOf(issued.certPem);
    }
    const mailboxes = server.config.users.map((user) => {
      const items = server.mailboxes.list(user);
      return { user, messages: items.filter((m) => m.kind === 'mail').length, bounces: items.filter((m) => m.kind === 'bounce').length };
    });
    const queue = [...server.entries.values()].sort((a, b) => a.arrivedAt - b.arrivedAt || a.id.localeCompare(b.id)).map(queueEntryView);
    return { ...base, mailboxes, queue };
  });
  const paths: PathView[] = lab.paths.map((p) => ({
    id: p.id,
    between: [p.config.between[0], p.config.between[1]],
    via: p.config.via,
    to: p.config.to,
    firewall: p.config.firewall?.profile,
    ...(pixEhlo(p.config.firewall) ? { ehlo: pixEhlo(p.config.firewall) } : {}),
    points: p.points.map((pt) => ({ id: pt.id, label: pt.label, roles: [...pt.roles], ...(pt.side ? { side: pt.side } : {}) })),
    entries: lab.relays.filter((r) => r.path.id === p.id).map((r) => ({ from: r.fromOrg, host: r.host, entry: `127.0.0.1:${r.port}` })),
  }));
  return {
    status: 'running', scenario, tlsLevels: tlsLevelViews(), firewallProfiles: firewallProfileViews(),
    clock: { now: lab.clock.now(), pending: lab.clock.pending() },
    orgs, paths, nextStep: cursor.nextStep, results: [...cursor.results],
  };
}

const fingerprints = new Map<string, string>();
/** SHA-256 of a certificate, colon-separated hex as OpenSSL and Node print it (cached: snapshots are frequent). */
function fingerprintOf(pem: string): string {
  let f = fingerprints.get(pem);
  if (!f) {
    f = new X509Certificate(pem).fingerprint256;
    if (fingerprints.size > 256) fingerprints.clear();
    fingerprints.set(pem, f);
  }
  return f;
}

/** A stopped lab: the scenario's configuration, without endpoints, queues or mailboxes. */
export function stoppedSnapshot(scenario: { id: string; title: string; orgs: OrgConfig[] } | undefined, cursor: { nextStep: number; results: StepResultView[] }): LabSnapshot {
  return {
    status: 'stopped', tlsLevels: tlsLevelViews(), firewallProfiles: firewallProfileViews(),
    scenario: scenario ? { id: scenario.id, title: scenario.title } : undefined,
    orgs: (scenario?.orgs ?? []).map((c) => ({ ...orgConfigView(c), mailboxes: c.users.map((user) => ({ user, messages: 0, bounces: 0 })), queue: [] })),
    paths: [], nextStep: cursor.nextStep, results: [...cursor.results],
  };
}
