/**
 * The frame every SMTP stage shares: framing that never stalls on binary data, TLS pass-through,
 * BDAT chunks, half-close. Driven through a stage whose hooks record what they were handed.
 */
import { describe, expect, test } from 'vitest';
import { createChain } from '../../../app/path/chain.ts';
import { smtpStage } from '../../../app/path/stages/smtp-stage.ts';
import { drive } from '../harness.ts';

function probe() {
  const seen: string[] = [];
  const stage = smtpStage('probe', {
    command: (u, st) => (seen.push(`${u.kind}:${u.verb}:${st.phase}`), undefined),
    content: (u) => (seen.push(`content:${JSON.stringify(u.bytes.toString('latin1'))}${u.last ? ':last' : ''}`), undefined),
    reply: (u) => (seen.push(`reply:${u.code}:${u.to}`), undefined),
    binary: (dir, bytes) => (seen.push(`binary:${dir}:${bytes.length}`), undefined),
  });
  return { pipeline: createChain([stage]), seen };
}

describe('the SMTP stage frame', () => {
  test('a binary run (a sealed frame) is handed over at once, not held for a line end', () => {
    const { pipeline, seen } = probe();
    const out = pipeline.push('c2s', Buffer.from([0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef]));
    expect(out).toHaveLength(1);
    expect(seen).toEqual(['binary:c2s:8']);
  });

  test('a chunk of lines that all pass unchanged leaves as a view of the same bytes, not a copy', () => {
    const { pipeline } = probe();
    const chunk = Buffer.from('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n', 'latin1');
    const out = pipeline.push('c2s', chunk);
    expect(out).toHaveLength(1);
    const bytes = (out[0] as { bytes: Buffer }).bytes;
    expect(bytes.toString('latin1')).toBe(chunk.toString('latin1'));
    expect(bytes.buffer).toBe(chunk.buffer);
    expect(bytes.byteOffset).toBe(chunk.byteOffset);
    // A line held back across chunks still joins correctly (a copy, as it must be).
    const { pipeline: p2 } = probe();
    const first = p2.push('c2s', Buffer.from('MAIL FROM:<a@', 'latin1'));
    const second = p2.push('c2s', Buffer.from('b>\r\nNOOP\r\n', 'latin1'));
    expect(first).toHaveLength(0);
    expect(Buffer.concat(second.map((o) => (o as { bytes: Buffer }).bytes)).toString('latin1')).toBe('MAIL FROM:<a@b>\r\nNOOP\r\n');
  });

  test('several commands in one segment and one command over many segments are the same lines', () => {
    const a = probe();
    drive(a.pipeline, [['c2s', 'EHLO a\r\nMAIL FROM:<a@b>\r\n']]);
    const b = probe();
    drive(b.pipeline, [['c2s', 'EHLO a\r\nMAIL FROM:<a@b>\r\n']], 1);
    expect(a.seen).toEqual(['command:EHLO:command', 'command:MAIL:command']);
    expect(b.seen).toEqual(a.seen);
  });

  test('replies are matched to commands in order, starting with the greeting (RFC 2920 §3)', () => {
    const { pipeline, seen } = probe();
    drive(pipeline, [['s2c', '220 mx\r\n'], ['c2s', 'EHLO a\r\nNOOP\r\n'], ['s2c', '250-mx\r\n250 SIZE 9\r\n250 OK\r\n']]);
    expect(seen.filter((s) => s.startsWith('reply'))).toEqual(['reply:220:GREETING', 'reply:250:EHLO', 'reply:250:NOOP']);
  });

  test('AUTH response lines are told apart from commands (RFC 4954 §4)', () => {
    const { pipeline, seen } = probe();
    drive(pipeline, [['s2c', '220 mx\r\n'], ['c2s', 'AUTH NTLM\r\n'], ['s2c', '334 ntlm supported\r\n'], ['c2s', 'TlRMTVNTUAAB\r\n'],
      ['s2c', '235 2.7.0 ok\r\n'], ['c2s', 'MAIL FROM:<a@b>\r\n']]);
    expect(seen.filter((s) => !s.startsWith('reply'))).toEqual(['command:AUTH:command', 'auth::auth', 'command:MAIL:command']);
  });

  test('after 220 to STARTTLS both directions pass untouched, hooks no longer called', () => {
    const { pipeline, seen } = probe();
    const tls = '\x16\x03\x01\x00\x02\r\n';
    const out = drive(pipeline, [['s2c', '220 mx\r\n'], ['c2s', 'STARTTLS\r\n'], ['s2c', '220 go ahead\r\n'], ['c2s', tls], ['s2c', tls]]);
    expect(seen).toEqual(['reply:220:GREETING', 'command:STARTTLS:command', 'reply:220:STARTTLS']);
    expect(out.c2s).toBe(`STARTTLS\r\n${tls}`);
  });

  test('a BDAT chunk passes raw, CRLFs and all, and the next command is read again (RFC 3030)', () => {
    const { pipeline, seen } = probe();
    const out = drive(pipeline, [['c2s', 'BDAT 7 LAST\r\n.\r\nQ\r\nxQUIT\r\n']]);
    expect(seen).toEqual(['command:BDAT:command', 'content:".\\r\\nQ\\r\\nx"', 'command:QUIT:command']);
    expect(out.c2s).toBe('BDAT 7 LAST\r\n.\r\nQ\r\nxQUIT\r\n');
  });

  test('the final dot ends the content only at the start of a line after CRLF', () => {
    const { pipeline, seen } = probe();
    drive(pipeline, [['s2c', '220 mx\r\n'], ['c2s', 'DATA\r\n'], ['s2c', '354 go\r\n'], ['c2s', 'a\n.\r\n.\r\nNOOP\r\n']]);
    expect(seen.filter((s) => s.startsWith('content') || s.startsWith('command'))).toEqual([
      'command:DATA:command', 'content:"a\\n"', 'content:".\\r\\n"', 'content:".\\r\\n":last', 'command:NOOP:command',
    ]);
  });

  test('a half-close passes the partial line on unchanged', () => {
    const { pipeline } = probe();
    expect(pipeline.push('c2s', Buffer.from('QUI'))).toEqual([]);
    expect(pipeline.end('c2s').map((o) => o.type === 'deliver' && o.bytes.toString())).toEqual(['QUI']);
  });
});
