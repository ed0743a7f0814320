import { afterEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { dsnFields } from '../../app/scenario/expect.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { encodeChallenge } from '../../app/ntlm/messages.ts';
import { NTLMSSP_NEGOTIATE_NTLM, NTLMSSP_NEGOTIATE_SIGN, NTLMSSP_NEGOTIATE_UNICODE, NTLMSSP_REQUEST_TARGET } from '../../app/ntlm/flags.ts';
import { bareSmtpServer, twoOrgs, type BareServer, type LabInput } from '../helpers/lab.ts';
import { scriptedSmtp, type ScriptedServer } from '../helpers/scripted.ts';

const labs: Lab[] = [];
const peers: (BareServer | ScriptedServer)[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

const logon = { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' };

/** Intellinet sends to ntsol.example with method ntlm; `patch` sets the partner up. */
async function ntlmLab(patch: (l: LabInput) => void = () => {}, entry: Record<string, unknown> = {}) {
  const lab = await createLab(twoOrgs((l) => {
    l.orgs[0].nt = { domain: 'INTELLINET', crypto: 'us-128' };
    l.orgs[0].security = [{ domain: 'ntsol.example', method: 'ntlm', logon, ...entry }];
    l.orgs[0].queue = { lifetime: '1h' };
    l.orgs[1].nt = { domain: 'NTSOL', crypto: 'export-40' };
    l.orgs[1].accounts = [logon];
    patch(l);
  }));
  labs.push(lab);
  return lab;
}

async function sendAndSettle(lab: Lab, deferredIsFinal = false) {
  lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Trial results', body: 'Hi Sean, the results. Alice' });
  const outcome = await lab.settle('m1', deferredIsFinal);
  const attempts = lab.entriesOf('m1')[0].attempts;
  return { outcome, attempts, text: attempts.map((a) => formatTranscript(a.transcript)).join('\n') };
}

/** docs/lab.md, "Fail closed": on a fail-closed hop, not one canary in the reassembled streams of any tap. */
function expectNoLeak(lab: Lab) {
  expect(lab.leaks('m1')).toEqual([]);
  const wire = Buffer.concat([...lab.taps.records].map((r) => r.bytes)).toString('latin1');
  expect(wire).not.toContain('MAIL FROM:<alice@intellinet.example>');
  expect(wire).not.toContain('Hi Sean, the results');
}

describe('method ntlm through the lab', () => {
  it('logs on, seals, and delivers with the negotiated strength; nothing readable crosses', async () => {
    const lab = await ntlmLab();
    const { outcome, attempts } = await sendAndSettle(lab);
    expect(outcome).toBe('delivered');
    expect(attempts[0]).toMatchObject({ sealed: true, keyBits: 40 });
    expectNoLeak(lab);
    // The key hand-off: the capture knows the session keys of the connection (for "decrypt with lab keys").
    expect(lab.taps.keys.get(attempts[0].conn!)?.ntlm?.keyBits).toBe(40);
    const sean = lab.servers.get('ntsol')!.mailboxes;
    // The IMS's trace line says nothing of the logon (no ESMTPA before RFC 3848): app/products/exchange-5.5.ts.
    expect(sean.read('sean', sean.list('sean')[0].id)!.toString()).toMatch(/^Return-Path: <alice@intellinet\.example>\r\nReceived: from mail\.intellinet\.example \(\[192\.0\.2\.10\]\) by mail\.ntsol\.example with SMTP \(Microsoft Exchange Internet Mail Service/);
  });

  it('bounces at once on 535, with an RFC 3464 report carrying the 535 and the original headers', async () => {
    const lab = await ntlmLab((l) => { l.orgs[1].accounts = []; });
    const { outcome, attempts } = await sendAndSettle(lab);
    expect(outcome).toBe('bounced');
    expect(attempts).toHaveLength(1);
    expectNoLeak(lab);
    const alice = lab.servers.get('intellinet')!.mailboxes;
    const item = alice.list('alice').find((m) => m.kind === 'bounce')!;
    const raw = alice.read('alice', item.id)!;
    const parsed = await simpleParser(raw);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/report', params: { 'report-type': 'delivery-status' } });
    const dsn = dsnFields(raw);
    expect(dsn.status).toMatch(/^5\.7\.\d+$/);
    expect(dsn.diagnostic).toBe('smtp; 535 ntlm authentication failed');
    const headers = parsed.attachments.find((a) => a.contentType === 'text/rfc822-headers')!.content.toString();
    expect(headers).toContain('Subject: Trial results [');
    expect(headers).toContain('From: alice@intellinet.example');
    expect(item.cause).toMatchObject({ queueId: lab.entriesOf('m1')[0].id, conn: attempts[0].conn });
  });

  it('defers when AUTH NTLM is not offered, retries, and bounces at the end of the lifetime', async () => {
    // A modern sender checks the EHLO keyword (the IMS sends AUTH NTLM blind: see the next test).
    const lab = await ntlmLab((l) => { delete l.orgs[1].nt; l.orgs[0].profile = 'generic'; });
    const first = await sendAndSettle(lab, true);
    expect(first.outcome).toBe('deferred');
    expect(first.text).toContain('NTLM authentication is required, but was not offered by host mail.ntsol.example[198.51.100.25]');
    expect(await lab.settle('m1', false)).toBe('bounced');
    expect(lab.entriesOf('m1')[0].attempts.length).toBeGreaterThan(3);
    expectNoLeak(lab);
  });

  it('the IMS sends AUTH NTLM blind (KB Q262945): a partner without NTLM refuses it, the message waits, nothing crosses', async () => {
    const lab = await ntlmLab((l) => { delete l.orgs[1].nt; });
    const first = await sendAndSettle(lab, true);
    expect(first.outcome).toBe('deferred');
    expect(first.text).toMatch(/^-> AUTH NTLM TlRMTVNTUAAB[A-Za-z0-9+/]+=*$/m);
    expect(first.text).toContain('<- 500 Command unrecognized');
    expect(first.text).not.toContain('MAIL FROM');
    expectNoLeak(lab);
  });

  it('defers on 504 from a server that advertises AUTH NTLM but cannot do it', async () => {
    const partner = await bareSmtpServer({ authMethods: ['NTLM'], authOptional: true, allowInsecureAuth: true });
    peers.push(partner);
    const lab = await ntlmLab((l) => { l.orgs[1].external = { smtp: `127.0.0.1:${partner.port}` }; });
    const { outcome, text } = await sendAndSettle(lab, true);
    expect(outcome).toBe('deferred');
    expect(text).toMatch(/<- 504 5\.5\.4 Unrecognized authentication type/);
    expectNoLeak(lab);
    expect(partner.received).toEqual([]);
  });

  it('defers on 500 to AUTH', async () => {
    const peer = await scriptedSmtp((line) => (/^EHLO/.test(line) ? '250-scripted.example\r\n250 AUTH NTLM' : /^AUTH/.test(line) ? '500 5.5.1 Command unrecognized' : /^QUIT/.test(line) ? '221 bye' : '250 ok'));
    peers.push(peer);
    const lab = await ntlmLab((l) => { l.orgs[1].external = { smtp: `127.0.0.1:${peer.port}` }; });
    const { outcome, text } = await sendAndSettle(lab, true);
    expect(outcome).toBe('deferred');
    expect(text).toContain('500 5.5.1 Command unrecognized (in reply to AUTH NTLM)');
    expect(peer.lines.some((l) => l.startsWith('MAIL'))).toBe(false);
    expectNoLeak(lab);
  });

  it('never logs on to a session whose CHALLENGE does not grant SEAL', async () => {
    // A CHALLENGE (MS-NLMP §2.2.1.2) without NEGOTIATE_SEAL, as a downgrading middlebox leaves it.
    const challenge = encodeChallenge({ flags: NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_NTLM, serverChallenge: Buffer.alloc(8, 7), targetName: 'NTSOL' });
    let step = 0;
    const peer = await scriptedSmtp((line) => {
      if (/^EHLO/.test(line)) return '250-scripted.example\r\n250 AUTH NTLM';
      if (/^AUTH NTLM/.test(line)) return '334 ntlm supported';
      if (/^QUIT/.test(line)) return '221 bye';
      if (/^\*$/.test(line)) return '501 5.7.0 cancelled';
      if (step++ === 0) return `334 ${challenge.toString('base64')}`;
      return '235 2.7.0 Authentication successful';
    });
    peers.push(peer);
    const lab = await ntlmLab((l) => { l.orgs[1].external = { smtp: `127.0.0.1:${peer.port}` }; });
    const { outcome, text } = await sendAndSettle(lab, true);
    expect(outcome).toBe('deferred');
    expect(text).toContain('NTLM sealing is required, but host mail.ntsol.example[198.51.100.25] did not negotiate SEAL');
    // The AUTHENTICATE message was never sent: after the NEGOTIATE only the cancel `*` followed.
    expect(peer.lines.filter((l) => /^TlRMTVNTUAAD/.test(l))).toEqual([]);
    expectNoLeak(lab);
  });

  it('refuses a 40-bit session when minKeyBits is 128', async () => {
    const lab = await ntlmLab(() => {}, { minKeyBits: 128 });
    const { outcome, text } = await sendAndSettle(lab, true);
    expect(outcome).toBe('deferred');
    expect(text).toContain('NTLM session key is 40-bit, weaker than the required 128-bit');
    expectNoLeak(lab);
  });
});
