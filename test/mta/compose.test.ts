/**
 * Header names are RFC 5322 §3.6.8 field names in every entry point: a name with CR LF would end
 * the header section and inject fields (a Bcc:) and a body of its own.
 */
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../app/mta/compose.ts';
import { validateRequest } from '../../app/api/contract.ts';
import { parseScenario } from '../../app/scenario/load.ts';

const injected = 'X-Note: hi\r\nBcc: eve@evil.example\r\n\r\nInjected body\r\nX-Tail';
const base = {
  ref: 'm1', from: 'alice@intellinet.example', to: ['sean@ntsol.example'], subject: 'Hi', body: 'Hello',
  date: Date.UTC(2026, 10, 28, 9), messageId: 'a@b', canaries: { subject: 'S', header: 'H', body: 'B' },
};

describe('header names', () => {
  it('the composer refuses a name that is not a field name, and writes a valid one', () => {
    expect(() => composeMessage({ ...base, headers: { [injected]: 'x' } })).toThrow(/is not a valid field name \(RFC 5322 §3\.6\.8\)/);
    expect(() => composeMessage({ ...base, headers: { 'X Two Words': 'x' } })).toThrow(/not a valid field name/);
    const text = composeMessage({ ...base, headers: { 'X-Ticket': 'A-1\r\nBcc: eve@evil.example' } }).toString();
    // A value cannot inject either: a CR LF in it makes it an RFC 2047 encoded word.
    expect(text).not.toMatch(/^Bcc:/m);
    expect(text).toMatch(/^X-Ticket: =\?UTF-8\?B\?/m);
  });

  it('the contract refuses sendMessage with such a name before anything is sent', () => {
    const r = validateRequest('sendMessage', { id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', headers: { [injected]: 'x' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid-payload');
    expect(r.error.message).toMatch(/headers[\s\S]*a header name is printable ASCII without spaces or ":"/);
  });

  it('a scenario with such a name gets an error at its line', () => {
    const loaded = parseScenario([
      'title: t',
      'lab:',
      '  orgs:',
      '    - { id: a, domain: a.example, users: [alice], hosts: [{ name: mail.a.example, address: 192.0.2.10 }] }',
      'steps:',
      '  - send: { id: m1, from: alice@a.example, to: bob@a.example, headers: { "X-A\\r\\nBcc": "eve@evil.example" } }',
    ].join('\n'), 'inject.yaml');
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.map((e) => [e.line, e.message])).toEqual([[6, expect.stringMatching(/a header name is printable ASCII/)]]);
  });
});
