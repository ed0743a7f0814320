/**
 * The CLI around the tester's tools: `--firewall-config` on run, `firewall import/export`, and
 * `infer` from a capture `run --pcap` wrote to a scenario that runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-cli-tools-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const corpus = (f: string) => path.join(ROOT, 'test/path/vendor/corpus', f);
const scenario = (f: string) => path.join(ROOT, 'scenarios', f);

describe('--firewall-config', () => {
  it('a PIX 5.1 configuration stands in for the pix-5.1 profile: the scenario still passes, every line named on stderr', async () => {
    const r = await cli('run', scenario('pix-mailguard.yaml'), '--firewall-config', corpus('02-pix51-mailguard.cfg'));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/firewall configuration .*02-pix51-mailguard\.cfg \(pix\): \d+ lines understood, \d+ ignored, 0 errors/);
    expect(r.err).toMatch(/line +\d+ +understood +fixup protocol smtp 25 +— Mailguard on port 25/);
    expect(r.err).toMatch(/line +\d+ +ignored +access-list 101 permit tcp any host 192\.0\.2\.25 eq smtp +— access-list: addressing/);
    expect(r.err).toContain('stage chain: mask-banner → command-filter');
  }, 60_000);

  it('an ASA configuration with Mailguard off changes what the scenario sees: its expectations fail', async () => {
    const r = await cli('run', scenario('pix-mailguard.yaml'), '--firewall-config', corpus('10-asa-no-inspect-esmtp.cfg'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL pix-mailguard/);
  }, 60_000);

  it('over a folder, configures the scenarios with a firewall path and runs the others unchanged, naming them on stderr and in every report', async () => {
    const folder = path.join(dir, 'mixed');
    fs.mkdirSync(folder);
    fs.copyFileSync(scenario('pix-mailguard.yaml'), path.join(folder, 'pix-mailguard.yaml'));
    // No firewall path, and an expectation that fails: its rerun hint must run it as it ran, without the configuration.
    const plain = path.join(folder, 'plain.yaml');
    fs.writeFileSync(plain, fs.readFileSync(scenario('postcard.yaml'), 'utf8').replace('id: postcard', 'id: plain').replace('outcome: delivered, wire: cleartext', 'outcome: delivered, wire: encrypted'));
    const config = corpus('02-pix51-mailguard.cfg');
    const reports = path.join(dir, 'mixed-reports');
    const r = await cli('run', folder, '--firewall-config', config, '--junit', path.join(reports, 'j.xml'), '--json', path.join(reports, 'j.json'), '--html', path.join(reports, 'j.html'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^PASS pix-mailguard /m);
    expect(r.out).toMatch(/^FAIL plain /m);
    expect(r.err.split('\n').filter((l) => l.includes('not applied'))).toEqual([`postcard-lab run: --firewall-config ${config}: not applied to a scenario without a firewall path, run unchanged: plain`]);
    expect(r.err.split('\n')).toContain(`    run it again: postcard-lab run ${plain} --seed 7`);

    const junit = fs.readFileSync(path.join(reports, 'j.xml'), 'utf8');
    const suite = (id: string) => junit.slice(junit.indexOf(`<testsuite name="${id}"`), junit.indexOf('</testsuite>', junit.indexOf(`<testsuite name="${id}"`)));
    expect(suite('pix-mailguard')).toContain(`<properties><property name="firewall-config" value="${config}"/><property name="firewall-config-applied" value="true"/></properties>`);
    expect(suite('pix-mailguard')).not.toContain('not applied');
    expect(suite('plain')).toContain(`<property name="firewall-config-applied" value="false"/>`);
    expect(suite('plain')).toContain(`<system-out>--firewall-config ${config}: not applied, this scenario has no firewall path (run unchanged)</system-out>`);
    const json = JSON.parse(fs.readFileSync(path.join(reports, 'j.json'), 'utf8'));
    expect(json.scenarios.map((s: { id: string; firewallConfig: unknown }) => [s.id, s.firewallConfig])).toEqual([
      ['pix-mailguard', { file: config, applied: true }], ['plain', { file: config, applied: false }]]);
    const page = fs.readFileSync(path.join(reports, 'j.html'), 'utf8');
    expect(page).toContain(`<p class="meta">--firewall-config ${config}: not applied, this scenario has no firewall path (run unchanged)</p>`);
    expect(page).toContain(`Run it again: <code>postcard-lab run ${plain} --seed 7</code>`);

    // The same configuration on scenarios none of which has a firewall path tests nothing: refused.
    const none = await cli('run', plain, scenario('cert-expired.yaml'), '--firewall-config', config);
    expect(none.code).toBe(2);
    expect(none.out).toBe('');
    expect(none.err).toContain(`postcard-lab run: --firewall-config ${config}: no scenario given has a path via a firewall to configure (plain, cert-expired)`);
  }, 60_000);

  it('up refuses a scenario with no firewall path to configure', async () => {
    const r = await cli('up', scenario('postcard.yaml'), '--firewall-config', corpus('02-pix51-mailguard.cfg'), '--workspace', path.join(dir, 'up-ws'));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`postcard-lab up: --firewall-config ${corpus('02-pix51-mailguard.cfg')}: scenario "Email between servers travels like a postcard" has no path via a firewall to configure`);
  });

  it('a configuration with an error is exit 2 naming the line', async () => {
    const bad = path.join(dir, 'bad.cfg');
    fs.writeFileSync(bad, 'hostname x\nfixup protocol smtp 2x5\n');
    const r = await cli('run', scenario('pix-mailguard.yaml'), '--firewall-config', bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 2: expected a port or port range/);
  });

  it('a file that is not a firewall configuration is exit 2, not a lab whose firewall passes everything', async () => {
    const notes = path.join(dir, 'notes.txt');
    fs.writeFileSync(notes, 'remember to ask about the edge box\n');
    const r = await cli('run', scenario('pix-mailguard.yaml'), '--firewall-config', notes);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/notes\.txt: line 1: not a command the lab knows \(remember\); nothing in this configuration is a line the lab reads/);
    expect(r.out).not.toMatch(/PASS|FAIL/);
  });
});

describe('firewall import / export', () => {
  it('exports a profile or a scenario path as configuration, and imports it back', async () => {
    const asa = await cli('firewall', 'export', 'asa');
    expect(asa.out).toContain('policy-map type inspect esmtp postcard_esmtp_map');
    const fromScenario = await cli('firewall', 'export', scenario('telnet-through-asa.yaml'));
    expect(fromScenario.out.split('\n')[0]).toBe('! postcard-lab stage slicer {"dir":"c2s"}');
    const file = path.join(dir, 'telnet.cfg');
    fs.writeFileSync(file, `${fromScenario.out}\n`);
    const back = await cli('firewall', 'import', file);
    expect(back.code).toBe(0);
    expect(back.out.split('\n').map((l) => l.split(' ')[0])).toEqual(['slicer', 'mask-banner', 'esmtp-inspect']);
  });

  it('says what is wrong with a flag it cannot honour, instead of ignoring it (exit 2)', async () => {
    const first = async (...argv: string[]) => {
      const r = await cli('firewall', ...argv);
      return [r.code, r.err.split('\n')[0]];
    };
    expect(await first('import', '/nonexistent-pcl.cfg')).toEqual([2, 'postcard-lab firewall: cannot read /nonexistent-pcl.cfg: ENOENT']);
    expect(await first('export', 'pix-5.1', '--dialect', 'asa')).toEqual([2, 'postcard-lab firewall: --dialect asa: pix-5.1\'s chain is written in PIX\'s words (fixup protocol smtp); --dialect chooses only for a chain without SMTP inspection']);
    expect(await first('export', 'asa', '--path', '5')).toEqual([2, 'postcard-lab firewall: --path picks a firewall path of a scenario file; asa is a firewall profile']);
    expect(await first('export', 'nope')).toEqual([2, expect.stringMatching(/^postcard-lab firewall: nope is neither a firewall profile \(pass, pix-4\.4, pix-5\.1, asa, .*\) nor a scenario file$/)]);
    expect(await first('export', scenario('postcard.yaml'))).toEqual([2, `postcard-lab firewall: ${scenario('postcard.yaml')} has no path via a firewall to export`]);
    expect(await first('export', scenario('asa-strips-starttls.yaml'), '--path', '3')).toEqual([2, `postcard-lab firewall: --path takes 1 to 1 (${scenario('asa-strips-starttls.yaml')} has 1 firewall path), not 3`]);
    // Where the dialect does choose the words, it is honoured.
    expect((await cli('firewall', 'export', 'pass', '--dialect', 'asa')).out).toContain('  no inspect esmtp');
    expect((await cli('firewall', 'export', 'pix-5.1', '--dialect', 'pix')).code).toBe(0);
  });

  it('never echoes a configuration\'s control characters to the terminal: the line report escapes them', async () => {
    const file = path.join(dir, 'esc.cfg');
    fs.writeFileSync(file, 'ASA Version 9.1\n\x1b]0;PWNED-TITLE\x07\x1b[2J\x1b[31mred\n');
    const r = await cli('firewall', 'import', file);
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/[\x1b\x07]/);
    expect(r.err).toContain('line   2  ignored     \\x1b]0;PWNED-TITLE\\x07\\x1b[2J\\x1b[31mred');
  });
});

describe('infer', () => {
  it('from a capture run --pcap wrote: the chain, its evidence with packet numbers, and a scenario that runs', async () => {
    const pcaps = path.join(dir, 'pcap');
    expect((await cli('run', scenario('asa-strips-starttls.yaml'), '--pcap', pcaps)).code).toBe(0);
    const file = path.join(pcaps, 'asa-strips-starttls.pcapng');
    const out = path.join(dir, 'case.yaml');
    const r = await cli('infer', '--sent', file, '--wire', file, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('inferred chain: mask-banner → esmtp-inspect (the asa profile)');
    expect(r.out).toMatch(/because esmtp-inspect: EHLO keywords masked X…A: STARTTLS, SMTPUTF8 \(sent packets? [\d, ]+; wire packet \d+\)/);
    const again = await cli('run', out);
    expect(again.code, again.out + again.err).toBe(0);
    const json = JSON.parse((await cli('infer', '--sent', file, '--wire', file, '--json')).out) as { profile: string; unexplained: unknown[] };
    expect(json).toMatchObject({ profile: 'asa', unexplained: [] });
  }, 120_000);

  it('names a missing flag or an unreadable file (exit 2)', async () => {
    expect(await cli('infer', '--sent', 'a.pcap')).toMatchObject({ code: 2, err: expect.stringMatching(/needs --sent FILE .* and --wire FILE/) });
    const txt = path.join(dir, 'x.txt');
    fs.writeFileSync(txt, 'not a capture at all');
    expect(await cli('infer', '--sent', txt, '--wire', txt)).toMatchObject({ code: 2, err: expect.stringMatching(/not a pcap or pcapng file/) });
  });

  it('says a capture of a link type it cannot read is that, not "0 SMTP sessions" (exit 2)', async () => {
    // A classic pcap (little-endian, µs) of link type 9999 with one 20-octet packet.
    const head = Buffer.alloc(24);
    head.writeUInt32LE(0xa1b2c3d4, 0);
    head.writeUInt16LE(2, 4);
    head.writeUInt16LE(4, 6);
    head.writeUInt32LE(65535, 16);
    head.writeUInt32LE(9999, 20);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(20, 8);
    record.writeUInt32LE(20, 12);
    const file = path.join(dir, 'linktype.pcap');
    fs.writeFileSync(file, Buffer.concat([head, record, Buffer.alloc(20, 0x79)]));
    const r = await cli('infer', '--sent', file, '--wire', file);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, `postcard-lab infer: ${file}: its packets have link type 9999, which infer does not read (it reads Ethernet 1, BSD loopback 0/108, raw IP 101/12/14, raw IPv4 228, raw IPv6 229, Linux cooked 113, Linux cooked v2 276)`]);
    expect(r.out).toBe('');
  });

  it('names the flag and the path of a folder, an unwritable --out, an unknown --path or interface, an extra argument (exit 2)', async () => {
    const pcaps = path.join(dir, 'pcap-flags');
    expect((await cli('run', scenario('asa-strips-starttls.yaml'), '--pcap', pcaps)).code).toBe(0);
    const file = path.join(pcaps, 'asa-strips-starttls.pcapng');
    const folder = fs.mkdtempSync(path.join(dir, 'folder-'));
    const first = (r: { err: string }) => r.err.split('\n')[0];
    const sent = await cli('infer', '--sent', folder, '--wire', file);
    expect([sent.code, first(sent)]).toEqual([2, `postcard-lab infer: --sent: ${folder} is a folder, not a file`]);
    const out = await cli('infer', '--sent', file, '--wire', file, '--out', folder);
    expect([out.code, first(out)]).toEqual([2, `postcard-lab infer: --out: ${folder} is a folder; give a file name`]);
    const p = await cli('infer', '--sent', file, '--wire', file, '--path', 'nope');
    expect([p.code, first(p)]).toEqual([2, 'postcard-lab infer: --path: no lab path nope in the captures (paths: intellinet-ntsol)']);
    const iface = await cli('infer', '--sent', file, '--wire', file, '--sent-interface', 'nope');
    expect([iface.code, first(iface)]).toEqual([2, expect.stringMatching(/^postcard-lab infer: --sent-interface: no interface nope in .*asa-strips-starttls\.pcapng \(interfaces: .*intellinet-ntsol\/sent/)]);
    const extra = await cli('infer', '--sent', file, '--wire', file, 'extra');
    expect([extra.code, first(extra)]).toEqual([2, 'postcard-lab infer: infer takes its captures as --sent and --wire, not as arguments (got extra)']);
  }, 60_000);
});
