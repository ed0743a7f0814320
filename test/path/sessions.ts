/**
 * Hand-written SMTP sessions per profile: the exact bytes each side sends, the exact bytes the
 * other side must receive through the profile, and the marks the profile must leave — worked out
 * by hand from the models in docs/stages.md, never taken from the code's output.
 */
import type { MarkRow, Step } from './harness.ts';

export interface Session {
  profile: unknown;
  steps: Step[];
  /** What the server receives, and what the client receives. */
  c2s: string;
  s2c: string;
  marks: MarkRow[];
}

export const BANNER = '220 mail.ntsol.example Microsoft ESMTP MAIL Service, Version: 5.5.2653.13 ready\r\n';
export const MASKED_51 = '220 ****************** ********* ***** **** ******** ******** ****2****** *****\r\n';
const EHLO = 'EHLO mail.intellinet.example\r\n';
const HELO = 'HELO mail.intellinet.example\r\n';
const MAIL = 'MAIL FROM:<alice@intellinet.example>\r\n';
const RCPT = 'RCPT TO:<sean@ntsol.example>\r\n';
const DATA = 'DATA\r\n';
const QUIT = 'QUIT\r\n';
/** Content with words that are commands elsewhere, and a dot-stuffed line (RFC 5321 §4.5.2). */
export const CONTENT =
  'From: alice@intellinet.example\r\nTo: sean@ntsol.example\r\nSubject: Trial results\r\n\r\n' +
  'Hi Sean,\r\nEHLO, VRFY and STARTTLS are just words in a letter.\r\n..a dot-stuffed line\r\n.\r\n';
const OK_MAIL = '250 2.1.0 Sender OK\r\n';
const OK_RCPT = '250 2.1.5 Recipient OK\r\n';
const GO_AHEAD = '354 Start mail input; end with <CRLF>.<CRLF>\r\n';
const QUEUED = '250 2.6.0 Queued mail for delivery\r\n';
const BYE = '221 2.0.0 Service closing transmission channel\r\n';

/** The tail every session shares once the client is past EHLO/HELO and any AUTH or STARTTLS. */
const transaction: Step[] = [
  ['c2s', MAIL], ['s2c', OK_MAIL], ['c2s', RCPT], ['s2c', OK_RCPT], ['c2s', DATA], ['s2c', GO_AHEAD],
  ['c2s', CONTENT], ['s2c', QUEUED], ['c2s', QUIT], ['s2c', BYE],
];
const TX_C2S = MAIL + RCPT + DATA + CONTENT + QUIT;
const TX_S2C = OK_MAIL + OK_RCPT + GO_AHEAD + QUEUED + BYE;

const EXCHANGE_EHLO =
  '250-mail.ntsol.example Hello [192.0.2.10]\r\n250-XEXCH50\r\n250-PIPELINING\r\n250-8BITMIME\r\n' +
  '250-STARTTLS\r\n250-AUTH NTLM\r\n250 SIZE 10485760\r\n';

// MS-NLMP §2.2.1.1 NEGOTIATE_MESSAGE, built by hand: flags 0xe20882b7 (56, KEY_EXCH, 128, …, SEAL).
const NEGOTIATE = '4e544c4d5353500001000000b78208e200000000000000000000000000000000';
// The same with NEGOTIATE_56, NEGOTIATE_128 and SEAL cleared: 0x42088297.
const NEGOTIATE_DOWN = '4e544c4d53535000010000009782084200000000000000000000000000000000';
// MS-NLMP §4.2.4.3, the CHALLENGE_MESSAGE of the NTLMv2 example: flags 0xe28a8233.
const CHALLENGE =
  '4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000' +
  '060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c0053006500720076006500720000000000';
// Flags 0x428a8213 after the downgrade; nothing else changes.
const CHALLENGE_DOWN = CHALLENGE.replace('33828ae2', '13828a42');
// An AUTHENTICATE_MESSAGE header (type 3, §2.2.1.3): the stage must leave it alone.
const AUTHENTICATE = `4e544c4d5353500003000000${'00'.repeat(48)}13828a42`;
const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

export const SESSIONS: Record<string, Session> = {
  pass: {
    profile: 'pass',
    steps: [['s2c', BANNER], ['c2s', EHLO], ['s2c', EXCHANGE_EHLO], ...transaction],
    c2s: EHLO + TX_C2S,
    s2c: BANNER + EXCHANGE_EHLO + TX_S2C,
    marks: [],
  },
  'pix-5.1': {
    profile: 'pix-5.1',
    steps: [
      ['s2c', BANNER], ['c2s', EHLO], ['s2c', '250 2.0.0 OK\r\n'],
      ['c2s', 'VRFY sean\r\n'], ['s2c', '250 2.0.0 OK\r\n'],
      ...transaction,
    ],
    c2s: `NOOP${' '.repeat(24)}\r\nNOOP     \r\n${TX_C2S}`,
    s2c: `${MASKED_51}250 2.0.0 OK\r\n250 2.0.0 OK\r\n${TX_S2C}`,
    marks: [
      ['s2c', 'mask-banner', 'changed', BANNER],
      ['c2s', 'command-filter', 'changed', EHLO],
      ['c2s', 'command-filter', 'changed', 'VRFY sean\r\n'],
    ],
  },
  'pix-4.4': {
    profile: 'pix-4.4',
    steps: [
      ['s2c', BANNER], ['c2s', EHLO], ['s2c', '500 5.3.3 Unrecognized command\r\n'],
      ['c2s', HELO], ['s2c', '250 mail.ntsol.example Hello [192.0.2.10]\r\n'],
      ...transaction,
    ],
    c2s: `${'X'.repeat(28)}\r\n${HELO}${TX_C2S}`,
    s2c: `220 ${'*'.repeat(77)}500 5.3.3 Unrecognized command\r\n250 mail.ntsol.example Hello [192.0.2.10]\r\n${TX_S2C}`,
    marks: [
      ['s2c', 'mask-banner-44', 'changed', BANNER],
      ['c2s', 'command-filter', 'changed', EHLO],
    ],
  },
  asa: {
    profile: 'asa',
    steps: [
      ['s2c', BANNER], ['c2s', EHLO], ['s2c', EXCHANGE_EHLO],
      // RFC 2920: MAIL, RCPT and DATA pipelined in one segment, the replies in one too.
      ['c2s', MAIL + RCPT + DATA], ['s2c', OK_MAIL + OK_RCPT + GO_AHEAD],
      ['c2s', CONTENT], ['s2c', QUEUED], ['c2s', QUIT], ['s2c', BYE],
    ],
    c2s: EHLO + TX_C2S,
    s2c: MASKED_51 +
      '250-mail.ntsol.example Hello [192.0.2.10]\r\n250-XXXXXXA\r\n250-PIPELINING\r\n250-8BITMIME\r\n' +
      '250-XXXXXXXA\r\n250-AUTH NTLM\r\n250 SIZE 10485760\r\n' + TX_S2C,
    marks: [
      ['s2c', 'mask-banner', 'changed', BANNER],
      ['s2c', 'esmtp-inspect', 'changed', EXCHANGE_EHLO],
    ],
  },
  'strip-starttls': {
    profile: 'strip-starttls',
    steps: [
      ['s2c', BANNER], ['c2s', EHLO],
      ['s2c', '250-mail.ntsol.example Hello [192.0.2.10]\r\n250-PIPELINING\r\n250-AUTH NTLM\r\n250 STARTTLS\r\n'],
      ['c2s', 'STARTTLS\r\n'],
      ...transaction,
    ],
    c2s: EHLO + TX_C2S,
    s2c: `${BANNER}250-mail.ntsol.example Hello [192.0.2.10]\r\n250-PIPELINING\r\n250 AUTH NTLM\r\n` +
      `454 4.7.0 TLS not available\r\n${TX_S2C}`,
    marks: [
      ['s2c', 'strip-starttls', 'changed', '250-mail.ntsol.example Hello [192.0.2.10]\r\n250-PIPELINING\r\n250-AUTH NTLM\r\n250 STARTTLS\r\n'],
      ['c2s', 'strip-starttls', 'dropped', 'STARTTLS\r\n'],
      ['s2c', 'strip-starttls', 'added', undefined],
    ],
  },
  'ntlm-downgrade': {
    profile: 'ntlm-downgrade',
    steps: [
      ['s2c', BANNER], ['c2s', EHLO], ['s2c', '250-mail.ntsol.example Hello\r\n250 AUTH NTLM\r\n'],
      ['c2s', 'AUTH NTLM\r\n'], ['s2c', '334 ntlm supported\r\n'],
      ['c2s', `${b64(NEGOTIATE)}\r\n`], ['s2c', `334 ${b64(CHALLENGE)}\r\n`],
      ['c2s', `${b64(AUTHENTICATE)}\r\n`], ['s2c', '235 2.7.0 Authentication successful\r\n'],
      ...transaction,
    ],
    c2s: `${EHLO}AUTH NTLM\r\n${b64(NEGOTIATE_DOWN)}\r\n${b64(AUTHENTICATE)}\r\n${TX_C2S}`,
    s2c: `${BANNER}250-mail.ntsol.example Hello\r\n250 AUTH NTLM\r\n334 ntlm supported\r\n334 ${b64(CHALLENGE_DOWN)}\r\n` +
      `235 2.7.0 Authentication successful\r\n${TX_S2C}`,
    marks: [
      ['c2s', 'ntlm-downgrade', 'changed', `${b64(NEGOTIATE)}\r\n`],
      ['s2c', 'ntlm-downgrade', 'changed', `334 ${b64(CHALLENGE)}\r\n`],
    ],
  },
  injector: {
    profile: 'injector',
    steps: [
      ['s2c', BANNER], ['c2s', EHLO], ['s2c', '250-mail.ntsol.example Hello\r\n250 STARTTLS\r\n'],
      ['c2s', 'STARTTLS\r\n'], ['s2c', '220 2.0.0 Ready to start TLS\r\n'],
      // From here on the bytes are TLS records (a ClientHello and a ServerHello start): they pass.
      ['c2s', '\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03RSET\r\n'], ['s2c', '\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03'],
    ],
    c2s: `${EHLO}STARTTLS\r\nRSET\r\n\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03RSET\r\n`,
    s2c: `${BANNER}250-mail.ntsol.example Hello\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03`,
    marks: [['c2s', 'injector', 'added', undefined]],
  },
  rewrite: {
    profile: {
      profile: 'rewrite',
      with: {
        rewrite: {
          rules: [
            { dir: 's2c', match: { regex: '^250([ -])STARTTLS$' }, replace: '250$1XXXXXXXA' },
            { dir: 'c2s', match: 'alice@intellinet.example', replace: 'bob@intellinet.example' },
            { dir: 'c2s', match: { regex: '^RCPT TO:<ceo@', flags: 'i' }, action: 'close' },
          ],
        },
      },
    },
    steps: [['s2c', BANNER], ['c2s', EHLO], ['s2c', EXCHANGE_EHLO], ...transaction],
    c2s: EHLO + TX_C2S.replaceAll('alice@intellinet.example', 'bob@intellinet.example'),
    s2c: BANNER + EXCHANGE_EHLO.replace('250-STARTTLS', '250-XXXXXXXA') + TX_S2C,
    marks: [
      ['s2c', 'rewrite', 'changed', EXCHANGE_EHLO],
      ['c2s', 'rewrite', 'changed', MAIL],
      ['c2s', 'rewrite', 'changed', 'From: alice@intellinet.example\r\n'],
    ],
  },
};
