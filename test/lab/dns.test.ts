import { describe, expect, it } from 'vitest';
import { SimDns } from '../../app/lab/dns.ts';

describe('SimDns', () => {
  const dns = () => {
    const d = new SimDns();
    d.add({ name: 'ntsol.example', type: 'MX', value: '20 backup.ntsol.example' });
    d.add({ name: 'ntsol.example', type: 'MX', value: 'mail.ntsol.example', preference: 10 });
    d.add({ name: 'mail.ntsol.example', type: 'A', value: '198.51.100.25' });
    d.add({ name: 'backup.ntsol.example', type: 'A', value: '198.51.100.27' });
    d.add({ name: '_mta-sts.ntsol.example', type: 'TXT', value: 'v=STSv1; id=1' });
    return d;
  };

  it('orders MX hosts by preference so a sender tries the primary first, then the backup', () => {
    const r = dns().mx('NTSOL.example.');
    expect(r).toMatchObject({ ok: true, answers: [{ host: 'mail.ntsol.example', preference: 10 }, { host: 'backup.ntsol.example', preference: 20 }] });
  });

  it('uses the address record as an implicit MX and says NXDOMAIN for unknown names', () => {
    const d = dns();
    d.add({ name: 'solo.example', type: 'A', value: '203.0.113.9' });
    expect(d.mx('solo.example')).toMatchObject({ ok: true, answers: [{ host: 'solo.example', preference: 0 }] });
    expect(d.mx('nowhere.example')).toMatchObject({ ok: false, error: 'NXDOMAIN' });
  });

  it('strips a record on request and answers SERVFAIL in a bogus zone', () => {
    const d = dns();
    expect(d.remove('_mta-sts.ntsol.example', 'TXT')).toBe(1);
    expect(d.txt('_mta-sts.ntsol.example')).toMatchObject({ ok: false, error: 'NXDOMAIN' });
    d.setZoneState('ntsol.example', 'bogus');
    expect(d.mx('ntsol.example')).toMatchObject({ ok: false, error: 'SERVFAIL', dnssec: 'bogus' });
    expect(d.zoneState('mail.intellinet.example')).toBe('insecure');
  });
});
