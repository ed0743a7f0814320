/**
 * SMTP reply framing, sans-IO (RFC 5321 §4.2): `250-first` … `250 last`. Fed raw bytes in any
 * chunking; returns complete replies. A line that is not a reply line (garbage from a broken
 * middlebox) is reported as a protocol error rather than guessed at.
 */

export interface Reply {
  code: number;
  /** The text of each line without the code and separator. */
  lines: string[];
  /** RFC 3463 enhanced status code of the first line, when present. */
  status?: string;
  /** The reply exactly as received, lines joined with CRLF (for transcripts). */
  raw: string;
}

export type ReplyParse = { replies: Reply[]; error?: string };

/** Longest reply line we accept (RFC 5321 §4.5.3.1.5 says 512; servers go beyond, so be lenient). */
const MAX_LINE = 8192;

export class ReplyParser {
  #buffer = '';
  #pending: string[] = [];
  #pendingRaw: string[] = [];
  #code = 0;

  push(bytes: Buffer): ReplyParse {
    // latin1 keeps every byte as one char; replies are ASCII (RFC 5321 §2.4) and a
    // masked or garbled reply must not become invalid UTF-8 noise.
    this.#buffer += bytes.toString('latin1');
    const replies: Reply[] = [];
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(nl + 1);
      const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!m) return { replies, error: `malformed reply line: ${JSON.stringify(line.slice(0, 80))}` };
      const code = Number(m[1]);
      if (this.#pending.length > 0 && code !== this.#code) {
        return { replies, error: `reply code changed inside a multi-line reply: ${this.#code} then ${code}` };
      }
      this.#code = code;
      this.#pending.push(m[3]);
      this.#pendingRaw.push(line);
      if (m[2] !== '-') {
        const lines = this.#pending;
        const status = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(lines[0])?.[1];
        replies.push({ code, lines, status, raw: this.#pendingRaw.join('\r\n') });
        this.#pending = [];
        this.#pendingRaw = [];
      }
    }
    if (this.#buffer.length > MAX_LINE) return { replies, error: 'reply line too long' };
    return { replies };
  }

  /** Bytes received but not yet part of a complete reply (a partial line). */
  get partial(): string {
    return this.#buffer;
  }

  /** Forget buffered bytes: after STARTTLS nothing received in cleartext may carry over (RFC 3207 §4.2). */
  reset(): void {
    this.#buffer = '';
    this.#pending = [];
    this.#pendingRaw = [];
  }
}

/** The text of a reply as one line, the way a log or bounce quotes it: `535 5.7.3 Authentication unsuccessful`. */
export function replyText(reply: Reply): string {
  return `${reply.code} ${reply.lines.join(' ')}`.trim();
}

/** EHLO keywords (RFC 5321 §4.1.1.1): upper-cased keyword → its parameters. */
export function ehloExtensions(reply: Reply): Map<string, string> {
  const ext = new Map<string, string>();
  for (const line of reply.lines.slice(1)) {
    const [keyword, ...params] = line.trim().split(/\s+/);
    if (keyword) ext.set(keyword.toUpperCase(), params.join(' '));
  }
  return ext;
}
