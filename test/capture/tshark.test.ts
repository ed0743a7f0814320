/**
 * Files written by our pcapng writer, read by a real Wireshark (tshark): SMTP decodes, NTLMSSP in
 * AUTH lines decodes, and a real TLS 1.3 STARTTLS session decrypts only with the key log in the
 * Decryption Secrets Block.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs } from '../helpers/tools.ts';
import { promisify } from 'node:util';
import { CaptureStore } from '../../app/capture/store.ts';
import { pcapngBuffer } from '../../app/capture/pcapng.ts';
import { POINT, plainSession, tapScript } from './tap-script.ts';
import type { Chunk } from './tap-script.ts';
import { recordStartTls } from './tls-session.ts';
import { authenticateMessage, challengeMessage, negotiateMessage } from './dissect/ntlm-vectors.ts';

const TSHARK = '/usr/bin/tshark';
const run = promisify(execFile);
const tool = needs('tshark');

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postcard-capture-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function capture(name: string, chunks: Chunk[], opts: { keys?: string[]; mss?: number } = {}): Promise<string> {
  const store = new CaptureStore({ mss: opts.mss });
  store.addPoint(POINT);
  store.ingestAll(tapScript(chunks));
  if (opts.keys) store.setKeys('c1', { tlsKeyLog: opts.keys });
  const file = join(dir, `${name}.pcapng`);
  await writeFile(file, pcapngBuffer(store));
  return file;
}

async function tshark(file: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await run(TSHARK, ['-r', file, '-o', 'tcp.desegment_tcp_streams:TRUE', ...args], { maxBuffer: 16 << 20 });
  return stdout.split('\n').filter((l) => l !== '');
}

tool.describe('tshark reads our captures', () => {
  it('decodes SMTP commands and reply codes of a plaintext session', async () => {
    const file = await capture('plain', plainSession('Trial results'));
    const rows = await tshark(file, '-Y', 'smtp', '-T', 'fields', '-e', 'smtp.req.command', '-e', 'smtp.response.code');
    expect(rows.map((r) => r.replace(/\t/g, ' ').trim())).toEqual(['220', 'EHLO', '250', 'MAIL', '250', 'RCPT', '250', 'DATA', '354', '', '250', 'QUIT', '221']);
    expect(await tshark(file, '-Y', 'imf', '-T', 'fields', '-e', 'imf.subject')).toEqual(['Trial results']);
  });

  it('finds every IPv4 and TCP checksum good and names the interface after the capture point', async () => {
    const file = await capture('checksums', plainSession('x', 'odd length body!'));
    const bad = await tshark(file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-Y', 'ip.checksum.status != 1 || tcp.checksum.status != 1');
    expect(bad).toEqual([]);
    expect(new Set(await tshark(file, '-T', 'fields', '-e', 'frame.interface_name'))).toEqual(new Set(['p1']));
    expect(await tshark(file, '-Y', 'tcp.analysis.flags && !tcp.analysis.window_update')).toEqual([]);
  });

  it('reassembles a message cut into 1460-byte segments', async () => {
    const body = `${'z'.repeat(998)}\r\n`.repeat(6);
    const file = await capture('segments', plainSession('Across segments', body));
    expect(await tshark(file, '-Y', 'imf', '-T', 'fields', '-e', 'imf.subject')).toEqual(['Across segments']);
    expect((await tshark(file, '-Y', 'tcp.len == 1460')).length).toBe(4);
  });

  it('shows the user name of the NTLMSSP AUTHENTICATE with smtp.decryption on', async () => {
    const b64 = (b: Buffer) => b.toString('base64');
    const file = await capture('ntlm', [
      ['s2c', '220 mail.ntsol.example Microsoft ESMTP MAIL Service ready\r\n'],
      ['c2s', 'EHLO mail.intellinet.example\r\n'],
      ['s2c', '250-mail.ntsol.example\r\n250 AUTH NTLM\r\n'],
      ['c2s', `AUTH NTLM ${b64(negotiateMessage())}\r\n`],
      ['s2c', `334 ${b64(challengeMessage)}\r\n`],
      ['c2s', `${b64(authenticateMessage)}\r\n`],
      ['s2c', '235 2.7.0 Authentication successful\r\n'],
    ]);
    const rows = await tshark(file, '-o', 'smtp.decryption:TRUE', '-Y', 'ntlmssp.messagetype == 3', '-T', 'fields', '-e', 'ntlmssp.auth.username', '-e', 'ntlmssp.auth.domain', '-e', 'ntlmssp.auth.hostname');
    expect(rows).toEqual(['User\tDomain\tCOMPUTER']);
  });

  it('decrypts a real TLS 1.3 STARTTLS session with the DSB, and not without it', async () => {
    const rec = await recordStartTls({ subject: 'Under TLS', body: 'Hello Sean' });
    expect(rec.keyLog.some((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0 '))).toBe(true);
    const mail = ['-Y', 'smtp.req.command == "MAIL"', '-T', 'fields', '-e', 'smtp.req.parameter'];
    const withKeys = await capture('tls13-keys', rec.chunks, { keys: rec.keyLog });
    expect(await tshark(withKeys, ...mail)).toEqual(['FROM:<alice@intellinet.example>']);
    expect(await tshark(withKeys, '-Y', 'tls.handshake.type == 2', '-T', 'fields', '-e', 'tls.handshake.extensions.supported_version')).toEqual(['0x0304']);
    const without = await capture('tls13-nokeys', rec.chunks);
    expect(await tshark(without, ...mail)).toEqual([]);
    expect((await tshark(without, '-Y', 'smtp.req.command == "STARTTLS" || smtp.req.command == "STAR"')).length).toBe(1);
  });
});
