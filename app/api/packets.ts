/**
 * The packet view's commands (docs/packet-view.md): capture points, one page of packets, one packet's detail,
 * and follow stream — converted to the contract's plain JSON views. The store does the work.
 */
import type { Lab } from '../lab/lab.ts';
import type { DetailNode } from '../capture/dissect/types.ts';
import type { DetailNodeView, FollowView, PacketDetailView, PacketPage, ParsedRequestOf, ResponseOf } from './contract.ts';
import type { QueueEntry } from '../mta/queue.ts';
import type { TranscriptLine } from '../mta/outbound/client.ts';
import { fromSenderOffset, sidesOf, toSenderOffset } from '../capture/anchor.ts';
import { formatTranscript } from '../mta/transcript.ts';
import { ApiFailure } from './session.ts';

function tree(nodes: DetailNode[]): DetailNodeView[] {
  return nodes.map((n) => (n.children.length ? { label: n.label, children: tree(n.children) } : { label: n.label }));
}

/** The queue entry and attempt that used a connection. */
function attemptOf(lab: Lab, conn: string): { org: string; entry: QueueEntry; attempt: number } | undefined {
  for (const server of lab.servers.values()) {
    for (const entry of server.entries.values()) {
      const attempt = entry.attempts.findIndex((a) => a.conn === conn);
      if (attempt >= 0) return { org: server.id, entry, attempt };
    }
  }
  return undefined;
}

/**
 * The transcript line a packet carries (docs/packet-view.md, "Links"): the packet's payload is
 * mapped to the sender's stream (app/capture/anchor.ts) and matched with the lines' anchors — a
 * line that starts in the packet, or a cleartext line the packet continues. Inside TLS or the seal
 * a line is anchored at the end of its record, so the packet carrying that end links to it.
 */
function lineOf(lab: Lab, transcript: readonly TranscriptLine[], pos: { point: string; conn: string; dir: 'c2s' | 's2c'; offset: number; length: number }): number | undefined {
  if (pos.length === 0) return undefined;
  const first = toSenderOffset(lab.taps, { ...pos });
  const last = toSenderOffset(lab.taps, { ...pos, offset: pos.offset + pos.length - 1 });
  if (first === undefined || last === undefined) return undefined;
  const starts = transcript.findIndex((l) => l.at?.dir === pos.dir && l.at.offset >= first && l.at.offset <= last);
  if (starts >= 0) return starts;
  const continues = transcript.findIndex((l) => l.at?.dir === pos.dir && l.layer === 'clear' && l.at.offset < first && first < l.at.offset + Buffer.byteLength(l.text) + 2);
  return continues >= 0 ? continues : undefined;
}

/**
 * The packet's link to its session (docs/packet-view.md, "Links"): the queue entry and attempt that used the
 * connection, the scenario message, and the sender's transcript line it carries, if any.
 */
function linkOf(lab: Lab, point: string, no: number, conn: string): PacketDetailView['link'] {
  const found = attemptOf(lab, conn);
  const pos = lab.capture.position(point, no);
  if (!found || !pos) return undefined;
  const { org, entry, attempt } = found;
  const transcript = entry.attempts[attempt].transcript;
  const line = lineOf(lab, transcript, pos);
  return { org, entry: entry.id, attempt, ref: entry.ref, ...(line !== undefined ? { line, text: transcript[line].text } : {}) };
}

/**
 * A session no queue entry sent (typed from outside with swaks or telnet, or the terminal's): the
 * receiving server's transcript of it (its own log, `Lab.serverLogs`) and which packet carried
 * each line (docs/packet-view.md, "Links"). The server logs commands and replies, not the DATA
 * content, and logs them in the clear inside TLS, so the lines are matched in order against the
 * connection's stream as the lab's keys open it (a line is the next stream line of its direction
 * with the same text; DATA content in between matches none): a repeated command is told apart by
 * its place, never by its text alone. A packet links to the first line that starts in the part of
 * the stream it belongs to (Follow stream's part: a run of one side's packets), else to the line
 * it continues.
 */
function sessionOf(lab: Lab, point: string, no: number, conn: string, dir: 'c2s' | 's2c'): PacketDetailView['session'] {
  const log = lab.serverLogs.get(conn);
  if (!log?.length) return undefined;
  const f = lab.capture.follow(conn, { point, decrypted: true });
  const lines: { text: string; part: number; line?: number }[][] = [[], []];
  if (f) {
    for (const [side, from] of [[0, 'client'], [1, 'server']] as const) {
      let open = false;
      for (const part of f.parts) {
        if (part.from !== from) continue;
        const pieces = part.text.split('\n');
        for (const [i, piece] of pieces.entries()) {
          const text = piece.replace(/\r$/, '');
          if (open) lines[side][lines[side].length - 1].text += text;
          else if (i < pieces.length - 1 || text) lines[side].push({ text, part: part.no });
          open = i === pieces.length - 1 && piece !== '';
        }
      }
    }
  }
  // Align the log with the stream, in order, per direction.
  const next = [0, 0];
  const packets: ({ no: number; index: number } | null)[] = log.map((l, k) => {
    const side = l.dir === 'in' ? 0 : 1;
    for (let m = next[side]; m < lines[side].length; m++) {
      if (lines[side][m].text !== l.text) continue;
      lines[side][m].line = k;
      next[side] = m + 1;
      const index = lab.capture.indexOf(point, lines[side][m].part);
      return index === undefined ? null : { no: lines[side][m].part, index };
    }
    return null;
  });
  const side = dir === 'c2s' ? 0 : 1;
  const part = f?.parts.filter((x) => x.from === (side === 0 ? 'client' : 'server') && x.no <= no).at(-1)?.no;
  const starts = lines[side].find((l) => l.part === part && l.line !== undefined);
  const before = lines[side].filter((l) => part !== undefined && l.part < part && l.line !== undefined).at(-1);
  const line = starts?.line ?? before?.line;
  const ep = (e: { ip: string; port: number; host?: string }) => `${e.host ?? e.ip} [${e.ip}]:${e.port}`;
  return {
    conn, point, ...(f ? { client: ep(f.client), server: ep(f.server) } : {}),
    transcript: formatTranscript(log),
    packets,
    ...(line !== undefined ? { line, text: log[line].text } : {}),
  };
}

/** The packet that carried a transcript line: at the point asked for when it saw the connection, else as sent. */
export function packetOfLine(lab: Lab, r: ParsedRequestOf<'packetOfLine'>): ResponseOf<'packetOfLine'> {
  const server = lab.servers.get(r.org);
  const attempt = server?.entries.get(r.id)?.attempts[r.attempt];
  if (!attempt) throw new ApiFailure('not-found', `no attempt ${r.attempt + 1} of queue entry ${r.id} at ${r.org}`);
  const line = attempt.transcript[r.line];
  if (!line) throw new ApiFailure('not-found', `attempt ${r.attempt + 1} of ${r.id} has no transcript line ${r.line + 1}`);
  if (!attempt.conn || !line.at) throw new ApiFailure('not-found', `transcript line ${r.line + 1} of ${r.id} did not cross a tapped connection`);
  const { conn } = attempt;
  const { dir, offset } = line.at;
  const sides = sidesOf(lab.taps, conn);
  const points = [r.point, sides.client].filter((p): p is string => p !== undefined && sides.of.has(p));
  for (const point of points) {
    const at = fromSenderOffset(lab.taps, conn, dir, offset, point);
    const no = at === undefined ? undefined : lab.capture.packetAt(point, conn, dir, at);
    const index = no === undefined ? undefined : lab.capture.indexOf(point, no);
    if (no !== undefined && index !== undefined) return { point, no, index };
  }
  throw new ApiFailure('not-found', `the packet of transcript line ${r.line + 1} is no longer in the capture (it keeps the newest packets)`);
}

export function pagePackets(lab: Lab, r: ParsedRequestOf<'pagePackets'>): PacketPage {
  // An unknown point is not an empty one: answered as packetDetail and followStream answer theirs.
  if (r.point !== undefined) {
    const points = lab.capture.points().map((p) => p.id);
    if (!points.includes(r.point)) throw new ApiFailure('not-found', `no capture point ${r.point} in this lab (points: ${points.join(', ')})`);
  }
  lab.markLeaks();
  // Decryption is a parameter of the read: each window keeps its own choice (docs/packet-view.md).
  const page = lab.capture.page({ point: r.point, filter: r.filter, from: r.from, limit: r.limit, leaksOnly: r.leaksOnly, decrypt: r.decrypt, locate: r.locate });
  return {
    total: page.total, matched: page.matched, dropped: page.dropped, droppedBytes: page.droppedBytes,
    rows: page.rows.map((row) => ({
      no: row.no, time: row.time, source: row.source, destination: row.destination, protocol: row.protocol,
      length: row.length, info: row.info, leak: row.leak, rewritten: row.rewritten, conn: row.conn, point: row.point,
    })),
    ...(page.error ? { error: { message: page.error.message, position: page.error.position } } : {}),
    ...(page.located ? { located: { no: page.located.no, index: page.located.index } } : {}),
  };
}

export function packetDetail(lab: Lab, r: ParsedRequestOf<'packetDetail'>): PacketDetailView {
  const d = lab.capture.detail(r.point, r.no, { decrypt: r.decrypt });
  if (!d) throw new ApiFailure('not-found', `no packet ${r.no} at ${r.point} (it may have been dropped from the bounded capture)`);
  return {
    no: d.no, point: d.point, conn: d.conn, dir: d.dir, protocol: d.protocol, info: d.info, leak: d.leak,
    marks: d.marks.map((m) => ({ stage: m.stage, action: m.action, note: m.note, ...(m.original ? { originalHex: m.original.toString('hex') } : {}) })),
    tree: tree(d.tree), hex: d.bytes, tabs: d.tabs.map((t) => ({ label: t.label, hex: t.bytes })),
    link: linkOf(lab, d.point, d.no, d.conn),
    ...(attemptOf(lab, d.conn) ? {} : { session: sessionOf(lab, d.point, d.no, d.conn, d.dir) }),
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
