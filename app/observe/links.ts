/**
 * Each link's state for its last session (the topology picture): clear — and red where canaries
 * crossed —, STARTTLS with the version and whether the certificate was verified, NTLM-sealed with
 * the key strength, rewritten by a middlebox (on the side where the changed bytes were seen),
 * refused or reset. A link is a capture point: on a firewall path, one on each side of the box.
 */
import type { ConnFacts } from './facts.ts';

export type LinkEnd = 'closed' | 'open' | 'reset' | 'refused' | 'broken';

export interface LinkSession {
  conn: string;
  /** What protected the bytes on this link. */
  protection: 'clear' | 'tls' | 'sealed';
  /** Canary text crossed this link in clear. */
  leak: boolean;
  tls?: { protocol: string; verified: boolean };
  /** The sender asked for STARTTLS, the receiver said 220, and the handshake failed (RFC 3207 §4). */
  tlsFailed?: true;
  ntlm?: { keyBits: number };
  /** Stages that changed, dropped or added bytes seen on this link. */
  rewritten: string[];
  end: LinkEnd;
  /** Why it ended badly, in the sender's words when it has them. */
  reason?: string;
  /** The scenario message (or queue id) the session carried, and where it went. */
  message?: string;
  client?: string;
  server?: string;
  labTime: number;
}

export interface LinkState {
  point: string;
  path: string;
  sessions: number;
  last?: LinkSession;
}

/** True when the sender's transcript shows the session ended with QUIT answered (RFC 5321 §4.1.1.10). */
function quitAnswered(f: ConnFacts): boolean {
  const t = f.attempt?.transcript ?? [];
  return t.some((l, i) => l.dir === 'out' && /^QUIT$/i.test(l.text) && t.slice(i + 1).some((r) => r.dir === 'in' && r.text.startsWith('221')));
}

/** The sender's transcript notes a TLS handshake that failed after the receiver's `220` to STARTTLS. */
function tlsFailed(f: ConnFacts): boolean {
  return (f.attempt?.transcript ?? []).some((l) => l.dir === 'note' && l.text.startsWith('TLS handshake failed'));
}

function endOf(f: ConnFacts): { end: LinkEnd; reason?: string } {
  const c = f.connection;
  if (c.closedBy === 'refused') return { end: 'refused', reason: c.closeReason ?? 'the connection was refused' };
  if (c.closedBy === 'reset') return { end: 'reset', reason: c.closeReason ?? f.attempt?.reason ?? 'reset' };
  if (c.closedAt === undefined) return { end: 'open' };
  // A lab sender's session that ended without QUIT's 221 broke off (the far end hung up on it).
  if (f.attempt && !quitAnswered(f) && f.attempt.result !== 'delivered') return { end: 'broken', reason: f.attempt.reason };
  return { end: 'closed' };
}

export function linkSession(f: ConnFacts): LinkSession {
  const a = f.attempt;
  const tls = a?.tls ? { protocol: a.tls.protocol, verified: a.tls.authenticated === true } : f.terminal?.tls;
  const protection = a?.sealed ? 'sealed' : tls ? 'tls' : 'clear';
  return {
    conn: f.conn,
    protection,
    leak: f.leak,
    ...(tls ? { tls } : {}),
    ...(!tls && tlsFailed(f) ? { tlsFailed: true as const } : {}),
    ...(a?.sealed && a.keyBits ? { ntlm: { keyBits: a.keyBits } } : {}),
    rewritten: [...new Set(f.marks.filter((m) => m.mark.action !== 'logged').map((m) => m.mark.stage))],
    ...endOf(f),
    ...(f.entry ? { message: f.entry.ref ?? f.entry.id } : {}),
    client: f.connection.client.host ?? f.connection.client.ip,
    server: f.connection.server.host ?? f.connection.server.ip,
    labTime: f.connection.labTime,
  };
}

/** The state of every capture point that saw a connection (points without one have no state yet). */
export function linkStates(facts: ConnFacts[], points: { id: string; path: string }[]): LinkState[] {
  return points.map((p) => {
    const mine = facts.filter((f) => f.point === p.id);
    const last = mine.at(-1);
    return { point: p.id, path: p.path, sessions: mine.length, ...(last ? { last: linkSession(last) } : {}) };
  });
}
