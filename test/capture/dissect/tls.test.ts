import { describe, expect, it } from 'vitest';
import { TlsSession } from '../../../app/capture/dissect/tls.ts';
import { smtpDissector } from '../../../app/capture/dissect/smtp.ts';
import { DECRYPTABLE, hkdfExpandLabel, openTls13, parseKeyLog, tls12Prf, tls13TrafficKeys } from '../../../app/capture/dissect/tls-crypto.ts';
import type { StreamDissector } from '../../../app/capture/dissect/types.ts';
import { tapScript } from '../tap-script.ts';
import { recordStartTls } from '../tls-session.ts';
import { CaptureStore } from '../../../app/capture/store.ts';
import { run, values } from './run.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 8448 §3 (Simple 1-RTT Handshake): published inputs and outputs.
const rfc8448 = {
  clientHelloRecord: hex(`16030100c4 010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7
    000006130113031302 0100 0091 0000000b0009000006736572766572 ff01000100
    000a00140012001d0017001800190100010101020103 0104 00230000 003300260024001d0020
    99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c 002b0003020304
    000d0020001e040305030603020308040805080604010501060102010402050206020202 002d00020101 001c00024001`),
  serverHello: hex(`020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e
    00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304`),
  clientRandom: 'cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7',
  clientAppSecret: hex('9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5'),
  clientAppKey: '17422dda596ed5d9acd890e3c63f5051',
  clientAppIv: '5b78923dee08579033e523d9',
  serverAppSecret: hex('a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643'),
  serverAppKey: '9f02283b6c9c07efc26bb9f2ac92e356',
  serverAppIv: 'cf782b88dd83549aadf1e984',
  /** {client} send application_data record, payload 00 01 … 31 (50 octets). */
  clientAppRecord: hex(`17030300 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa
    66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd
    1e 3d ea e6 3a ee bb 21 69 49 15 e4`),
};
const payload50 = Buffer.from(Array.from({ length: 50 }, (_, i) => i));

function record(type: number, body: Buffer, version = 0x0303): Buffer {
  const h = Buffer.from([type, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([h, body]);
}

describe('TLS key schedule (RFC 8446 §7.1, §7.3) and PRF (RFC 5246 §5)', () => {
  it('derives the RFC 8448 application traffic keys and IVs', () => {
    const suite = DECRYPTABLE.get(0x1301)!;
    const c = tls13TrafficKeys(suite, rfc8448.clientAppSecret);
    const s = tls13TrafficKeys(suite, rfc8448.serverAppSecret);
    expect([c.key.toString('hex'), c.iv.toString('hex')]).toEqual([rfc8448.clientAppKey, rfc8448.clientAppIv]);
    expect([s.key.toString('hex'), s.iv.toString('hex')]).toEqual([rfc8448.serverAppKey, rfc8448.serverAppIv]);
    expect(hkdfExpandLabel('sha256', rfc8448.serverAppSecret, 'iv', Buffer.alloc(0), 12).toString('hex')).toBe(rfc8448.serverAppIv);
  });

  it('opens the RFC 8448 client application data record (sequence 0)', () => {
    const suite = DECRYPTABLE.get(0x1301)!;
    const r = openTls13(suite, tls13TrafficKeys(suite, rfc8448.clientAppSecret), 0n, rfc8448.clientAppRecord.subarray(0, 5), rfc8448.clientAppRecord.subarray(5));
    expect(r).toEqual({ ok: true, type: 23, content: payload50 });
    const wrongSeq = openTls13(suite, tls13TrafficKeys(suite, rfc8448.clientAppSecret), 1n, rfc8448.clientAppRecord.subarray(0, 5), rfc8448.clientAppRecord.subarray(5));
    expect(wrongSeq.ok).toBe(false);
  });

  it('computes the TLS 1.2 P_SHA256 test vector of the IETF TLS working group', () => {
    const out = tls12Prf('sha256', hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
    expect(out.toString('hex')).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af' +
      '0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    );
  });

  it('reads NSS key log lines and ignores anything else', () => {
    const log = parseKeyLog([`CLIENT_TRAFFIC_SECRET_0 ${rfc8448.clientRandom} ${rfc8448.clientAppSecret.toString('hex')}`, '# comment', 'garbage']);
    expect(log.get(rfc8448.clientRandom)?.get('CLIENT_TRAFFIC_SECRET_0')).toEqual(rfc8448.clientAppSecret);
    expect(log.size).toBe(1);
  });
});

describe('TLS dissector', () => {
  const turns = (): [ 'c2s' | 's2c', Buffer][] => [
    ['c2s', rfc8448.clientHelloRecord],
    ['s2c', record(22, rfc8448.serverHello)],
    ['c2s', rfc8448.clientAppRecord],
  ];

  it('shows what the hellos give away: SNI, offered and selected suites, the real version', () => {
    const pdus = run(new TlsSession({ depth: 0, decrypt: false }), turns(), 9);
    expect(pdus.map((p) => p.info)).toEqual(['Client Hello', 'Server Hello', 'Application Data']);
    expect(values(pdus, 'tls.handshake.extensions_server_name')).toEqual(['server']);
    expect(values(pdus, 'tls.handshake.ciphersuite')).toEqual([0x1301, 0x1303, 0x1302, 0x1301]);
    expect(values(pdus, 'tls.handshake.type')).toEqual([1, 2]);
    expect(values(pdus, 'tls.record.content_type')).toEqual([22, 22, 23]);
    expect(pdus[2].protocol).toBe('TLSv1.3');
    expect(values(pdus, 'tls.decrypted')).toEqual([]);
  });

  it('decrypts application data only on request, with the key log, and hands it up', () => {
    const keys = { tlsKeyLog: [`CLIENT_TRAFFIC_SECRET_0 ${rfc8448.clientRandom} ${rfc8448.clientAppSecret.toString('hex')}`] };
    const fed: Buffer[] = [];
    const inner: StreamDissector = { feed: (_d, b) => (fed.push(b), []), end: () => [] };
    const pdus = run(new TlsSession({ depth: 0, decrypt: true, keys: () => keys }, () => inner), turns());
    expect(values(pdus, 'tls.decrypted')).toEqual([true]);
    expect(Buffer.concat(fed)).toEqual(payload50);
    expect(pdus[2].data).toEqual({ label: 'Decrypted TLS', bytes: payload50, stream: true });
    const noKeys = run(new TlsSession({ depth: 0, decrypt: true }, () => inner), turns());
    expect(noKeys[2].tree.children.map((c) => c.label)).toContain('[Not decrypted: no traffic secret for this session in the key log]');
  });

  it('stops at bytes that are not TLS records and says so', () => {
    const pdus = run(new TlsSession({ depth: 0, decrypt: false }), [['c2s', 'EHLO not tls\r\n']]);
    expect(values(pdus, '_ws.malformed')).toEqual(['not a TLS record']);
  });
});

describe('STARTTLS sessions recorded on loopback', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version}: the MAIL inside TLS is readable only with the keys and decryption on`, async () => {
      const rec = await recordStartTls({ maxVersion: version, subject: 'Quarterly numbers', body: 'Sean, see attached.' });
      const store = new CaptureStore();
      store.ingestAll(tapScript(rec.chunks));
      const mail = 'smtp.req.command == "MAIL"';
      expect(store.page({ filter: mail }).matched).toBe(0);
      expect(store.page({ filter: 'imf.subject == "Quarterly numbers"' }).matched).toBe(0);
      expect(store.page({ filter: mail, decrypt: true }).matched).toBe(0);
      store.setKeys('c1', { tlsKeyLog: rec.keyLog });
      expect(store.page({ filter: mail, decrypt: true }).matched).toBe(1);
      expect(store.page({ filter: 'imf.subject == "Quarterly numbers"', decrypt: true }).matched).toBe(1);
      expect(store.page({ filter: `tls.handshake.extensions_server_name == "mail.ntsol.example"`, decrypt: true }).matched).toBe(1);
      // Decryption is a parameter of each read: an eavesdropper's read in between sees ciphertext,
      // and the decrypting reader's view is still there after it (issue 16: no global switch).
      for (let i = 0; i < 2; i++) {
        expect(store.page({ filter: mail }).matched).toBe(0);
        expect(store.page({ filter: mail, decrypt: true }).matched).toBe(1);
      }
      const row = store.page({ filter: mail, decrypt: true }).rows[0];
      expect(store.detail(row.point, row.no, { decrypt: true })!.info).toMatch(/^C: MAIL FROM/);
      expect(store.detail(row.point, row.no)!.info).not.toMatch(/MAIL FROM/);
      const follow = store.follow('c1', { decrypted: true })!;
      const client = follow.parts.filter((p) => p.from === 'client').map((p) => p.text).join('');
      expect(client).toContain('MAIL FROM:<alice@intellinet.example>\r\n');
      expect(client).toContain('Subject: Quarterly numbers\r\n');
      const raw = store.follow('c1')!.parts.map((p) => p.text).join('');
      expect(raw).not.toContain('Quarterly numbers');
    });
  }

  it('still decrypts when the client logs its secrets after the server\'s first encrypted flight', async () => {
    const rec = await recordStartTls({ subject: 'Late keys', body: 'z' });
    const live = new Map<string, { tlsKeyLog: string[] }>();
    const store = new CaptureStore({ decrypt: true, keys: live });
    const events = tapScript(rec.chunks);
    // Keys reach the store only after the server's ServerHello flight went by, as in a live lab.
    const flight = events.findIndex((e) => e.kind === 'data' && e.record.dir === 's2c' && e.record.bytes[0] === 0x16);
    store.ingestAll(events.slice(0, flight + 1));
    live.set('c1', { tlsKeyLog: rec.keyLog });
    store.ingestAll(events.slice(flight + 1));
    expect(store.page({ filter: 'smtp.req.command == "MAIL"' }).matched).toBe(1);
    expect(store.page({ filter: 'smtp.response.code == 354' }).matched).toBe(1);
  });

  it('an SMTP dissector over the recorded bytes alone sees STARTTLS, then only records', async () => {
    const rec = await recordStartTls({ subject: 'x', body: 'y' });
    const pdus = run(smtpDissector.open({ depth: 0, decrypt: false }), rec.chunks.map(([d, b]) => [d, b] as ['c2s' | 's2c', Buffer]));
    expect(values(pdus, 'smtp.req.command')).toEqual(['EHLO', 'STARTTLS']);
    expect(pdus.filter((p) => p.layer === 'tls').length).toBeGreaterThan(5);
  });
});
