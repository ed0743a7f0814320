/**
 * The lab's event timeline for replay (Packet Tracer's simulation mode, on real recorded traffic):
 * connections, SMTP commands and replies, TLS and NTLM milestones, middlebox rewrites, and each
 * session's outcome (delivered, deferred, bounced), in the order the taps saw them, each linked to
 * the packet that carries it.
 *
 *   ConnFacts ─► per connection: open · SMTP items at the sender's point · stage marks at every point
 *             · close (reset, refused) · the queue attempt's result ─► sorted by capture time
 */
import type { Lab } from '../lab/lab.ts';
import type { PointRole } from '../capture/tap.ts';
import type { ConnFacts } from './facts.ts';
import { packetOf } from './facts.ts';
import { linkSession } from './links.ts';
import { readSmtp } from './smtp-reader.ts';

export type TimelineKind =
  | 'connect' | 'command' | 'reply' | 'content' | 'tls' | 'ntlm' | 'rewrite'
  | 'close' | 'reset' | 'refused' | 'delivered' | 'deferred' | 'bounced';

export interface TimelineEvent {
  /** Position in the timeline, from 0. */
  index: number;
  /** Real milliseconds since lab start (network time). */
  t: number;
  labTime: number;
  kind: TimelineKind;
  conn: string;
  point: string;
  path: string;
  /** Which way the bytes went: towards the server (c2s) or back to the client. */
  dir?: 'c2s' | 's2c';
  text: string;
  /** The first packet that carries it, at `point`. */
  packet?: number;
  /** The scenario message (or queue id) the session carried. */
  message?: string;
}

type Draft = Omit<TimelineEvent, 'index'>;

/** Text shown for a command: AUTH blobs and long lines are cut (the packet has the bytes). */
function shorten(text: string, max = 90): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The point where a connection's sender stands: the one with the `sender` role, else its only one. */
function senderFacts(facts: ConnFacts[], roles: Map<string, PointRole[]>): ConnFacts {
  return facts.find((f) => roles.get(f.point)?.includes('sender')) ?? facts[0];
}

function connectionEvents(lab: Lab, facts: ConnFacts[], roles: Map<string, PointRole[]>): Draft[] {
  const own = senderFacts(facts, roles);
  const c = own.connection;
  const base = { conn: own.conn, point: own.point, path: own.path, ...(own.entry ? { message: own.entry.ref ?? own.entry.id } : {}) };
  const out: Draft[] = [];
  const client = c.client.host ?? c.client.ip;
  const server = c.server.host ?? c.server.ip;
  out.push({ ...base, t: c.openedAt, labTime: c.labTime, kind: 'connect', dir: 'c2s', text: `${client} connects to ${server}:${c.server.port}` });
  const sealed = own.attempt?.sealed === true;
  for (const item of readSmtp(own.records, { sealed })) {
    const r = item.record;
    const at = { ...base, t: r.t, labTime: r.labTime, dir: r.dir, packet: packetOf(lab, r) };
    switch (item.kind) {
      case 'command': out.push({ ...at, kind: 'command', text: shorten(item.text) }); break;
      case 'reply': out.push({ ...at, kind: 'reply', text: shorten(item.text) }); break;
      case 'content': out.push({ ...at, kind: 'content', text: `message content, ${item.bytes} bytes, ended by "."` }); break;
      case 'tls': {
        const tls = own.attempt?.tls ?? own.terminal?.tls;
        const how = item.implicit ? `TLS from the first byte, no STARTTLS${c.server.port === 443 ? ' (HTTPS)' : ''}` : 'TLS handshake';
        out.push({ ...at, kind: 'tls', text: `${how}${tls ? `: ${tls.protocol}` : ''}; from here on the link carries ciphertext` });
        break;
      }
      case 'sealed': out.push({ ...at, kind: 'ntlm', text: `NTLM seal layer installed${own.attempt?.keyBits ? ` (${own.attempt.keyBits}-bit keys)` : ''}; every byte after this is sealed` }); break;
      default: {
        const never: never = item;
        throw new Error(`unhandled SMTP item ${JSON.stringify(never)}`);
      }
    }
  }
  for (const f of facts) {
    // A wire point repeats one side of the box (docs/packet-view.md): each rewrite is told once.
    if (roles.get(f.point)?.every((r) => r === 'wire')) continue;
    for (const { record, mark } of f.marks) {
      const was = mark.original ? ` (was ${JSON.stringify(shorten(mark.original.toString('latin1').replace(/\r?\n$/, ''), 60))})` : '';
      out.push({
        conn: f.conn, point: f.point, path: f.path, t: record.t, labTime: record.labTime, dir: record.dir, packet: packetOf(lab, record),
        kind: 'rewrite', text: `${mark.stage} ${mark.action} bytes${mark.note ? `: ${mark.note}` : ''}${was}`,
        ...(base.message ? { message: base.message } : {}),
      });
    }
  }
  if (c.closedAt !== undefined) {
    const s = linkSession(own);
    const kind = s.end === 'reset' || s.end === 'broken' ? 'reset' : s.end === 'refused' ? 'refused' : 'close';
    const how = { closed: 'connection closed', open: 'connection closed', reset: 'connection reset', refused: 'connection refused', broken: 'connection lost' }[s.end];
    out.push({ ...base, t: c.closedAt, labTime: c.labTime, kind, text: `${how}${s.reason ? `: ${s.reason}` : ''}` });
    const a = own.attempt;
    if (a && a.result !== 'next-mx') {
      const what = a.result === 'delivered' ? `delivered to ${a.host ?? server}` : `${a.result}${a.reason ? `: ${a.reason}` : ''}`;
      out.push({ ...base, t: c.closedAt, labTime: a.at, kind: a.result, text: `${own.entry?.ref ?? own.entry?.id ?? 'message'} ${what}` });
    }
  }
  return out;
}

/** The whole timeline, in capture order. */
export function buildTimeline(lab: Lab, facts: ConnFacts[]): TimelineEvent[] {
  const byConn = new Map<string, ConnFacts[]>();
  for (const f of facts) {
    const list = byConn.get(f.conn);
    if (list) list.push(f);
    else byConn.set(f.conn, [f]);
  }
  const roles = lab.pointRoles();
  const drafts = [...byConn.values()].flatMap((list) => connectionEvents(lab, list, roles));
  // Stable: events of one connection keep their order when their times tie.
  return drafts
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.t - b.d.t || a.i - b.i)
    .map(({ d }, index) => ({ index, ...d }));
}
