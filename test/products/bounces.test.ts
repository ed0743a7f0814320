// Bounces per product (docs/products.md): RFC 3464 structure always; the human part, From and
// X- fields in the product's words; a queue-lifetime bounce states the local reason and never
// invents a remote reply.
import { describe, expect, it } from 'vitest';
import { buildBounce } from '../../app/mta/bounce.ts';
import { product } from '../../app/products/index.ts';
import { dsnFields } from '../../app/scenario/expect.ts';

const original = Buffer.from('From: alice@intellinet.example\r\nTo: sean@ntsol.example\r\nSubject: Trial results\r\n\r\nHi\r\n');
function bounce(name: string, o: { expired: boolean; diagnostic?: string }) {
  return buildBounce({
    product: product(name), reportingHost: 'mail.intellinet.example', domain: 'intellinet.example', to: 'alice@intellinet.example',
    recipients: ['sean@ntsol.example'], status: o.expired ? '5.7.0' : '5.7.3', ntDomain: 'INTELLINET',
    reason: o.expired ? 'delivery time expired; last error: NTLM authentication is required, but was not offered by host mail.ntsol.example' : 'host mail.ntsol.example said: 535 ntlm authentication failed',
    diagnostic: o.diagnostic, remoteMta: 'mail.ntsol.example', expired: o.expired,
    arrivalDate: 0, lastAttemptDate: 0, now: 0, queueId: 'INT00001AB', original, boundary: 'b', messageId: 'x@y',
  }).toString();
}

describe('bounces in each product\'s words', () => {
  it.each(['exchange-5.5', 'exchange-2019', 'postfix', 'generic', 'exim'])('%s: RFC 3464 structure', (name) => {
    const text = bounce(name, { expired: false, diagnostic: '535 ntlm authentication failed' });
    expect(text).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status;/m);
    expect(text).toMatch(/^Content-Type: message\/delivery-status$/m);
    expect(text).toMatch(/^Content-Type: text\/rfc822-headers$/m);
    expect(dsnFields(Buffer.from(text))).toEqual({ status: '5.7.3', diagnostic: 'smtp; 535 ntlm authentication failed' });
  });

  it('Exchange 5.5: System Administrator, "did not reach", MSEXCH:IMS with org, site and server; no Postfix header', () => {
    const text = bounce('exchange-5.5', { expired: false, diagnostic: '535 ntlm authentication failed' });
    expect(text).toContain('From: System Administrator <postmaster@intellinet.example>');
    expect(text).toContain('Subject: Undeliverable: Trial results');
    expect(text).toContain('did not reach the following recipient(s):');
    expect(text).toContain('    MSEXCH:IMS:INTELLINET:INTELLINET:MAIL 3535 (000B09AA) 535 ntlm authentication failed');
    expect(text).not.toContain('X-Postfix');
  });

  it('Exchange 2019: Microsoft Outlook, the administrators\' diagnostic section; no Postfix header', () => {
    const text = bounce('exchange-2019', { expired: false, diagnostic: '535 5.7.3 Authentication unsuccessful' });
    expect(text).toMatch(/^From: Microsoft Outlook <MicrosoftExchange[0-9a-f]+@intellinet\.example>$/m);
    expect(text).toContain('Delivery has failed to these recipients or groups:');
    expect(text).toContain("Remote Server returned '535 5.7.3 Authentication unsuccessful'");
    expect(text).not.toContain('X-Postfix');
  });

  it('Postfix: MAILER-DAEMON, its template, X-Postfix-Queue-ID', () => {
    const text = bounce('postfix', { expired: false, diagnostic: '535 5.7.8 Error: authentication failed' });
    expect(text).toContain('From: MAILER-DAEMON@intellinet.example (Mail Delivery System)');
    expect(text).toContain('This is the mail system at host mail.intellinet.example.');
    expect(text).toMatch(/^X-Postfix-Queue-ID: INT00001AB$/m);
  });

  it.each(['exchange-5.5', 'exchange-2019', 'postfix', 'generic'])('%s: a queue-lifetime bounce states the local reason, no invented remote 554', (name) => {
    const text = bounce(name, { expired: true });
    expect(text).not.toMatch(/smtp; 554/);
    expect(dsnFields(Buffer.from(text)).diagnostic).toMatch(/^X-(Local|Postfix); delivery time expired; last error: NTLM authentication is required/);
    expect(text.split('--b')[1]).toMatch(/(NTLM authentication is required|QUEUE\.Expired)/);
  });
});
