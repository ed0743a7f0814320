/**
 * The lab's topology, derived from the scenario's `lab:` section (pure, no sockets): DNS records
 * from the hosts, the paths between organisations, their capture points, and which path a
 * connection from one organisation to a given host takes (SPEC §2 "Paths").
 */
import type { OrgConfig } from '../config/schema.ts';
import type { LabConfig, PathConfig } from '../config/lab.ts';
import type { CapturePoint } from '../capture/tap.ts';
import type { DnsRecord } from './dns.ts';

export interface PathInfo {
  id: string;
  config: PathConfig;
  points: CapturePoint[];
  /** Where the sender's side is recorded, and where the far side is. */
  clientPoint: CapturePoint;
  serverPoint: CapturePoint;
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

function pathId(config: PathConfig): string {
  const [a, b] = config.between;
  return config.to ? `${a}-${b}@${config.to}` : `${a}-${b}`;
}

export function buildPaths(config: LabConfig): PathInfo[] {
  const explicit = config.paths.map((p) => makePath(p));
  // Every pair of organisations without a path gets an implicit direct one, tapped all the same.
  const implicit: PathInfo[] = [];
  for (let i = 0; i < config.orgs.length; i++) {
    for (let j = i + 1; j < config.orgs.length; j++) {
      const a = config.orgs[i].id, b = config.orgs[j].id;
      const covered = config.paths.some((p) => !p.to && p.between.includes(a) && p.between.includes(b));
      if (!covered) implicit.push(makePath({ between: [a, b], via: 'direct' }));
    }
  }
  return [...explicit, ...implicit];
}

function makePath(config: PathConfig): PathInfo {
  const id = pathId(config);
  const [a, b] = config.between;
  if (config.via === 'direct') {
    const point: CapturePoint = { id, label: `${a} ↔ ${b}${config.to ? ` (to ${config.to})` : ''}, direct`, path: id, roles: ['sender', 'wire', 'receiver'] };
    return { id, config, points: [point], clientPoint: point, serverPoint: point };
  }
  const box = config.via === 'firewall' ? 'the firewall' : 'the content scanner';
  const sent: CapturePoint = { id: `${id}/sent`, label: `${a} ↔ ${b}, before ${box} (as sent)`, path: id, roles: ['sender'] };
  const wire: CapturePoint = { id: `${id}/wire`, label: `${a} ↔ ${b}, after ${box} (the Internet)`, path: id, roles: ['wire', 'receiver'] };
  return { id, config, points: [sent, wire], clientPoint: sent, serverPoint: wire };
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
