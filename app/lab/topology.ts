/**
 * The lab's topology, derived from the scenario's `lab:` section (pure, no sockets): DNS records
 * from the hosts, the paths between organisations, their capture points, and which path a
 * connection from one organisation to a given host takes (docs/lab.md, "Paths and capture points").
 */
import type { OrgConfig } from '../config/schema.ts';
import { pathId, type LabConfig, type PathConfig } from '../config/lab.ts';
import type { CapturePoint } from '../capture/tap.ts';
import type { ProfileSpec } from '../path/profiles.ts';
import type { DnsRecord } from './dns.ts';
import { LabError } from '../base/errors.ts';

export interface PathInfo {
  id: string;
  /**
   * The path as it stands now: the configuration as given, with the firewall the lab last set
   * (`setFirewall`). The given configuration is never written to; a change replaces this object.
   */
  readonly config: Readonly<PathConfig>;
  /** A path from the lab's `paths:` section (an implicit direct path between two organisations is not). */
  declared: boolean;
  /**
   * Put another firewall profile on a firewall path: the relay builds each connection's pipeline
   * from `config` (app/path/middlebox.ts), so the next session takes it and a running one keeps
   * its own. Fails on a path without a firewall.
   */
  setFirewall(spec: ProfileSpec): void;
  /** The capture points of the path's forward direction, between[0] → between[1] (docs/packet-view.md). */
  points: CapturePoint[];
  /** A firewall path's points for the other direction: shown once a connection crosses them. */
  reversePoints: CapturePoint[];
  /** Before the middlebox and after it, as the path's forward direction (between[0] → between[1]) crosses it. */
  clientPoint: CapturePoint;
  serverPoint: CapturePoint;
  /** Whose edge the middlebox stands at; the Internet is on the other side of it. Undefined on a direct path. */
  owner?: string;
  /**
   * The points a connection from `fromOrg` is recorded at: `client` before the middlebox (the
   * sender's side), `server` after it. The wire (the Internet) joins the side away from the owner.
   */
  sides(fromOrg: string): { client: CapturePoint[]; server: CapturePoint[] };
}

export interface Route {
  path: PathInfo;
  from: OrgConfig;
  to: OrgConfig;
  host: string;
  address: string;
}

/** MX and A records for every organisation's hosts: MX preferences 10, 20, … unless set. */
export function derivedDnsRecords(config: LabConfig): DnsRecord[] {
  const records: DnsRecord[] = [];
  for (const org of config.orgs) {
    org.hosts.forEach((host, i) => {
      records.push({ name: host.name, type: 'A', value: host.address });
      if (host.mx !== false) records.push({ name: org.domain, type: 'MX', value: host.name, preference: host.mx ?? (i + 1) * 10 });
    });
  }
  return records;
}


/**
 * Where a queue entry's session goes through (app/lab/delivery.ts): the path from `fromOrg` to a
 * host of `toOrg`, the loopback port of its recording relay.
 */
export interface RelayInfo {
  path: PathInfo;
  fromOrg: string;
  toOrg: string;
  host: string;
  port: number;
  /** The session on this relay ends at a content scanner (its host name), not at `host`. */
  endsAtScanner?: string;
}

/** `onChange`: told after a path's profile changes (`setFirewall`), with the path. */
export function buildPaths(config: LabConfig, onChange?: (path: PathInfo) => void): PathInfo[] {
  const explicit = config.paths.map((p) => makePath(p, config, true, onChange));
  // Every pair of organisations without a path gets an implicit direct one, tapped all the same.
  const implicit: PathInfo[] = [];
  for (let i = 0; i < config.orgs.length; i++) {
    for (let j = i + 1; j < config.orgs.length; j++) {
      const a = config.orgs[i].id, b = config.orgs[j].id;
      const covered = config.paths.some((p) => !p.to && p.between.includes(a) && p.between.includes(b));
      if (!covered) implicit.push(makePath({ between: [a, b], via: 'direct' }, config, false, onChange));
    }
  }
  return [...explicit, ...implicit];
}

/** The host names a path reaches at `to`: its `to`, or the organisation's hosts no alternate path claims. */
function reached(config: LabConfig, path: PathConfig, to: string): string[] {
  const org = config.orgs.find((o) => o.id === to);
  if (path.to) return org?.hosts.some((h) => h.name.toLowerCase() === path.to!.toLowerCase()) ? [path.to] : (org?.hosts ?? []).map((h) => h.name);
  const claimed = (host: string) => config.paths.some((p) => p.to?.toLowerCase() === host.toLowerCase() && p.between.includes(path.between[0]) && p.between.includes(path.between[1]));
  return (org?.hosts ?? []).map((h) => h.name).filter((h) => !claimed(h));
}

/** The path's live part: its current configuration, replaced (never written into) by `setFirewall`. */
function livePath(id: string, given: PathConfig, declared: boolean, shape: Omit<PathInfo, 'id' | 'config' | 'declared' | 'setFirewall'>,
  onChange: ((path: PathInfo) => void) | undefined): PathInfo {
  let current: Readonly<PathConfig> = given;
  const path: PathInfo = {
    ...shape, id, declared,
    get config() {
      return current;
    },
    setFirewall(spec: ProfileSpec) {
      if (current.via !== 'firewall') throw new LabError(`path ${id} is ${current.via}: only a firewall path's profile can change`);
      current = { ...current, firewall: spec };
      onChange?.(path);
    },
  };
  return path;
}

function makePath(config: PathConfig, lab: LabConfig, declared: boolean, onChange?: (path: PathInfo) => void): PathInfo {
  const id = pathId(config);
  const [a, b] = config.between;
  if (config.via === 'direct') {
    const point: CapturePoint = { id, label: `${a} ↔ ${b}${config.to ? ` (to ${config.to})` : ''}, direct`, path: id, roles: ['sender', 'wire', 'receiver'] };
    return livePath(id, config, declared, { points: [point], reversePoints: [], clientPoint: point, serverPoint: point, sides: () => ({ client: [point], server: [point] }) }, onChange);
  }
  if (config.via === 'content-scanner') {
    // The scanner ends every session: each hop is its own capture, on its own side (app/lab/lab.ts).
    // The hop onward has both ends tapped, as a firewall path's far side: the Internet after the
    // scanner (wire) and the receiving host's own capture (received; docs/packet-view.md).
    const sent: CapturePoint = { id: `${id}/sent`, label: `${a} ↔ ${b}, before the content scanner (as sent)`, path: id, roles: ['sender'] };
    const wire: CapturePoint = { id: `${id}/wire`, label: `${a} ↔ ${b}, after the content scanner`, path: id, roles: ['wire'] };
    const received: CapturePoint = { id: `${id}/received`, label: `${a} ↔ ${b}, received (${reached(lab, config, b).join(', ')})`, path: id, roles: ['receiver'] };
    return livePath(id, config, declared, { points: [sent, wire, received], reversePoints: [], clientPoint: sent, serverPoint: wire, sides: () => ({ client: [sent], server: [wire, received] }) }, onChange);
  }
  // A firewall: three captures per direction (docs/packet-view.md, "Capture points"). The box stands at its owner's edge, so the
  // Internet is on the other side of it (docs/packet-view.md, "Capture points").
  const owner = config.owner ?? b;
  const several = lab.paths.filter((p) => p.via !== 'direct').length > 1;
  const hostOf = (org: string) => lab.orgs.find((o) => o.id === org)?.hosts[0]?.name ?? org;
  const direction = (from: string, to: string, prefix: string) => {
    const suffix = several ? ` — ${from} → ${to}` : '';
    const sent: CapturePoint = { id: `${prefix}/sent`, label: `sent (${hostOf(from)})${suffix}`, path: id, roles: ['sender'], side: 'before' };
    const wireBefore = owner === to;
    const wire: CapturePoint = { id: `${prefix}/wire`, label: `on the wire (the Internet)${suffix}`, path: id, roles: ['wire'], side: wireBefore ? 'before' : 'after' };
    const received: CapturePoint = { id: `${prefix}/received`, label: `received (${reached(lab, config, to).join(', ')})${suffix}`, path: id, roles: ['receiver'], side: 'after' };
    return { points: [sent, wire, received], client: wireBefore ? [sent, wire] : [sent], server: wireBefore ? [received] : [wire, received] };
  };
  const forward = direction(a, b, id);
  const reverse = direction(b, a, `${id}/reverse`);
  return livePath(id, config, declared, {
    owner, points: forward.points, reversePoints: reverse.points, clientPoint: forward.points[0], serverPoint: forward.points[2],
    sides: (fromOrg) => (fromOrg === b ? reverse : forward),
  }, onChange);
}

/** The path a connection from `fromOrg` to `host` (of `toOrg`) takes: an alternate path to that host first. */
export function pickPath(paths: PathInfo[], fromOrg: string, toOrg: string, host: string): PathInfo | undefined {
  const joins = (p: PathInfo) => p.config.between.includes(fromOrg) && p.config.between.includes(toOrg);
  return paths.find((p) => joins(p) && p.config.to?.toLowerCase() === host.toLowerCase()) ?? paths.find((p) => joins(p) && !p.config.to);
}

/**
 * A content scanner as the mail server it is: a host with no mailboxes that relays for the
 * domains of the two organisations it stands between, under its own outbound policy.
 */
export function scannerOrg(path: PathInfo, config: LabConfig): { org: OrgConfig; relayDomains: string[] } | undefined {
  const sc = path.config.scanner;
  if (path.config.via !== 'content-scanner' || !sc) return undefined;
  const ends = config.orgs.filter((o) => path.config.between.includes(o.id));
  return {
    org: {
      id: scannerId(path), domain: sc.name, profile: sc.profile, aliases: [], users: [], accounts: [],
      hosts: [{ name: sc.name, address: sc.address, certificate: sc.certificate }],
      inbound: { starttls: sc.inbound.starttls, requireTls: sc.inbound.requireTls }, security: sc.security,
    },
    relayDomains: ends.flatMap((o) => [o.domain, ...o.aliases].map((d) => d.toLowerCase())),
  };
}

export function scannerId(path: PathInfo): string {
  return `scanner@${path.id}`;
}

export function orgOfHost(config: LabConfig, host: string): OrgConfig | undefined {
  const h = host.toLowerCase();
  return config.orgs.find((o) => o.hosts.some((x) => x.name.toLowerCase() === h));
}
