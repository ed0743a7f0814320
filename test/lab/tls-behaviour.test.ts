/** STARTTLS behaviours beyond the level table (docs/lab.md, "Outbound security"; docs/tls.md): handshake failures, required TLS inbound, MTA-STS testing. */
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { dsnFields } from '../../app/scenario/expect.ts';
import { twoOrgs, type LabInput } from '../helpers/lab.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

async function send(patch: (l: LabInput) => void, deferredIsFinal = true) {
  // Modern TLS on both ends unless the test says otherwise: exchange-5.5 speaks TLS 1.0 only (app/products/).
  const lab = await createLab(twoOrgs((l) => {
    for (const o of l.orgs) o.profile = 'generic';
    patch(l);
  }));
  labs.push(lab);
  lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
  const outcome = await lab.settle('m1', deferredIsFinal);
  return { lab, outcome, entry: lab.entriesOf('m1')[0] };
}

/** A partner whose TLS stops at 1.1: our client (TLS 1.2 at least) cannot complete a handshake. */
const oldTls = (level: 'may' | 'encrypt') => (l: LabInput) => {
  l.orgs[0].security = [{ domain: 'ntsol.example', method: 'tls', level }];
  l.orgs[1].inbound = { starttls: true, tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' } };
};

describe('a failed TLS handshake', () => {
  it('`may` retries on a NEW connection in cleartext and marks the message downgraded', async () => {
    const { lab, outcome, entry } = await send(oldTls('may'));
    expect(outcome).toBe('delivered');
    const [failed, clear] = entry.attempts;
    expect(failed.result).toBe('next-mx');
    expect(clear.result).toBe('delivered');
    expect(clear.conn).not.toBe(failed.conn);
    expect(clear.downgraded).toMatch(/^TLS handshake with host mail\.ntsol\.example failed: /);
    expect(clear.transcript.some((l) => l.dir === 'out' && l.text === 'STARTTLS')).toBe(false);
    expect(lab.leaks('m1').length).toBeGreaterThan(0);
  });

  it('`encrypt` defers with "Cannot start TLS: handshake failure" and sends nothing in clear', async () => {
    const { lab, outcome, entry } = await send(oldTls('encrypt'));
    expect(outcome).toBe('deferred');
    expect(entry.lastError).toMatch(/^Cannot start TLS: handshake failure/);
    expect(lab.leaks('m1')).toEqual([]);
  });
});

describe('an inbound policy that requires TLS', () => {
  it('refuses MAIL before STARTTLS with 530 5.7.0, so a sender without TLS gets a bounce', async () => {
    const { lab, outcome } = await send((l) => { l.orgs[1].inbound = { starttls: true, requireTls: true }; }, false);
    expect(outcome).toBe('bounced');
    const alice = lab.servers.get('intellinet')!.mailboxes;
    const raw = alice.read('alice', alice.list('alice')[0].id)!;
    expect(dsnFields(raw).diagnostic).toBe('smtp; 530 5.7.0 Must issue a STARTTLS command first');
  });

  it('takes the same message from a sender that starts TLS', async () => {
    const { outcome, entry } = await send((l) => {
      l.orgs[1].inbound = { starttls: true, requireTls: true };
      l.orgs[0].security = [{ domain: 'ntsol.example', method: 'tls', level: 'may' }];
    });
    expect(outcome).toBe('delivered');
    expect(entry.attempts[0].tls?.protocol).toMatch(/^TLSv1\.[23]$/);
  });
});

describe('MTA-STS in testing mode (RFC 8461 §5)', () => {
  it('delivers although the MX is not in the policy, and reports the failure in TLS-RPT', async () => {
    const { lab, outcome, entry } = await send((l) => {
      l.orgs[0].security = [{ domain: 'ntsol.example', method: 'tls', level: 'mta-sts' }];
      l.orgs[1].inbound = { starttls: true };
      l.orgs[1].mtaSts = { mode: 'testing', mx: ['other.ntsol.example'] };
    });
    expect(outcome).toBe('delivered');
    expect(entry.attempts[0].tls).toBeDefined();
    const report = lab.tlsReport('intellinet', 'ntsol.example');
    expect(report.policies[0].policy['policy-type']).toBe('sts');
    expect(report.policies[0]['failure-details']?.[0]).toMatchObject({ 'result-type': 'validation-failure', 'receiving-mx-hostname': 'mail.ntsol.example', 'failed-session-count': 1 });
  });
});
