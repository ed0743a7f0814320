/**
 * What a sender does for a domain its table has no entry for (app/products/ `defaultOutbound`):
 * Exchange 2019 tries STARTTLS with every destination, as Exchange 2013 and later do; a product
 * without a default sends in clear.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { twoOrgs } from '../helpers/lab.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

async function sendWithoutEntry(sender: 'exchange-2019' | 'exchange-5.5', starttls: boolean) {
  const lab = await createLab(twoOrgs((l) => {
    l.orgs[0].profile = sender;
    l.orgs[1].profile = 'postfix';
    l.orgs[1].inbound = { starttls };
  }));
  labs.push(lab);
  lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'No entry', body: 'Hi' });
  expect(await lab.settle('m1', false)).toBe('delivered');
  const [attempt] = lab.entriesOf('m1')[0].attempts;
  return { lab, attempt, transcript: formatTranscript(attempt.transcript), leaks: lab.leaks('m1') };
}

describe('a domain with no entry in the sender\'s table', () => {
  it('Exchange 2019 uses STARTTLS when the receiver offers it: nothing in clear', async () => {
    const { attempt, transcript, leaks } = await sendWithoutEntry('exchange-2019', true);
    expect(transcript).toContain('-> STARTTLS');
    expect(attempt.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(leaks).toEqual([]);
  });

  it('Exchange 2019 sends in clear when STARTTLS is not offered (opportunistic, not required)', async () => {
    const { attempt, transcript, leaks } = await sendWithoutEntry('exchange-2019', false);
    expect(transcript).not.toContain('-> STARTTLS');
    expect(attempt.tls).toBeUndefined();
    expect(leaks.length).toBeGreaterThan(0);
  });

  it('Exchange 5.5 has no such default: in clear though STARTTLS is offered', async () => {
    const { transcript, leaks } = await sendWithoutEntry('exchange-5.5', true);
    expect(transcript).not.toContain('-> STARTTLS');
    expect(leaks.length).toBeGreaterThan(0);
  });
});
