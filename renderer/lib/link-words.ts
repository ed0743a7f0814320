/**
 * How the topology words a link's state: a short headline and a detail line for the badge, a
 * sentence for screen readers, and the colour class. Pure, so every state has a test.
 */
import type { LinkStateView } from '../../app/api/contract.ts';

export type LinkTone = 'idle' | 'clear' | 'leak' | 'tls' | 'sealed' | 'bad';

export interface LinkWords {
  tone: LinkTone;
  locked: boolean;
  headline: string;
  detail: string;
  sentence: string;
}

export function linkWords(state: LinkStateView | undefined, label: string): LinkWords {
  const last = state?.last;
  if (!last) return { tone: 'idle', locked: false, headline: 'no session yet', detail: '', sentence: `${label}: no session yet` };
  const carried = last.message ? ` · ${last.message}` : '';
  let tone: LinkTone;
  let headline: string;
  let detail: string;
  if (last.protection === 'sealed') {
    tone = 'sealed';
    headline = 'NTLM sealed';
    detail = last.ntlm ? `${last.ntlm.keyBits}-bit keys` : 'sealed';
  } else if (last.protection === 'tls') {
    tone = 'tls';
    headline = `STARTTLS ${last.tls?.protocol ?? ''}`.trim();
    detail = last.tls?.verified ? 'cert verified' : 'cert not verified';
  } else if (last.tlsFailed) {
    // No TLS came up, and the sender did not go on in clear: nothing of the message crossed.
    tone = 'bad';
    headline = 'STARTTLS failed';
    detail = last.leak ? 'canaries leaked' : 'no canary seen';
  } else {
    tone = last.leak ? 'leak' : 'clear';
    headline = 'clear';
    detail = last.leak ? 'canaries leaked' : 'no canary seen';
  }
  // `broken`: the session ended without QUIT's 221 and nothing was delivered; who closed it is in
  // the reason (the sender's words), and no RST need have crossed.
  const ends: Record<string, string> = { reset: 'reset', refused: 'refused', broken: 'broke off' };
  const ended = ends[last.end];
  if (ended) {
    tone = 'bad';
    detail = `${ended}${detail ? ` · ${detail}` : ''}`;
  }
  const rewritten = last.rewritten.length ? `; rewritten by ${last.rewritten.join(', ')}` : '';
  const why = ended && last.reason ? ` (${last.reason})` : '';
  const spoken = last.leak && last.protection === 'clear' ? 'canaries crossed in clear' : detail;
  return {
    tone, locked: last.protection !== 'clear', headline: `${headline}${carried}`, detail,
    sentence: `${label}: last session ${headline}, ${spoken}${why}${rewritten}${last.message ? `, carried ${last.message}` : ''}. ${state!.sessions} session${state!.sessions === 1 ? '' : 's'}. Open in the packet view.`,
  };
}
