/**
 * `postcard-lab up <scenario.yaml> [--json] [--workspace DIR]`: start the scenario's lab, print its
 * endpoints (SPEC §12.2), and keep running until interrupted, so real tools — swaks, telnet,
 * `openssl s_client -starttls smtp` — can talk to it.
 */
import path from 'node:path';
import { formatError, loadScenarioFile } from '../scenario/load.ts';
import { createLab, type Lab } from '../lab/lab.ts';
import { parseArgs, stringFlag, UsageError } from './args.ts';
import { EXIT, type CliIo } from './io.ts';

export interface Endpoint {
  type: 'host' | 'path' | 'ready';
  [key: string]: unknown;
}

export function labEndpoints(lab: Lab): Endpoint[] {
  const lines: Endpoint[] = [];
  for (const server of lab.servers.values()) {
    const submission = server.listeners.find((l) => l.role === 'submission');
    for (const host of server.config.hosts) {
      const mail = server.listeners.find((l) => l.role === 'mail' && l.host === host.name);
      const smtp = server.config.external?.smtp ?? (mail ? `127.0.0.1:${mail.port}` : undefined);
      lines.push({
        type: 'host', org: server.id, name: host.name, role: server.relayDomains.length > 0 ? 'scanner' : 'mail', smtp, address: host.address,
        ...(submission && host === server.config.hosts[0] ? { submission: `127.0.0.1:${submission.port}` } : {}),
        ...(server.config.external ? { external: true } : {}),
      });
    }
  }
  for (const [name, sts] of lab.security.stsHosts) {
    const org = [...lab.servers.values()].find((s) => name === `mta-sts.${s.domain}`);
    lines.push({ type: 'host', org: org?.id, name, role: 'https', https: `127.0.0.1:${sts.host.port}` });
  }
  for (const r of lab.relays) {
    lines.push({ type: 'path', between: r.path.config.between, via: r.path.config.via, from: r.fromOrg, to: r.host, entry: `127.0.0.1:${r.port}`, capture: r.path.points.map((p) => p.id) });
  }
  return lines;
}

export async function upCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { json: { type: 'boolean' }, workspace: { type: 'value' } });
  if (args.positional.length !== 1) throw new UsageError('up takes exactly one scenario file');
  const loaded = loadScenarioFile(args.positional[0]);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(formatError(e));
    return EXIT.badInput;
  }
  const workspace = path.resolve(stringFlag(args, 'workspace') ?? path.join('.lab', loaded.id));
  const lab = await createLab(loaded.scenario.lab, { workspace });
  const lines = labEndpoints(lab);
  const ready: Endpoint = { type: 'ready', workspace: lab.ws.root, ca: lab.security.caFile, scenario: loaded.id };
  if (args.flags.has('json')) {
    for (const line of [...lines, ready]) io.out(JSON.stringify(line));
  } else {
    io.out(`Postcard Lab: ${loaded.scenario.title}`);
    io.out('');
    io.out('HOST                             ORG          SMTP                  SUBMISSION');
    for (const h of lines.filter((l) => l.type === 'host')) {
      io.out(`${String(h.name).padEnd(32)} ${String(h.org).padEnd(12)} ${String(h.smtp).padEnd(21)} ${h.submission ?? ''}`);
    }
    io.out('');
    io.out('PATH                             VIA          ENTRY                 TO');
    for (const p of lines.filter((l) => l.type === 'path')) {
      io.out(`${`${p.from} → ${(p.between as string[]).find((x) => x !== p.from)}`.padEnd(32)} ${String(p.via).padEnd(12)} ${String(p.entry).padEnd(21)} ${p.to}`);
    }
    io.out('');
    io.out(`Workspace: ${lab.ws.root}`);
    io.out(`Lab CA:    ${lab.security.caFile}`);
    io.out('Ready. Press Ctrl+C to stop.');
  }
  await io.interrupted();
  await lab.stop();
  return EXIT.ok;
}
