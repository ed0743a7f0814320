// One server's day, as plain data: a delivered message over TLS, one deferred then bounced by a
// failed NTLM logon, and one inbound session. Every formatter's table test words this input.
import type { LogInput } from '../../../app/mta/logs/index.ts';

const T0 = Date.parse('2026-11-28T09:00:00Z');

export const INPUT: LogInput = {
  host: 'mail.intellinet.example', address: '192.0.2.10', domain: 'intellinet.example',
  outbound: [
    {
      id: 'A1B2C3', from: 'alice@intellinet.example', to: ['pat@partner.example'], size: 812, subject: 'Checking in', messageId: 'm1.abc@mail.intellinet.example', arrivedAt: T0,
      attempts: [{
        at: T0 + 1000, host: 'mail.partner.example', address: '203.0.113.25', conn: 'c1', result: 'delivered', reply: '250 2.0.0 Ok: queued as 9F8E7D',
        tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', verified: true },
        transcript: [{ dir: 'in', text: '220 mail.partner.example ESMTP' }, { dir: 'out', text: 'EHLO mail.intellinet.example' }, { dir: 'note', text: 'TLS started' }],
      }],
    },
    {
      id: 'D4E5F6', from: 'alice@intellinet.example', to: ['sean@ntsol.example'], size: 640, arrivedAt: T0 + 60_000, bounceId: 'B0B0B0',
      attempts: [
        { at: T0 + 60_000, host: 'mail.ntsol.example', address: '198.51.100.25', conn: 'c2', result: 'deferred', reason: 'lost connection with mail.ntsol.example[198.51.100.25] while sending EHLO', transcript: [] },
        { at: T0 + 660_000, host: 'mail.ntsol.example', address: '198.51.100.25', conn: 'c3', result: 'bounced', status: '5.7.3', reply: '535 5.7.3 Authentication unsuccessful', reason: 'host mail.ntsol.example[198.51.100.25] said: 535 5.7.3 Authentication unsuccessful (in reply to AUTH command)', sealed: false, transcript: [] },
      ],
    },
  ],
  inbound: [{
    conn: 'c4', at: T0 + 120_000, host: 'mail.intellinet.example', client: { host: 'mail.partner.example', ip: '203.0.113.25' },
    lines: [
      { dir: 'out', text: '220 mail.intellinet.example ESMTP' }, { dir: 'in', text: 'EHLO mail.partner.example' }, { dir: 'out', text: '250 mail.intellinet.example' },
      { dir: 'in', text: 'STARTTLS' }, { dir: 'out', text: '220 Ready to start TLS' }, { dir: 'in', text: 'EHLO mail.partner.example' }, { dir: 'out', text: '250 mail.intellinet.example' },
      { dir: 'in', text: 'MAIL FROM:<pat@partner.example>' }, { dir: 'out', text: '250 2.1.0 Ok' }, { dir: 'in', text: 'RCPT TO:<alice@intellinet.example>' }, { dir: 'out', text: '250 2.1.5 Ok' },
      { dir: 'in', text: 'DATA' }, { dir: 'out', text: '354 End data with <CR><LF>.<CR><LF>' },
      { dir: 'out', text: '250 2.0.0 Ok: queued as 77AA11' }, { dir: 'in', text: 'QUIT' }, { dir: 'out', text: '221 2.0.0 Bye' },
    ],
  }],
};

type Attempt = LogInput['outbound'][number]['attempts'][number];

/**
 * One message from Alice to `to` with a single attempt at 09:00 (no transcript unless given), and
 * the inbound sessions given: the input of a test about one case.
 */
export function oneAttempt(id: string, to: string, attempt: Omit<Attempt, 'at' | 'transcript'> & Partial<Pick<Attempt, 'transcript'>>, inbound: LogInput['inbound'] = []): LogInput {
  return {
    ...INPUT,
    outbound: [{ id, from: 'alice@intellinet.example', to: [to], size: 400, arrivedAt: T0, attempts: [{ at: T0, transcript: [], ...attempt }] }],
    inbound,
  };
}
