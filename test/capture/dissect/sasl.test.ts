import { describe, expect, it } from 'vitest';
import { SaslSession } from '../../../app/capture/dissect/sasl.ts';
import { smtpDissector } from '../../../app/capture/dissect/smtp.ts';
import { deriveSessionKeys } from '../../../app/ntlm/keys.ts';
import { createSecurityLayer } from '../../../app/ntlm/sasl-layer.ts';
import { FLAGS, ntlmAuthTurns, plaintext, randomSessionKey, sealed, signature } from './ntlm-vectors.ts';
import { run, values } from './run.ts';
import { CaptureStore } from '../../../app/capture/store.ts';
import { tapScript } from '../tap-script.ts';

/** The §4.2.2.4 example as one SASL buffer: 4-byte length, sealed bytes, signature. */
function frame(): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(sealed.length + signature.length);
  return Buffer.concat([len, sealed, signature]);
}

const keys = deriveSessionKeys(FLAGS, randomSessionKey);

describe('SASL sealed-frame dissector', () => {
  it('shows length, ciphertext and signature, and no plaintext without the lab keys', () => {
    const pdus = run(new SaslSession({ depth: 0, decrypt: false, keys: () => ({ tlsKeyLog: [], ntlm: keys }) }), [['c2s', frame()]], 5);
    expect(values(pdus, 'sasl.buffer.length')).toEqual([34]);
    expect(values(pdus, 'sasl.buffer.ciphertext')).toEqual([sealed]);
    expect(values(pdus, 'ntlmssp.verf.vers')).toEqual([1]);
    expect(pdus[0].data).toBeUndefined();
  });

  it('unseals the MS-NLMP §4.2.2.4 example with the session keys to "Plaintext"', () => {
    const pdus = run(new SaslSession({ depth: 0, decrypt: true, keys: () => ({ tlsKeyLog: [], ntlm: keys }) }), [['c2s', frame()]]);
    expect(pdus[0].data?.bytes).toEqual(plaintext);
    expect(values(pdus, 'sasl.decrypted')).toEqual([true]);
  });

  it('after 235 with SEAL negotiated, reads the sealed SMTP session back when asked', () => {
    const client = createSecurityLayer(keys, 'client');
    const server = createSecurityLayer(keys, 'server');
    const turns: ['c2s' | 's2c', Buffer | string][] = [
      ...ntlmAuthTurns(),
      ['c2s', client.wrap(Buffer.from('EHLO mail.intellinet.example\r\n'))],
      ['s2c', server.wrap(Buffer.from('250 mail.ntsol.example\r\n'))],
      ['c2s', client.wrap(Buffer.from('MAIL FROM:<alice@intellinet.example>\r\n'))],
    ];
    const sealedView = run(smtpDissector.open({ depth: 0, decrypt: false }), turns, 13);
    expect(values(sealedView, 'smtp.req.command')).toEqual(['AUTH']);
    expect(values(sealedView, 'sasl.buffer.length').length).toBe(3);
    const opened = run(smtpDissector.open({ depth: 0, decrypt: true, keys: () => ({ tlsKeyLog: [], ntlm: keys }) }), turns, 13);
    expect(values(opened, 'smtp.req.command')).toEqual(['AUTH', 'EHLO', 'MAIL']);
    expect(values(opened, 'smtp.response.code')).toEqual([334, 235, 250]);
  });

  it('in the store: sealed frames filter as sasl, and open as SMTP only with the keys and decryption on', () => {
    const client = createSecurityLayer(keys, 'client');
    const store = new CaptureStore();
    store.ingestAll(tapScript([...ntlmAuthTurns(), ['c2s', client.wrap(Buffer.from('MAIL FROM:<alice@intellinet.example>\r\n'))]]));
    expect(store.page({ filter: 'sasl' }).rows.map((r) => r.protocol)).toEqual(['SASL']);
    expect(store.page({ filter: 'ntlmssp.auth.username == "User"' }).matched).toBe(1);
    expect(store.page({ filter: 'smtp.req.command == "MAIL"', decrypt: true }).matched).toBe(0);
    store.setKeys('c1', { tlsKeyLog: [], ntlm: keys });
    expect(store.page({ filter: 'smtp.req.command == "MAIL"', decrypt: true }).rows.map((r) => r.protocol)).toEqual(['SMTP']);
    expect(store.page({ filter: 'smtp.req.command == "MAIL"' }).matched).toBe(0);
    const follow = store.follow('c1', { decrypted: true })!;
    expect(follow.parts.at(-1)?.text).toBe('MAIL FROM:<alice@intellinet.example>\r\n');
    const first = store.page({ filter: 'sasl', decrypt: true }).rows[0];
    const detail = store.detail(first.point, first.no, { decrypt: true })!;
    expect(detail.tabs.map((t) => t.label)).toEqual(['Unsealed SASL']);
  });

  it('ends the layer at an impossible length instead of reading garbage', () => {
    const pdus = run(new SaslSession({ depth: 0, decrypt: false }), [['c2s', Buffer.from('ffffffff00', 'hex')]]);
    expect(values(pdus, '_ws.malformed')).toEqual(['buffer length 4294967295 outside 16..65552']);
  });
});
