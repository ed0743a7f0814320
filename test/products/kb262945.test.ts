// Replays the NT challenge/response session of Microsoft KB Q262945 (an Exchange 5.5 IMS SMTP log)
// against two exchange-5.5 servers of the lab, line by line. The expected lines below are the
// KB's exchange as we read it, written out by hand (blobs and sizes as patterns): the EHLO list
// without NTLM, `AUTH NTLM <NEGOTIATE>` sent anyway on one line, `334 <CHALLENGE>`, `235 ntlm
// authentication successful`, then straight to `MAIL FROM:<…> SIZE=… RET=FULL` with no second EHLO,
// `; can accomodate <n> bytes` (sic) and `NOTIFY=FAILURE,DELAY`. The KB's log has no banner; the
// banner line is KB Q173656's. In the lab
// everything after 235 runs inside the NTLM seal (`=>`/`<=`, a labelled reconstruction: docs/ntlm.md).
import { afterEach, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { twoOrgs } from '../helpers/lab.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

const B64 = /^[A-Za-z0-9+/]+=*$/;
const KB_Q262945: (string | RegExp)[] = [
  '<- 220 mail.ntsol.example ESMTP Server (Microsoft Exchange Internet Mail Service 5.5.2653.13) ready',
  '-> EHLO mail.intellinet.example',
  '<- 250-mail.ntsol.example Hello [192.0.2.10]',
  '<- 250-XEXCH50',
  '<- 250-HELP',
  '<- 250-ETRN',
  '<- 250-DSN',
  '<- 250-SIZE 0',
  '<- 250-AUTH LOGIN',
  '<- 250 AUTH=LOGIN',
  /^-> AUTH NTLM TlRMTVNTUAABAAAA[A-Za-z0-9+/]+=*$/, // NEGOTIATE (type 1) as the initial response
  /^<- 334 TlRMTVNTUAACAAAA[A-Za-z0-9+/]+=*$/, // CHALLENGE (type 2)
  /^-> TlRMTVNTUAADAAAA[A-Za-z0-9+/]+=*$/, // AUTHENTICATE (type 3)
  '<- 235 ntlm authentication successful',
  /^=> MAIL FROM:<alice@intellinet\.example> SIZE=\d+ RET=FULL$/,
  /^<= 250 OK - mail from <alice@intellinet\.example>; can accomodate \d+ bytes$/,
  '=> RCPT TO:<sean@ntsol.example> NOTIFY=FAILURE,DELAY',
  '<= 250 OK - Recipient <sean@ntsol.example>',
  '=> DATA',
  '<= 354 Send data.  End with CRLF.CRLF',
  /^=> << message of \d+ octets >>$/,
  '<= 250 OK',
  '=> QUIT',
  '<= 221 closing connection',
];

it('replays KB Q262945 against the exchange-5.5 profile, line by line', async () => {
  const logon = { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' };
  const lab = await createLab(twoOrgs((l) => {
    l.orgs[0].nt = { domain: 'INTELLINET', crypto: 'us-128' };
    l.orgs[0].security = [{ domain: 'ntsol.example', method: 'ntlm', logon }];
    l.orgs[1].nt = { domain: 'NTSOL', crypto: 'us-128' };
    l.orgs[1].accounts = [logon];
  }));
  labs.push(lab);
  lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Trial results', body: 'Hi Sean. Alice' });
  expect(await lab.settle('m1', false)).toBe('delivered');
  const [attempt] = lab.entriesOf('m1')[0].attempts;
  // The lab's own notes (`===`) are not on the wire; everything else is, in order.
  const lines = formatTranscript(attempt.transcript).split('\n').filter((l) => !l.startsWith('==='));
  expect(lines).toHaveLength(KB_Q262945.length);
  KB_Q262945.forEach((want, i) => {
    if (typeof want === 'string') expect(lines[i], `line ${i + 1}`).toBe(want);
    else expect(lines[i], `line ${i + 1}`).toMatch(want);
  });
  expect(B64.test(lines[10].slice('-> AUTH NTLM '.length))).toBe(true);
  // The size the server says it can take is the one the client announced.
  const announced = /SIZE=(\d+)/.exec(lines[14])![1];
  expect(lines[15]).toContain(`can accomodate ${announced} bytes`);
  // The receiving IMS stamps its own trace line: no ESMTPA, its version string (KB-era headers).
  const sean = lab.servers.get('ntsol')!.mailboxes;
  expect(sean.read('sean', sean.list('sean')[0].id)!.toString()).toMatch(/^Return-Path: <alice@intellinet\.example>\r\nReceived: from mail\.intellinet\.example \(\[192\.0\.2\.10\]\) by mail\.ntsol\.example with SMTP \(Microsoft Exchange Internet Mail Service Version 5\.5\.2653\.13\)\r\n\tid /);
});
