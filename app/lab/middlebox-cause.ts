/**
 * Errors that name what acted (issue 17; docs/ui.md): when a session through a firewall or a
 * content scanner broke without a reply — the connection lost, the conversation timed out, a reply
 * that could not be read — the sender alone can only say "lost connection". The lab taps both
 * sides of the box (app/path/relay.ts), so it knows when a stage reset the connection, or changed
 * or dropped the last bytes before the break, and says so in the catalogue's words
 * (app/smtp/replies.ts `middleboxReasons`):
 *
 *   reset by the firewall (asa, inspect esmtp) after EHLO: command line longer than 16 bytes (drop-connection)
 *   the firewall (asa, inspect esmtp) changed the sealed MAIL FROM (not an SMTP line after AUTH: masked);
 *     then mail.ntsol.example[198.51.100.25] closed the connection
 *
 * and, with no box at all, when the host refused the connection (`hostRefusal`).
 */
import type { PathInfo } from './topology.ts';
import type { Failure, TranscriptLine } from '../mta/outbound/client.ts';
import type { StageMark, TapLog, TapRecord } from '../capture/tap.ts';
import { profileStages } from '../path/profiles.ts';
import { format, middleboxReasons } from '../smtp/replies.ts';

/** A stage in its vendor's words where it has them (docs/stages.md, docs/firewall-config.md). */
const STAGE_WORDS: Record<string, string> = {
  'esmtp-inspect': 'inspect esmtp',
  'mask-banner': 'inspect esmtp mask-banner',
  'mask-banner-44': 'fixup protocol smtp',
  'command-filter': 'fixup protocol smtp',
};

const VERBS = new Set(['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'QUIT', 'RSET', 'NOOP', 'STARTTLS', 'AUTH', 'VRFY', 'ETRN']);

/** The command a transcript line sent, as a reader names it: `EHLO`, `the sealed MAIL FROM`. */
function commandWords(line: TranscriptLine | undefined): string {
  if (!line) return 'connecting';
  const layer = line.layer === 'sealed' ? 'the sealed ' : line.layer === 'tls' ? 'the encrypted ' : '';
  if (line.text.startsWith('<< message')) return `${layer || 'the '}message content`;
  const verb = /^(MAIL FROM|RCPT TO|[A-Za-z]+)/.exec(line.text)?.[1]?.toUpperCase();
  if (verb && VERBS.has(verb.split(' ')[0])) return `${layer}${verb}`;
  return `${layer || 'the '}AUTH response`;
}

/** What the cause reads: the path's current configuration, and what the taps on both sides of its box saw. */
export type CausePath = Pick<PathInfo, 'config'>;
export type CauseTaps = Pick<TapLog, 'ofConn'>;

function actorOf(path: CausePath, stage: string): string {
  const spec = path.config.firewall as { profile?: string; config?: string } | undefined;
  const kind = path.config.via === 'content-scanner' ? 'content scanner' : 'firewall';
  const name = spec?.config !== undefined ? 'configuration' : spec?.profile ?? path.config.via;
  return format(middleboxReasons.actor, kind, name, STAGE_WORDS[stage] ?? stage);
}

/** The reason a stage gave, without its own name in front (`esmtp-inspect: …`). */
const detailOf = (reason: string, stage: string) => (reason.startsWith(`${stage}: `) ? reason.slice(stage.length + 2) : reason);

/**
 * The failure reworded to name the middlebox, or undefined when no box acted, or the session did
 * not break (a reply refused, or the plan gave up: those speak for themselves).
 */
export function middleboxCause(taps: CauseTaps, path: CausePath | undefined, conn: string | undefined, transcript: readonly TranscriptLine[], failure: Failure, peer: string): string | undefined {
  if (!path || !conn || path.config.via === 'direct' || !failure.broken) return undefined;
  const stages = new Set(profileStages(path.config.firewall ?? {}).map((s) => s.name));
  const { connections: tapped, records } = taps.ofConn(conn);
  const lastSent = [...transcript].reverse().find((l) => l.dir === 'out');
  const closer = tapped.find((c) => (c.closedBy === 'reset' || c.closedBy === 'refused') && c.closeReason);
  if (closer?.closeReason) {
    const stage = closer.closeReason.split(':')[0];
    if (!stages.has(stage)) return undefined;
    const actor = actorOf(path, stage);
    const detail = detailOf(closer.closeReason, stage);
    return closer.closedBy === 'refused' ? format(middleboxReasons.refused, actor, detail) : format(middleboxReasons.reset, actor, commandWords(lastSent), detail);
  }
  // The last bytes a stage changed or dropped, with nothing reaching the sender after them.
  let acted: { record: TapRecord; mark: StageMark } | undefined;
  for (const r of records) {
    const mark = r.marks?.find((m) => (m.action === 'changed' || m.action === 'dropped') && stages.has(m.stage));
    if (mark) acted = { record: r, mark };
  }
  if (!acted) return undefined;
  const client = tapped.find((c) => c.side !== 'server')?.point;
  const after = records.some((r) => r.seq > acted!.record.seq && r.point === client && r.dir === 's2c' && r.bytes.length > 0);
  if (after) return undefined;
  const what = acted.record.dir === 'c2s' ? commandWords(lastSent) : `the reply to ${commandWords(lastSent).replace(/^the /, '')}`;
  const then = failure.broken === 'timeout'
    ? format(middleboxReasons.timedOut, peer)
    : failure.broken === 'protocol'
      ? format(middleboxReasons.unreadable, failure.reason.replace(/^.*?: /, ''))
      : format(middleboxReasons.peerClosed, peer);
  return format(middleboxReasons.acted, actorOf(path, acted.mark.stage), acted.mark.action, what, acted.mark.note ?? acted.mark.action, then);
}

/**
 * The host itself refused the connection onward: the relay's record of it (app/path/relay.ts), in
 * an MTA's words (`connect to mx.staging.example[203.0.113.23]:25: Connection refused`). The sender
 * met the relay, not the host, so it alone saw only its connection dropped before a greeting.
 */
export function hostRefusal(taps: CauseTaps, conn: string): string | undefined {
  return taps.ofConn(conn).connections.find((c) => c.closedBy === 'refused' && c.closeReason?.startsWith('connect to '))?.closeReason;
}
