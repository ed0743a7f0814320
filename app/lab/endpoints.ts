/**
 * Where a running lab listens (docs/packet-view.md, "Capture points": every listener is tapped):
 * each mail host, the MTA-STS web hosts, and the entry of every path. `postcard-lab up` prints
 * these (README.md, "Run a scenario headless"), the API's snapshot shows the host addresses, and
 * tests poke every listener.
 */
import type { Lab } from './lab.ts';
import type { PathConfig } from '../config/lab.ts';

export type HostEndpoint = {
  type: 'host';
  org: string | undefined;
  name: string;
  role: 'mail' | 'scanner' | 'https';
  /**
   * `127.0.0.1:port` of a mail host (or the external server it stands for): the listener's tapped
   * relay, so a session from outside shows in the packet view (app/lab/lab.ts `#tapListeners`).
   */
  smtp?: string;
  /** `127.0.0.1:port` of an MTA-STS policy host. */
  https?: string;
  address?: string;
  /** The submission port, on an organisation's first host. */
  submission?: string;
  external?: true;
};

export type PathEndpoint = {
  type: 'path';
  between: PathConfig['between'];
  via: PathConfig['via'];
  from: string;
  toOrg: string;
  to: string;
  /** `127.0.0.1:port` of the path's relay: connect here to cross the path. */
  entry: string;
  capture: string[];
  scanner?: string;
};

export type LabEndpoint = HostEndpoint | PathEndpoint;

/** What the list reads of a lab: its servers and their outside relays, the MTA-STS hosts, the path relays. */
export type EndpointSource = Pick<Lab, 'servers' | 'outsidePort' | 'security' | 'relays'>;

export function labEndpoints(lab: EndpointSource): LabEndpoint[] {
  const lines: LabEndpoint[] = [];
  for (const server of lab.servers.values()) {
    const submission = server.listeners.find((l) => l.role === 'submission');
    for (const host of server.config.hosts) {
      const mail = server.listeners.find((l) => l.role === 'mail' && l.host === host.name);
      const port = (l: { host: string; role: 'mail' | 'submission'; port: number }) => lab.outsidePort(server.id, l.host, l.role) ?? l.port;
      const smtp = server.config.external?.smtp ?? (mail ? `127.0.0.1:${port(mail)}` : undefined);
      lines.push({
        type: 'host', org: server.id, name: host.name, role: server.relayDomains.length > 0 ? 'scanner' : 'mail', smtp, address: host.address,
        ...(submission && host === server.config.hosts[0] ? { submission: `127.0.0.1:${port(submission)}` } : {}),
        ...(server.config.external ? { external: true as const } : {}),
      });
    }
  }
  for (const [name, sts] of lab.security.stsHosts) {
    const org = [...lab.servers.values()].find((s) => name === `mta-sts.${s.domain}`);
    lines.push({ type: 'host', org: org?.id, name, role: 'https', https: `127.0.0.1:${sts.tapPort ?? sts.host.port}` });
  }
  for (const r of lab.relays) {
    lines.push({
      type: 'path', between: r.path.config.between, via: r.path.config.via, from: r.fromOrg, toOrg: r.toOrg, to: r.host,
      entry: `127.0.0.1:${r.port}`, capture: r.path.points.map((p) => p.id), ...(r.endsAtScanner ? { scanner: r.endsAtScanner } : {}),
    });
  }
  return lines;
}
