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

export function formatTranscript(lines: readonly TranscriptLine[]): string {
  return lines
    .map((l) => (l.dir === 'note' ? `=== ${l.text}` : `${MARKERS[l.layer][l.dir]} ${l.text}`))
    .join('\n');
}

export interface ReceiverLine {
  dir: 'in' | 'out';
  text: string;
}

/** The receiver's view: what its server read (`<-` from the client) and wrote (`->`). */
export function formatReceiverTranscript(lines: readonly ReceiverLine[]): string {
  return lines.map((l) => `${l.dir === 'in' ? '<-' : '->'} ${l.text}`).join('\n');
}
