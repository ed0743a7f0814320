// The product registry's proof (docs/products.md): Exim was added as one module and one line in
// app/products/index.ts — nothing else in the sources names it — and it works in a lab, in
// `postcard-lab policy --as`, and in the contract (the schema's profile enum, the OrgView's form).
import { afterEach, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { validateRequest } from '../../app/api/contract.ts';
import { twoOrgs } from '../helpers/lab.ts';
import { cli, ROOT } from '../helpers/cli.ts';
import { drive, type Driven } from '../api/helpers.ts';

const labs: Lab[] = [];
const open: Driven[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
  await Promise.all(open.splice(0).map((d) => d.session.close()));
});

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.(ts|svelte|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

it('touches at most three source files: its module and the registry line', () => {
  const naming = ['app', 'main', 'renderer', 'bin'].flatMap((d) => sourceFiles(path.join(ROOT, d)))
    .filter((f) => /\bexim\b/i.test(fs.readFileSync(f, 'utf8')))
    .map((f) => path.relative(ROOT, f)).sort();
  expect(naming).toEqual(['app/products/exim.ts', 'app/products/index.ts']);
});

it('runs in a lab: Exim receives in its own words and stamps its own Received line', async () => {
  const lab = await createLab(twoOrgs((l) => { l.orgs[1].profile = 'exim'; }));
  labs.push(lab);
  lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Hello Exim', body: 'Hi' });
  expect(await lab.settle('m1', false)).toBe('delivered');
  const text = formatTranscript(lab.entriesOf('m1')[0].attempts[0].transcript);
  expect(text).toMatch(/^<- 220 mail\.ntsol\.example ESMTP Exim 4\.96 Sat, 28 Nov 2026 09:00:\d\d \+0000$/m);
  expect(text).toContain('<- 354 Enter message, ending with "." on a line by itself');
  expect(text).toMatch(/^<- 250 OK id=NTS\w+$/m);
  expect(text).toContain('<- 221 mail.ntsol.example closing connection');
  const sean = lab.servers.get('ntsol')!.mailboxes;
  // The default received_header_text: the HELO name is the verified name, so no helo=; one
  // recipient, so `for`; the date on its own line.
  expect(sean.read('sean', sean.list('sean')[0].id)!.toString()).toMatch(new RegExp([
    '^Return-Path: <alice@intellinet\\.example>',
    'Received: from mail\\.intellinet\\.example \\(\\[192\\.0\\.2\\.10\\]\\)',
    '\tby mail\\.ntsol\\.example with esmtp \\(Exim 4\\.96\\)',
    '\t\\(envelope-from <alice@intellinet\\.example>\\)',
    '\tid NTS\\w+',
    '\tfor sean@ntsol\\.example;',
    '\tSat, 28 Nov 2026 09:00:\\d\\d \\+0000',
    'From: ',
  ].join('\r\n')));
});

it('stamps a STARTTLS session as Exim does: esmtps, $tls_in_ver and the suite\'s standard name', async () => {
  const lab = await createLab(twoOrgs((l) => {
    l.orgs[0].security = [{ domain: 'ntsol.example', method: 'tls', level: 'encrypt' }];
    l.orgs[1].profile = 'exim';
    // OpenSSL 3 takes TLS 1.0 only at @SECLEVEL=0, as a site serving an IMS would configure it.
    l.orgs[1].inbound = { starttls: true, tls: { minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' } };
  }));
  labs.push(lab);
  lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Hello Exim', body: 'Hi' });
  expect(await lab.settle('m1', false)).toBe('delivered');
  const sean = lab.servers.get('ntsol')!.mailboxes;
  // Exchange 5.5 speaks TLS 1.0 with AES-CBC (app/products/exchange-5.5.ts): TLS1.0 in Exim's words.
  expect(sean.read('sean', sean.list('sean')[0].id)!.toString()).toMatch(
    /\r\n\tby mail\.ntsol\.example with esmtps {2}\(TLS1\.0\) tls TLS_RSA_WITH_AES_(128|256)_CBC_SHA\r\n\t\(Exim 4\.96\)\r\n\t\(envelope-from <alice@intellinet\.example>\)\r\n/);
});

it('is a choice of `policy --as`', async () => {
  const r = await cli('policy', path.join(ROOT, 'scenarios/cert-expired.yaml'), '--org', 'intellinet', '--as', 'exim');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^# Exim 4\.96: outbound security per remote domain$/m);
  expect(r.out).toContain('hosts_require_tls / tls_verify_hosts: verify');
  const bad = await cli('policy', path.join(ROOT, 'scenarios/cert-expired.yaml'), '--org', 'intellinet', '--as', 'sendmail');
  expect(bad.err).toContain('--as takes one of exchange-5.5, exchange-2019, postfix, generic, exim, mta-sts, dane');
});

it('is in the contract: a profile the schema accepts, its form and vocabulary in the snapshot', async () => {
  expect(validateRequest('applyAction', { org: 'ntsol', setProfile: 'exim' }).ok).toBe(true);
  expect(validateRequest('applyAction', { org: 'ntsol', setProfile: 'sendmail' }).ok).toBe(false);
  const d = drive();
  open.push(d);
  await d.call('openScenario', { id: 'postcard' });
  await d.call('startLab', {});
  const r = await d.call('applyAction', { org: 'ntsol', setProfile: 'exim' });
  const ntsol = r.snapshot.orgs.find((o) => o.id === 'ntsol')!;
  expect(ntsol).toMatchObject({ profile: 'exim', vocabulary: 'level', form: { title: 'TLS policy for a next-hop domain' } });
  const saved = await d.call('saveSecurity', { org: 'ntsol', domain: 'intellinet.example', setting: { vocabulary: 'level', level: 'encrypt' } });
  expect(saved.snapshot.orgs.find((o) => o.id === 'ntsol')!.security[0]).toMatchObject({ method: 'tls', level: 'encrypt', description: 'hosts_require_tls / tls_verify_hosts: encrypt' });
});
