/**
 * The commands that show what the lab did (docs/ui.md): link states for the topology, the replay
 * timeline, a firewall's view, a server's log. Each gathers the connection facts once and hands
 * them to app/observe/, which does the work.
 */
import { connectionFacts } from '../observe/facts.ts';
import { linkStates } from '../observe/links.ts';
import { buildTimeline } from '../observe/timeline.ts';
import { firewallView } from '../observe/firewall.ts';
import { serverLog } from '../observe/server-log.ts';
import type { ParsedRequestOf, ResponseOf } from './contract.ts';
import { ApiFailure, type ApiSession } from './session.ts';

function facts(session: ApiSession) {
  const terminals = session.terminals;
  return connectionFacts(session.lab, { terminal: (conn) => terminals.facts(conn) });
}

export function linksOf(session: ApiSession): ResponseOf<'getLinks'> {
  const lab = session.lab;
  const points = lab.capture.points().map((p) => ({ id: p.id, path: lab.capture.capturePoint(p.id)?.path ?? p.id }));
  return { links: linkStates(facts(session), points) };
}

export function timelineOf(session: ApiSession, r: ParsedRequestOf<'getTimeline'>): ResponseOf<'getTimeline'> {
  const events = buildTimeline(session.lab, facts(session));
  return { total: events.length, events: events.slice(r.from, r.from + r.limit) };
}

export function firewallOf(session: ApiSession, pathId: string): ResponseOf<'getFirewall'> {
  const lab = session.lab;
  const path = lab.paths.find((p) => p.id === pathId);
  if (!path) throw new ApiFailure('not-found', `no path "${pathId}" (paths: ${lab.paths.map((p) => p.id).join(', ')})`);
  if (path.config.via !== 'firewall') throw new ApiFailure('not-found', `path "${pathId}" has no firewall (it is ${path.config.via})`);
  return firewallView(lab, path, facts(session));
}

export function serverLogOf(session: ApiSession, org: string): ResponseOf<'getServerLog'> {
  const lab = session.lab;
  if (!lab.servers.has(org)) throw new ApiFailure('not-found', `no organisation "${org}" in this lab (known: ${[...lab.servers.keys()].join(', ')})`);
  return serverLog(lab, org);
}
