/**
 * Byte-level helpers for line-aware stages. SMTP is a line protocol (RFC 5321 §2.3.8: lines end in
 * CRLF); a real inspecting firewall buffers a command or reply up to its line end before it
 * decides, so a line split over several segments, or several lines in one segment, get the same
 * verdict. Everything here is pure and never throws on hostile bytes. The SMTP grammar of those
 * lines (verbs, reply codes) is app/smtp/wire.ts.
 */

export const CR = 0x0d;
export const LF = 0x0a;
export const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * A control byte that never occurs in an SMTP command or reply line (RFC 5321 §4.1.1 allows
 * printable US-ASCII, SP and HTAB; RFC 6531 adds UTF-8, i.e. bytes ≥ 0x80). Seeing one tells a
 * line-aware stage that it is looking at binary data (an NTLM-sealed frame, stray TLS) and must not
 * wait for a line end that may never come.
 */
export function isControlByte(b: number): boolean {
  return (b < 0x20 && b !== 0x09 && b !== CR && b !== LF) || b === 0x7f;
}

/** The line terminator at the end of `line` (CRLF, bare LF, or none). */
export function terminatorOf(line: Buffer): Buffer {
  const n = line.length;
  if (n >= 2 && line[n - 2] === CR && line[n - 1] === LF) return line.subarray(n - 2);
  if (n >= 1 && line[n - 1] === LF) return line.subarray(n - 1);
  return line.subarray(n);
}

/** The line without its terminator. */
export function bodyOf(line: Buffer): Buffer {
  return line.subarray(0, line.length - terminatorOf(line).length);
}

/** Same bytes? */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.equals(b);
}

/** Split bytes into complete lines (each with its terminator) and a trailing partial line. */
export function splitLines(bytes: Buffer): { lines: Buffer[]; rest: Buffer } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, start)) {
    lines.push(bytes.subarray(start, i + 1));
    start = i + 1;
  }
  return { lines, rest: bytes.subarray(start) };
}

/** Replace every byte of `line` except its terminator by `fill` (same length). */
export function fillBody(line: Buffer, fill: number): Buffer {
  const out = Buffer.from(line);
  out.fill(fill, 0, bodyOf(line).length);
  return out;
}
