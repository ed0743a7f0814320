/**
 * The packet view's commands (SPEC §8): capture points, one page of packets, one packet's detail,
 * and follow stream — converted to the contract's plain JSON views. The store does the work.
 */
import type { Lab } from '../lab/lab.ts';
import type { DetailNode } from '../capture/dissect/types.ts';
import type { DetailNodeView, FollowView, PacketDetailView, PacketPage, ParsedRequestOf } from './contract.ts';
import { ApiFailure } from './session.ts';

function tree(nodes: DetailNode[]): DetailNodeView[] {
  return nodes.map((n) => (n.children.length ? { label: n.label, children: tree(n.children) } : { label: n.label }));
}

/** The store's decryption is one setting; set it for this request and read synchronously, so no other request interleaves. */
function withDecrypt<T>(lab: Lab, decrypt: boolean, fn: () => T): T {
  lab.capture.setDecrypt(decrypt);
  return fn();
}

/**
 * The packet's link to its session (SPEC §8): the queue entry and attempt that used the
 * connection, the scenario message, and — when the packet carries an SMTP line the sender's
 * transcript has (`C: MAIL FROM:…`, `S: 250 …`) — that transcript line.
 */
function linkOf(lab: Lab, conn: string, info: string): PacketDetailView['link'] {
  const m = /^([CS]): (.*)$/.exec(info);
  for (const server of lab.servers.values()) {
    for (const entry of server.entries.values()) {
      const attempt = entry.attempts.findIndex((a) => a.conn === conn);
      if (attempt < 0) continue;
      const line = m ? entry.attempts[attempt].transcript.findIndex((l) => l.dir === (m[1] === 'C' ? 'out' : 'in') && l.text === m[2]) : -1;
      return { org: server.id, entry: entry.id, attempt, ref: entry.ref, ...(line >= 0 ? { line, text: entry.attempts[attempt].transcript[line].text } : {}) };
    }
  }
  return undefined;
}

export function pagePackets(lab: Lab, r: ParsedRequestOf<'pagePackets'>): PacketPage {
  lab.markLeaks();
  const page = withDecrypt(lab, r.decrypt, () => lab.capture.page({ point: r.point, filter: r.filter, from: r.from, limit: r.limit, leaksOnly: r.leaksOnly }));
  return {
    total: page.total, matched: page.matched, dropped: page.dropped, droppedBytes: page.droppedBytes,
    rows: page.rows.map((row) => ({
      no: row.no, time: row.time, source: row.source, destination: row.destination, protocol: row.protocol,
      length: row.length, info: row.info, leak: row.leak, rewritten: row.rewritten, conn: row.conn, point: row.point,
    })),
    ...(page.error ? { error: { message: page.error.message, position: page.error.position } } : {}),
  };
}

export function packetDetail(lab: Lab, r: ParsedRequestOf<'packetDetail'>): PacketDetailView {
  const d = withDecrypt(lab, r.decrypt, () => lab.capture.detail(r.no));
  if (!d) throw new ApiFailure('not-found', `no packet ${r.no} (it may have been dropped from the bounded capture)`);
  return {
    no: d.no, point: d.point, conn: d.conn, dir: d.dir, protocol: d.protocol, info: d.info, leak: d.leak,
    marks: d.marks.map((m) => ({ stage: m.stage, action: m.action, note: m.note, ...(m.original ? { originalHex: m.original.toString('hex') } : {}) })),
    tree: tree(d.tree), hex: d.bytes, tabs: d.tabs.map((t) => ({ label: t.label, hex: t.bytes })),
    link: linkOf(lab, d.conn, d.info),
  };
}

export function followStream(lab: Lab, r: ParsedRequestOf<'followStream'>): FollowView {
  const f = lab.capture.follow(r.conn, { point: r.point, decrypted: r.decrypt });
  if (!f) throw new ApiFailure('not-found', `no connection ${r.conn}${r.point ? ` at ${r.point}` : ''}`);
  const ep = (e: { ip: string; port: number; host?: string }) => `${e.host ? `${e.host} ` : ''}${e.ip}:${e.port}`;
  return {
    conn: f.conn, point: f.point, client: ep(f.client), server: ep(f.server), decrypted: f.decrypted, truncated: f.truncated,
    parts: f.parts.map((p) => ({ from: p.from, no: p.no, text: p.text })),
  };
}
