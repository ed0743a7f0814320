/**
 * A lab's exports opened by Wireshark's engine (docs/packet-view.md): `postcard-lab run --pcap/--export` on
 * shipped scenarios, then tshark on the files — commands and replies from a plaintext run, the MAIL
 * inside TLS only with the Decryption Secrets Block, the account name inside AUTH NTLM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cli, ROOT } from '../helpers/cli.ts';
import { needs } from '../helpers/tools.ts';
import { pcapngBuffer } from '../../app/capture/pcapng.ts';
import { createLab } from '../../app/lab/lab.ts';
import { loadScenarioFile } from '../../app/scenario/load.ts';

const tsharkTool = needs('tshark');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-exports-'));
const pcap = (id: string) => path.join(dir, 'pcap', `${id}.pcapng`);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function tshark(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('tshark', ['-n', ...args], { maxBuffer: 16 << 20 });
  return stdout;
}

beforeAll(async () => {
  const scenarios = ['postcard', 'starttls-partner', 'ntlm-one-way'].map((s) => path.join(ROOT, 'scenarios', `${s}.yaml`));
  const r = await cli('run', ...scenarios, '--pcap', path.join(dir, 'pcap'), '--export', path.join(dir, 'export'));
  expect(r.code, r.err).toBe(0);
});

describe('postcard-lab run --pcap', () => {
  it('writes one pcapng per scenario, and one per capture point that saw packets beside it', () => {
    for (const id of ['postcard', 'starttls-partner', 'ntlm-one-way']) expect(fs.statSync(pcap(id)).size).toBeGreaterThan(1000);
    // postcard's direct path is one point; its own file is the whole capture of that point.
    expect(fs.readdirSync(path.join(dir, 'pcap', 'postcard'))).toEqual(['intellinet-ntsol.pcapng']);
  });

  tsharkTool.it('each point\'s own file opens clean in Wireshark: no retransmissions from copies seen at other points', async () => {
    const r = await cli('run', path.join(ROOT, 'scenarios', 'pix-mailguard.yaml'), '--pcap', path.join(dir, 'pcap-pix'));
    expect(r.code, r.err).toBe(0);
    const perPoint = path.join(dir, 'pcap-pix', 'pix-mailguard');
    expect(fs.readdirSync(perPoint).sort()).toEqual(['intellinet-ntsol-received.pcapng', 'intellinet-ntsol-sent.pcapng', 'intellinet-ntsol-wire.pcapng']);
    const flagged = '-Y', filter = 'tcp.analysis.retransmission || tcp.analysis.duplicate_ack';
    // The file of all three points holds each segment three times: the analysis flags the copies.
    expect(await tshark('-r', path.join(dir, 'pcap-pix', 'pix-mailguard.pcapng'), flagged, filter)).not.toBe('');
    for (const file of fs.readdirSync(perPoint)) expect(await tshark('-r', path.join(perPoint, file), flagged, filter), file).toBe('');
  });

  tsharkTool.it('plaintext run: tshark decodes every SMTP command and reply code', async () => {
    const rows = (await tshark('-r', pcap('postcard'), '-Y', 'smtp', '-T', 'fields', '-e', 'smtp.req.command', '-e', 'smtp.response.code')).trimEnd().split('\n');
    const commands = rows.map((r) => r.split('\t')[0]).filter(Boolean);
    const codes = rows.map((r) => r.split('\t')[1]).filter(Boolean).flatMap((c) => c.split(','));
    expect(commands).toEqual(['EHLO', 'MAIL', 'RCPT', 'DATA', 'QUIT']);
    expect(new Set(codes)).toEqual(new Set(['220', '250', '354', '221']));
  });

  tsharkTool.it('STARTTLS run: MAIL inside TLS is found with the Decryption Secrets Block, and not without it', async () => {
    const withKeys = await tshark('-r', pcap('starttls-partner'), '-Y', 'smtp.req.command == "MAIL"', '-T', 'fields', '-e', 'smtp.req.parameter');
    expect(withKeys).toContain('FROM:<alice@intellinet.example>');
    const loaded = loadScenarioFile(path.join(ROOT, 'scenarios/starttls-partner.yaml'));
    if (!loaded.ok) throw new Error('invalid');
    // The same kind of run, exported with no keys at all: an eavesdropper's capture.
    const lab = await createLab(loaded.scenario.lab);
    try {
      lab.applyAction({ org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls', level: 'encrypt' } });
      lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
      expect(await lab.settle('m1', false)).toBe('delivered');
      const file = path.join(dir, 'no-keys.pcapng');
      fs.writeFileSync(file, pcapngBuffer(lab.capture, []));
      expect(await tshark('-r', file, '-Y', 'smtp.req.command == "MAIL"')).toBe('');
      expect(await tshark('-r', file, '-Y', 'tls.handshake.type == 1', '-T', 'fields', '-e', 'tls.handshake.extensions_server_name')).toContain('mail.ntsol.example');
    } finally {
      await lab.stop();
    }
  });

  tsharkTool.it('NTLM run in the IMS form: tshark decodes the NEGOTIATE on the AUTH line, the CHALLENGE and the AUTHENTICATE, never the password', async () => {
    // The IMS sends its NEGOTIATE as the initial response (`AUTH NTLM TlRM…`, KB Q262945), the form
    // tshark 4.0's SMTP dissector follows (docs/decisions.md).
    const types = await tshark('-r', pcap('ntlm-one-way'), '-o', 'smtp.decryption:TRUE', '-Y', 'ntlmssp', '-T', 'fields', '-e', 'ntlmssp.messagetype');
    expect(types.trim().split('\n').filter(Boolean)).toEqual(['0x00000001', '0x00000002', '0x00000003']);
    const lines = await tshark('-r', pcap('ntlm-one-way'), '-Y', 'smtp.req.command == "AUTH"', '-T', 'fields', '-e', 'smtp.req.parameter');
    expect(lines.trim()).toMatch(/^NTLM TlRMTVNTUAAB[A-Za-z0-9+/]+=*$/);
    const users = await tshark('-r', pcap('ntlm-one-way'), '-o', 'smtp.decryption:TRUE', '-Y', 'ntlmssp.messagetype == 3', '-T', 'fields', '-e', 'ntlmssp.auth.username');
    expect(users.trim()).toBe('DOUG');
    const raw = fs.readFileSync(pcap('ntlm-one-way'));
    expect(raw.includes(Buffer.from('Sunrise-42'))).toBe(false);
    expect(raw.includes(Buffer.from('Sunrise-42', 'utf16le'))).toBe(false);
  });
});

describe('one capture point\'s file (the packet view\'s "this point only")', () => {
  tsharkTool.it('pix-mailguard: the file of all three points holds them all; each point\'s own file opens clean in Wireshark, its Mailguard rewrites where that tap saw them', async () => {
    const loaded = loadScenarioFile(path.join(ROOT, 'scenarios/pix-mailguard.yaml'));
    if (!loaded.ok) throw new Error('invalid');
    const lab = await createLab(loaded.scenario.lab);
    try {
      lab.send({ id: 'm1', from: 'bob@intellinet.example', to: 'sean@ntsol.example', subject: 'Lunch', body: 'At noon?' });
      expect(await lab.settle('m1', false)).toBe('delivered');
      // The path's three points (the listeners' "from outside" points saw nothing here).
      const points = lab.capture.points().filter((p) => p.packets > 0).map((p) => p.id);
      expect(points).toEqual(['intellinet-ntsol/sent', 'intellinet-ntsol/wire', 'intellinet-ntsol/received']);
      const all = path.join(dir, 'pix-all.pcapng');
      fs.writeFileSync(all, pcapngBuffer(lab.capture));
      const interfaces = (file: string) => tshark('-r', file, '-T', 'fields', '-e', 'frame.interface_name').then((o) => new Set(o.trim().split('\n')));
      expect(await interfaces(all)).toEqual(new Set(points));
      const banners: Record<string, string> = {};
      for (const point of points) {
        const file = path.join(dir, `pix-${point.replace("/", "-")}.pcapng`);
        fs.writeFileSync(file, pcapngBuffer(lab.capture, undefined, { point }));
        expect(await interfaces(file)).toEqual(new Set([point]));
        // Wireshark's TCP analysis finds nothing to flag: no "retransmission", "previous segment
        // not captured" or "port numbers reused" from copies of the stream seen at other points.
        expect(await tshark('-r', file, '-Y', 'tcp.analysis.flags && !tcp.analysis.window_update')).toBe('');
        banners[point] = (await tshark('-r', file, '-Y', 'smtp.response.code == 220', '-T', 'fields', '-e', 'smtp.rsp.parameter')).trim();
      }
      // The PIX masks the banner on its way out (5.x keeps 2, 0 and spaces): clear where the server
      // spoke, masked beyond the box.
      expect(banners['intellinet-ntsol/received']).toContain('mail.ntsol.example');
      expect(banners['intellinet-ntsol/sent']).toMatch(/^[*20 ]+$/);
      // Two points' files are what `infer` takes: the PIX between them is found from them alone.
      const inferred = await cli('infer', '--sent', path.join(dir, 'pix-intellinet-ntsol-sent.pcapng'), '--wire', path.join(dir, 'pix-intellinet-ntsol-received.pcapng'));
      expect(inferred.code, inferred.err).toBe(0);
      expect(inferred.out).toContain('inferred chain: mask-banner → command-filter (the pix-5.1 profile)');
    } finally {
      await lab.stop();
    }
  });
});

describe('postcard-lab run --export', () => {
  it('writes the NSS key log, every message as .eml, and both views of every transcript', () => {
    const tls = path.join(dir, 'export', 'starttls-partner');
    expect(fs.readFileSync(path.join(tls, 'keylog.txt'), 'utf8')).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/m); // TLS 1.0: the IMS's era (app/products/)
    const [eml] = fs.readdirSync(path.join(tls, 'messages/ntsol/sean'));
    expect(fs.readFileSync(path.join(tls, 'messages/ntsol/sean', eml), 'utf8')).toMatch(/^Return-Path: <alice@intellinet\.example>\r\nReceived: from mail\.intellinet\.example/);
    const transcripts = path.join(dir, 'export', 'ntlm-one-way', 'transcripts', 'intellinet');
    const text = fs.readdirSync(transcripts).map((f) => fs.readFileSync(path.join(transcripts, f), 'utf8')).join('\n');
    expect(text).toContain('## as the sender saw it');
    expect(text).toContain('=> MAIL FROM:<alice@intellinet.example>');
    expect(text).toContain('## as the receiver got it');
  });
});
