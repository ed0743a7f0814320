/**
 * Session transcripts in the style of swaks (docs/packet-view.md, "What the view shows"): `->` / `<-` cleartext, `~>` / `<~` inside
 * TLS, `=>` / `<=` inside the NTLM seal, `===` a note from the lab, and `!!` flags a line a
 * middlebox rewrote. The sender's view comes from our client; the receiver's from its server log.
 */
import type { TranscriptLine } from './outbound/client.ts';

const MARKERS = {
  clear: { out: '->', in: '<-' },
  tls: { out: '~>', in: '<~' },
  sealed: { out: '=>', in: '<=' },
} as const;

/**
 * One line of either side's view: `out` the side wrote, `in` it read, each in the layer it crossed.
 * The receiver's lines (app/mta/inbound.ts, `ServerLogLine`) are of this shape too, from the
 * server's seat: `<-` a command it read, `->` a reply it wrote.
 */
export type SideLine = Pick<TranscriptLine, 'dir' | 'layer' | 'text'>;

export function formatTranscript(lines: readonly SideLine[]): string {
  return lines
    .map((l) => (l.dir === 'note' ? `=== ${l.text}` : `${MARKERS[l.layer][l.dir]} ${l.text}`))
    .join('\n');
}
