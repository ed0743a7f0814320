import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../app/capture/filter.ts';
import type { FilterSubject } from '../../app/capture/filter.ts';
import type { FieldValue } from '../../app/capture/dissect/types.ts';

/** A packet as the filter sees it: fields by name, layers present, payload bytes. */
function subject(fields: Record<string, FieldValue[]>, layers: string[], bytes = Buffer.alloc(0)): FilterSubject {
  return {
    values: (name) => fields[name] ?? [],
    has: (layer) => ['frame', 'eth', 'ip', 'tcp'].includes(layer) || layers.includes(layer),
    bytes: () => bytes,
  };
}

const mail = subject(
  { 'smtp.req.command': ['MAIL'], 'smtp.req.parameter': ['FROM:<sean@ntsol.example>'], 'ip.src': ['192.0.2.10'], 'ip.dst': ['198.51.100.25'], 'ip.addr': ['192.0.2.10', '198.51.100.25'], 'tcp.port': [49152, 25], 'tcp.flags.syn': [false] },
  ['smtp'],
  Buffer.from('MAIL FROM:<sean@ntsol.example>\r\n'),
);
const reply = subject({ 'smtp.response.code': [250, 250, 550], 'smtp.rsp.parameter': ['ok', 'PIPELINING', 'no'], 'ip.addr': ['198.51.100.25', '192.0.2.10'], 'tcp.port': [25, 49152] }, ['smtp']);
const tls = subject({ 'tls.handshake.type': [1], 'tls.handshake.extensions_server_name': ['mail.ntsol.example'], 'ip.addr': ['192.0.2.10', '198.51.100.26'], 'tcp.port': [49153, 25] }, ['tls']);
const syn = subject({ 'tcp.flags.syn': [true], 'tcp.port': [49152, 25], 'ip.addr': ['192.0.2.10', '198.51.100.25'] }, []);

describe('display filter: valid filters', () => {
  // [filter, mail, reply, tls, syn]
  const table: [string, boolean, boolean, boolean, boolean][] = [
    ['', true, true, true, true],
    ['smtp', true, true, false, false],
    ['tls', false, false, true, false],
    ['tcp', true, true, true, true],
    ['!smtp', false, false, true, true],
    ['not smtp and not tls', false, false, false, true],
    ['smtp.req.command == "MAIL"', true, false, false, false],
    ['smtp.req.command eq MAIL', true, false, false, false],
    ['smtp.req.command == "mail"', false, false, false, false],
    ['smtp.req.command != "MAIL"', false, false, false, false],
    ['smtp.req.command != "RCPT"', true, false, false, false],
    ['smtp.response.code >= 500', false, true, false, false],
    ['smtp.response.code < 300 && smtp.response.code > 200', false, true, false, false],
    ['smtp.response.code != 250', false, false, false, false],
    ['smtp.response.code in {220 550}', false, true, false, false],
    ['smtp.response.code == 0xfa', false, true, false, false],
    ['ip.addr == 192.0.2.10', true, true, true, true],
    ['ip.addr == 198.51.100.26', false, false, true, false],
    ['ip.addr == 198.51.100.0/24', true, true, true, true],
    ['ip.src == 192.0.2.10', true, false, false, false],
    ['ip.addr != 198.51.100.26', true, true, false, true],
    ['tcp.port == 49153 or tcp.flags.syn == 1', false, false, true, true],
    ['tcp.flags.syn == true', false, false, false, true],
    ['frame contains "Sean"', false, false, false, false],
    ['frame contains "sean"', true, false, false, false],
    ['frame contains 73:65:61:6e', true, false, false, false],
    ['smtp.req.parameter contains "ntsol"', true, false, false, false],
    ['smtp.req.parameter matches "SEAN@"', true, false, false, false],
    ['tls.handshake.extensions_server_name contains "ntsol"', false, false, true, false],
    ['(smtp or tls) and !(smtp.response.code >= 500)', true, false, true, false],
    ['smtp.response.code', false, true, false, false],
    ['smtp && (ip.addr == 192.0.2.10 || ip.addr == 203.0.113.5) && !tls', true, true, false, false],
  ];
  for (const [text, ...expected] of table) {
    it(`${JSON.stringify(text)}`, () => {
      const r = parseFilter(text);
      if (!r.ok) throw new Error(`${r.error.message} at ${r.error.position}`);
      expect([mail, reply, tls, syn].map((s) => r.filter.match(s))).toEqual(expected);
    });
  }
});

describe('display filter: mistakes name their position and never throw', () => {
  const table: [string, number, RegExp][] = [
    ['smtpx', 0, /"smtpx" is neither a field nor a protocol name/],
    ['smtp and', 8, /ends where a field or protocol name was expected/],
    ['smtp.req.command == ', 20, /A value was expected after the operator/],
    ['smtp.req.command = "MAIL"', 17, /did you mean "=="/],
    ['smtp.req.command == "MAIL', 20, /not terminated/],
    ['(smtp or tls', 12, /"\)" was expected/],
    ['smtp tls', 5, /"tls" was unexpected here; "and" or "or" was expected/],
    ['smtp.response.code >= abc', 22, /"abc" is not a valid number/],
    ['ip.addr == 192.0.2.300', 11, /not a valid IPv4 address/],
    ['ip.addr contains "192"', 17, /"contains" needs a text or byte field/],
    ['smtp == 1', 8, /is a protocol; it cannot be compared/],
    ['frame contains zz', 15, /not a valid byte string/],
    ['smtp.req.parameter matches "(["', 27, /Invalid regular expression/],
    ['tcp.port in {25', 12, /not closed/],
    ['@', 0, /"@" was unexpected/],
    [')', 0, /"\)" was unexpected here/],
  ];
  for (const [text, position, message] of table) {
    it(`${JSON.stringify(text)} → position ${position}`, () => {
      const r = parseFilter(text);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.position).toBe(position);
      expect(r.error.message).toMatch(message);
    });
  }

  it('survives absurd input', () => {
    for (const text of ['('.repeat(100_000), '!'.repeat(100_000), `${'smtp or '.repeat(20_000)}smtp`, '"\\', '\u0000']) {
      expect(() => parseFilter(text)).not.toThrow();
    }
  });
});

describe('display filter: matches runs in linear time', () => {
  it('answers "^(a+)+$" on a long line of a\'s at once, where a backtracking engine would hang the engine', () => {
    const body = subject({ 'imf.message_text': [`${'a'.repeat(5_000)}b`] }, ['imf']);
    const r = parseFilter('imf.message_text matches "^(a+)+$"');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.filter.match(body)).toBe(false);
    expect(r.filter.match(subject({ 'imf.message_text': ['a'.repeat(5_000)] }, ['imf']))).toBe(true);
  });

  it('refuses what needs backtracking (backreferences) with the position of the expression', () => {
    const r = parseFilter(String.raw`imf.message_text matches "(a)\\1"`);
    expect(r.ok ? undefined : r.error).toEqual({ position: 25, message: 'Invalid regular expression: invalid escape sequence: `\\1`' });
  });
});

describe('display filter: nesting', () => {
  it('refuses nesting beyond 256 levels with the position where it happens', () => {
    const r = parseFilter(`${'('.repeat(300)}smtp${')'.repeat(300)}`);
    expect(r.ok ? undefined : r.error).toEqual({ message: 'The filter nests deeper than 256 levels here.', position: 256 });
    expect(parseFilter(`${'('.repeat(200)}smtp${')'.repeat(200)}`).ok).toBe(true);
    const long = parseFilter(`${'smtp or '.repeat(1500)}smtp`);
    expect(long.ok ? undefined : long.error.message).toBe('The filter has more than 2048 parts.');
  });
});
