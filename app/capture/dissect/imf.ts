/**
 * Internet Message Format (RFC 5322) inside SMTP DATA or BDAT: the headers an eavesdropper reads.
 *
 * The SMTP dissector feeds the message content (dot-stuffing already undone, RFC 5321 §4.5.2), one
 * chunk per line with its position on the wire, and calls `end` at the end of the data; the IMF
 * PDU then belongs to the packet that carried the end. Header fields are unfolded (RFC 5322
 * §2.2.3) and named as Wireshark names them (`imf.subject`, `imf.from` …).
 */
import type { Direction } from '../tap.ts';
import type { ByteRange, DetailNode, Dissector, Field, FieldDef, Pdu, SessionContext, StreamDissector } from './types.ts';
import { field, node } from './types.ts';

/** Content kept for display and parsing; a larger message is counted, not held. */
const MAX_CONTENT = 1024 * 1024;
const MAX_BODY_LINES = 200;

/** RFC 5322 §3.6 header names and the Wireshark field each maps to. */
const HEADER_FIELDS: Record<string, string> = {
  'from': 'imf.from',
  'sender': 'imf.sender',
  'reply-to': 'imf.reply_to',
  'to': 'imf.to',
  'cc': 'imf.cc',
  'bcc': 'imf.bcc',
  'subject': 'imf.subject',
  'date': 'imf.date',
  'message-id': 'imf.message_id',
  'in-reply-to': 'imf.in_reply_to',
  'references': 'imf.references',
  'comments': 'imf.comments',
  'keywords': 'imf.keywords',
  'received': 'imf.received',
  'return-path': 'imf.return_path',
  'mime-version': 'imf.mime_version',
  'content-type': 'imf.content.type',
  'content-transfer-encoding': 'imf.content.transfer_encoding',
  'content-id': 'imf.content.id',
  'content-description': 'imf.content.description',
  'x-mailer': 'imf.x_mailer',
  'user-agent': 'imf.user_agent',
};

export const imfFields: FieldDef[] = [
  ...Object.values(HEADER_FIELDS).map((name): FieldDef => ({ name, type: 'string', label: name.slice(4) })),
  { name: 'imf.extension.type', type: 'string', label: 'Extension header name' },
  { name: 'imf.extension.value', type: 'string', label: 'Extension header value' },
  { name: 'imf.message_text', type: 'string', label: 'Message text' },
];

interface Chunk {
  bytes: Buffer;
  /** Wire position of bytes[0]. */
  offset: number;
}

export interface ImfHeader {
  name: string;
  value: string;
  range: ByteRange;
}

/** Split message content into unfolded headers and the body (RFC 5322 §2.1, §2.2.3). */
export function parseHeaders(lines: { text: string; range: ByteRange }[]): { headers: ImfHeader[]; bodyStart: number } {
  const headers: ImfHeader[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const { text, range } = lines[i];
    if (text === '') return { headers, bodyStart: i + 1 };
    const last = headers[headers.length - 1];
    if ((text[0] === ' ' || text[0] === '\t') && last) {
      last.value += ` ${text.trim()}`;
      last.range = { start: last.range.start, end: range.end };
      continue;
    }
    const colon = text.indexOf(':');
    // A line that is neither a header nor a continuation ends the header section.
    if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(text.slice(0, colon).trimEnd())) return { headers, bodyStart: i };
    headers.push({ name: text.slice(0, colon).trim(), value: text.slice(colon + 1).trim(), range });
  }
  return { headers, bodyStart: i };
}

function contentLines(chunks: Chunk[]): { text: string; range: ByteRange }[] {
  // Chunks arrive one per line from SMTP, but BDAT hands arbitrary pieces: split on LF here.
  const out: { text: string; range: ByteRange }[] = [];
  let cur = '';
  let start = -1;
  for (const c of chunks) {
    let from = 0;
    while (from < c.bytes.length) {
      const lf = c.bytes.indexOf(0x0a, from);
      const end = lf < 0 ? c.bytes.length : lf + 1;
      if (start < 0) start = c.offset + from;
      cur += c.bytes.toString('latin1', from, end);
      from = end;
      if (lf >= 0) {
        out.push({ text: cur.replace(/\r?\n$/, ''), range: { start, end: c.offset + end } });
        cur = '';
        start = -1;
      }
    }
  }
  if (cur !== '') out.push({ text: cur, range: { start, end: start + cur.length } });
  return out;
}

export class ImfSession implements StreamDissector {
  #chunks: Chunk[] = [];
  #held = 0;
  #total = 0;
  readonly #depth: number;

  constructor(ctx: SessionContext) {
    this.#depth = ctx.depth;
  }

  feed(_dir: Direction, bytes: Buffer, offset: number): Pdu[] {
    this.#total += bytes.length;
    if (this.#held < MAX_CONTENT) {
      const keep = bytes.subarray(0, MAX_CONTENT - this.#held);
      this.#chunks.push({ bytes: keep, offset });
      this.#held += keep.length;
    }
    return [];
  }

  end(_dir: Direction): Pdu[] {
    const lines = contentLines(this.#chunks);
    this.#chunks = [];
    const { headers, bodyStart } = parseHeaders(lines);
    const children: DetailNode[] = [];
    const fields: Field[] = [];
    let from = '';
    let subject = '';
    let type = '';
    for (const h of headers) {
      const key = h.name.toLowerCase();
      const name = HEADER_FIELDS[key];
      if (key === 'from') from = h.value;
      if (key === 'subject') subject = h.value;
      if (key === 'content-type') type = h.value.split(';')[0].trim();
      if (name) {
        children.push(node(`${h.name}: ${h.value}`, [field(name, h.value)], [], h.range));
      } else {
        children.push(node(`${h.name}: ${h.value}`, [field('imf.extension.type', h.name), field('imf.extension.value', h.value)], [], h.range));
      }
    }
    const body = lines.slice(bodyStart);
    if (body.length > 0) {
      const text = body.slice(0, MAX_BODY_LINES);
      const bodyRange = { start: body[0].range.start, end: body[body.length - 1].range.end };
      fields.push(field('imf.message_text', text.map((l) => l.text).join('\n')));
      children.push(
        node(
          `Line-based text data (${body.length} lines)`,
          [],
          text.map((l) => node(l.text, [], [], l.range)),
          bodyRange,
        ),
      );
    }
    if (this.#total > this.#held) children.push(node(`[${this.#total - this.#held} more bytes not shown]`));
    const range = lines.length > 0 ? { start: lines[0].range.start, end: lines[lines.length - 1].range.end } : undefined;
    const parts = [from && `from: ${from}`, subject && `subject: ${subject}`, type && `(${type})`].filter(Boolean);
    const pdu: Pdu = {
      layer: 'imf',
      protocol: 'SMTP/IMF',
      info: parts.length > 0 ? parts.join(', ') : `Message, ${this.#total} bytes`,
      depth: this.#depth,
      tree: node('Internet Message Format', fields, children, range),
    };
    this.#held = 0;
    this.#total = 0;
    return [pdu];
  }
}

export const imfDissector: Dissector = {
  name: 'imf',
  title: 'Internet Message Format',
  fields: imfFields,
  open: (ctx) => new ImfSession(ctx),
};
