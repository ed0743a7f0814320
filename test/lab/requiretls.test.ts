/** REQUIRETLS (RFC 8689) on both ends: verified TLS on every hop, the extension offered, or a 5.7.30 / 5.7.10 bounce. */
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { dsnFields } from '../../app/scenario/expect.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { twoOrgs, type LabInput } from '../helpers/lab.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

async function sendRequireTls(patch: (l: LabInput) => void) {
  const lab = await createLab(twoOrgs((l) => {
    l.orgs[1].profile = 'generic';
    l.orgs[1].inbound = { starttls: true };
    patch(l);
  }));
  labs.push(lab);
  lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Only over TLS', body: 'Sean, REQUIRETLS. Alice', requireTls: true });
  const outcome = await lab.settle('m1', true);
  const attempts = lab.entriesOf('m1')[0].attempts;
  return { lab, outcome, text: attempts.map((a) => formatTranscript(a.transcript)).join('\n') };
}

function bounceStatus(lab: Lab): string | undefined {
  const alice = lab.servers.get('intellinet')!.mailboxes;
  const item = alice.list('alice').find((m) => m.kind === 'bounce');
  return item && dsnFields(alice.read('alice', item.id)!).status;
}

describe('REQUIRETLS', () => {
  it('travels over verified TLS with the REQUIRETLS parameter, even with no entry in the security table', async () => {
    const { lab, outcome, text } = await sendRequireTls(() => {});
    expect(outcome).toBe('delivered');
    expect(text).toContain('<~ 250-REQUIRETLS');
    expect(text).toMatch(/~> MAIL FROM:<alice@intellinet\.example> SIZE=\d+ REQUIRETLS/);
    expect(text).toContain('peer certificate: verified');
    const [item] = lab.servers.get('ntsol')!.mailboxes.list('sean');
    expect(item).toMatchObject({ requireTls: true, via: 'ESMTPS' });
    expect(lab.leaks('m1')).toEqual([]);
  });

  it('returns the message with 5.7.30 when the next hop does not offer REQUIRETLS', async () => {
    const { lab, outcome, text } = await sendRequireTls((l) => { l.orgs[1].profile = 'postfix'; });
    expect(outcome).toBe('bounced');
    expect(text).toContain('REQUIRETLS support required, but host mail.ntsol.example[198.51.100.25] does not offer it');
    expect(bounceStatus(lab)).toBe('5.7.30');
    expect(lab.leaks('m1')).toEqual([]);
  });

  it('returns the message with 5.7.10 when there is no verified TLS, and never falls back to cleartext', async () => {
    const noTls = await sendRequireTls((l) => { l.orgs[1].inbound = { starttls: false }; l.orgs[0].security = [{ domain: 'ntsol.example', method: 'tls', level: 'may' }]; });
    expect(noTls.outcome).toBe('bounced');
    expect(bounceStatus(noTls.lab)).toBe('5.7.10');
    expect(noTls.lab.leaks('m1')).toEqual([]);
    const expired = await sendRequireTls((l) => { l.orgs[1].hosts = [{ name: 'mail.ntsol.example', address: '198.51.100.25', certificate: 'expired' }]; });
    expect(expired.outcome).toBe('bounced');
    expect(expired.text).toContain('Server certificate not verified');
    expect(bounceStatus(expired.lab)).toBe('5.7.10');
  });
});
