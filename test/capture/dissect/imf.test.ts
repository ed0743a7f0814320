import { describe, expect, it } from 'vitest';
import { imfDissector, parseHeaders } from '../../../app/capture/dissect/imf.ts';
import { run, values } from './run.ts';

describe('IMF dissector', () => {
  it('unfolds headers (RFC 5322 §2.2.3) and names them as Wireshark does', () => {
    const message =
      'Received: from mail.intellinet.example\r\n by mail.ntsol.example; Sat, 28 Nov 2026 09:00:00 +0000\r\n' +
      'From: Alice <alice@intellinet.example>\r\nTo: sean@ntsol.example, bob@ntsol.example\r\nCc: carol@ntsol.example\r\n' +
      'Subject: Trial\r\n\tresults\r\nMessage-ID: <1@intellinet.example>\r\nX-Canary: PCL-H-1234\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n\r\nLine one\r\nLine two\r\n';
    const pdus = run(imfDissector.open({ depth: 1, decrypt: false }), [['c2s', message]], 5);
    expect(values(pdus, 'imf.subject')).toEqual(['Trial results']);
    expect(values(pdus, 'imf.from')).toEqual(['Alice <alice@intellinet.example>']);
    expect(values(pdus, 'imf.to')).toEqual(['sean@ntsol.example, bob@ntsol.example']);
    expect(values(pdus, 'imf.cc')).toEqual(['carol@ntsol.example']);
    expect(values(pdus, 'imf.received')).toEqual(['from mail.intellinet.example by mail.ntsol.example; Sat, 28 Nov 2026 09:00:00 +0000']);
    expect(values(pdus, 'imf.message_id')).toEqual(['<1@intellinet.example>']);
    expect(values(pdus, 'imf.extension.type')).toEqual(['X-Canary']);
    expect(values(pdus, 'imf.extension.value')).toEqual(['PCL-H-1234']);
    expect(values(pdus, 'imf.message_text')).toEqual(['Line one\nLine two']);
    expect(pdus[0].info).toBe('from: Alice <alice@intellinet.example>, subject: Trial results, (text/plain)');
    expect(pdus[0].protocol).toBe('SMTP/IMF');
  });

  it('ends the header section at the first line that is not a header', () => {
    const lines = ['Subject: a', 'no colon here', 'X: b'].map((text, i) => ({ text, range: { start: i, end: i + 1 } }));
    expect(parseHeaders(lines)).toEqual({ headers: [{ name: 'Subject', value: 'a', range: { start: 0, end: 1 } }], bodyStart: 1 });
  });
});
