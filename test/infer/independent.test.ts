/**
 * infer on captures written by an independent generator (test/infer/generator.ts): a PIX 5.1
 * Mailguard dialogue written out by hand on both sides of the box, in classic pcap (both byte
 * orders, µs and ns) and pcapng (both byte orders), over Ethernet, raw IP and Linux cooked
 * captures, with retransmitted and reordered segments. Differences no stage explains are reported
 * with the generator's packet numbers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inferFromFiles } from '../../app/infer/captures.ts';
import { readCapture } from '../../app/infer/pcap.ts';
import { profileStages } from '../../app/path/profiles.ts';
import { normalizeChain } from '../../app/path/vendor/chain.ts';
import { conversationFrames, writePcap, writePcapng, type Conversation, type LinkType, type Turn } from './generator.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-infer-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// The banner as the server sent it, and as PIX 5.1+ shows it: every character but 2, 0 and the
// space becomes * (written out by hand from the rule in docs/stages.md).
const BANNER = '220 mx.partner.example ESMTP 2020 ready\r\n';
const MASKED = '220 ****************** ***** 2020 *****\r\n';
const EHLO = 'EHLO gw.sender.example\r\n';
const EHLO_AS_NOOP = 'NOOP                  \r\n';
const rest = (mailReply: string): Turn[] => [
  { dir: 'c2s', text: 'MAIL FROM:<ann@sender.example>\r\n' },
  { dir: 's2c', text: mailReply },
  { dir: 'c2s', text: 'RCPT TO:<bo@partner.example>\r\n' },
  { dir: 's2c', text: '250 2.1.5 Ok\r\n' },
  { dir: 'c2s', text: 'DATA\r\n' },
  { dir: 's2c', text: '354 End data with <CR><LF>.<CR><LF>\r\n' },
  { dir: 'c2s', text: 'Subject: Quarterly figures\r\n\r\nBo, the figures.\r\n.\r\n' },
  { dir: 's2c', text: '250 2.0.0 Ok: queued as 4F2A1\r\n' },
  { dir: 'c2s', text: 'QUIT\r\n' },
  { dir: 's2c', text: '221 2.0.0 Bye\r\n' },
];
const sentSide = (o: Partial<Conversation> = {}): Conversation => ({
  client: ['10.0.0.5', 40001], server: ['10.0.0.1', 25], mss: 7,
  turns: [{ dir: 's2c', text: MASKED }, { dir: 'c2s', text: EHLO }, { dir: 's2c', text: '250 mx.partner.example\r\n' }, ...rest('250 2.1.0 Ok\r\n')], ...o,
});
const wireSide = (o: Partial<Conversation> = {}, mailReply = '250 2.1.0 Ok\r\n'): Conversation => ({
  client: ['203.0.113.9', 51000], server: ['198.51.100.7', 25], mss: 1460,
  turns: [{ dir: 's2c', text: BANNER }, { dir: 'c2s', text: EHLO_AS_NOOP }, { dir: 's2c', text: '250 mx.partner.example\r\n' }, ...rest(mailReply)], ...o,
});

function write(name: string, format: string, type: LinkType, conv: Conversation): string {
  const frames = conversationFrames(conv, type);
  const file = path.join(dir, name);
  const data = format === 'pcap-le' ? writePcap(frames, type)
    : format === 'pcap-be-ns' ? writePcap(frames, type, { bigEndian: true, nano: true })
    : format === 'pcapng-be' ? writePcapng(frames, type, { bigEndian: true })
    : writePcapng(frames, type);
  fs.writeFileSync(file, data);
  return file;
}

const formats: [string, LinkType][] = [['pcap-le', 'ethernet'], ['pcap-be-ns', 'raw'], ['pcapng-le', 'sll'], ['pcapng-be', 'ethernet']];

describe('a hand-written PIX 5.1 Mailguard session, both sides', () => {
  for (const [format, type] of formats) {
    it(`${format} over ${type}, with a retransmission and reordered segments`, () => {
      const sent = write(`sent-${format}`, format, type, sentSide({ duplicate: 3, swap: 6 }));
      const wire = write(`wire-${format}`, format === 'pcap-le' ? 'pcapng-be' : 'pcap-le', 'ethernet', wireSide());
      const inf = inferFromFiles(sent, wire);
      expect(inf.unexplained).toEqual([]);
      expect(inf.pairs).toHaveLength(1);
      expect(inf.chain).toEqual(normalizeChain(profileStages('pix-5.1')));
      const ev = inf.evidence.map((e) => e.stage);
      expect(ev).toEqual(['mask-banner', 'command-filter']);
    });
  }

  it('names the packets of its evidence as the generator numbered them', () => {
    const sent = write('sent-numbers', 'pcap-le', 'ethernet', sentSide({ mss: 1460 }));
    const wire = write('wire-numbers', 'pcap-le', 'ethernet', wireSide());
    const inf = inferFromFiles(sent, wire);
    // SYN, SYN-ACK, ACK, then the banner (4), EHLO (5): the same numbers on both sides.
    expect(inf.evidence[0]).toMatchObject({ stage: 'mask-banner', sentPackets: [4], wirePackets: [4] });
    expect(inf.evidence[1]).toMatchObject({ stage: 'command-filter', sentPackets: [5], wirePackets: [5] });
    expect(readCapture(fs.readFileSync(sent))).toHaveLength(3 + 13 + 2);
  });
});

describe('what no stage explains is reported with packet numbers', () => {
  it('a reply that changed its number of lines, and a session seen on one side only', () => {
    const sent = write('sent-odd', 'pcap-le', 'ethernet', sentSide({ mss: 1460 }));
    const wireConv = wireSide({}, '250-2.1.0 Ok\r\n250 2.1.0 Sender accepted\r\n');
    const extra: Conversation = { client: ['203.0.113.9', 51001], server: ['198.51.100.7', 25], turns: [{ dir: 's2c', text: BANNER }, { dir: 'c2s', text: 'QUIT\r\n' }, { dir: 's2c', text: '221 Bye\r\n' }] };
    const frames = [...conversationFrames(wireConv, 'ethernet'), ...conversationFrames(extra, 'ethernet', 1_700_000_100)];
    const wire = path.join(dir, 'wire-odd');
    fs.writeFileSync(wire, writePcap(frames, 'ethernet'));
    const inf = inferFromFiles(sent, wire);
    expect(inf.chain.map((r) => r.name)).toEqual(['mask-banner', 'command-filter']);
    expect(inf.unexplained).toEqual([
      // SYN, SYN-ACK, ACK, banner, EHLO, 250, MAIL (7), its reply (8).
      { text: 'the reply to MAIL differs in its number of lines ("250-2.1.0 Ok / 250 2.1.0 Sender accepted" sent, "250 2.1.0 Ok" received)', sentPackets: [8], wirePackets: [8] },
      { text: 'an SMTP session on only the wire side (203.0.113.9:51001 → 198.51.100.7:25)', sentPackets: [], wirePackets: [19] },
    ]);
  });

  it('refuses a file that is not a capture, naming it', () => {
    const bad = path.join(dir, 'not-a-capture.txt');
    fs.writeFileSync(bad, 'hello, this is text');
    expect(() => inferFromFiles(bad, bad)).toThrow(/not-a-capture\.txt: not a pcap or pcapng file/);
  });
});

describe('a PIX 4.4 greeting that never ended', () => {
  it('is the banner mask even when the server\'s timeout ran on in its line', () => {
    // PIX 4.4 masks the line end too (docs/stages.md): the sender waits for the end of the
    // greeting, and the server's own 421 at its timeout lands in the same line on the sender's side.
    const timeout = '421 4.4.2 mx.partner.example Error: timeout exceeded\r\n';
    const stars = '*'.repeat(BANNER.length - 4);
    const sent = write('sent-44', 'pcap-le', 'ethernet', { client: ['10.0.0.5', 40002], server: ['10.0.0.1', 25], turns: [{ dir: 's2c', text: `220 ${stars}` }, { dir: 's2c', text: timeout }] });
    const wire = write('wire-44', 'pcap-le', 'ethernet', { client: ['203.0.113.9', 51002], server: ['198.51.100.7', 25], turns: [{ dir: 's2c', text: BANNER }, { dir: 's2c', text: timeout }] });
    const inf = inferFromFiles(sent, wire);
    // The mask alone tells PIX 4.4: its chain is the profile's (the command filter came with it).
    expect(inf.chain).toEqual(normalizeChain(profileStages('pix-4.4')));
    expect(inf.unexplained).toEqual([]);
  });
});
