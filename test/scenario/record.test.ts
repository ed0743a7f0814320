// Save the lab as a scenario (app/scenario/record.ts): what the user did to a running lab becomes a
// scenario file that validates and that the headless runner passes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import YAML from 'yaml';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { parseScenario } from '../../app/scenario/load.ts';
import { recordScenario } from '../../app/scenario/record.ts';
import { runScenario } from '../../app/scenario/run.ts';
import { twoOrgs } from '../helpers/lab.ts';

const labs: Lab[] = [];
afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.stop();
});

async function start(journalMessages?: number): Promise<Lab> {
  // A lab keeps a workspace it was given: removed once the test ends, after afterEach stopped the lab.
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-record-'));
  onTestFinished(() => fs.rmSync(workspace, { recursive: true, force: true }));
  const lab = await createLab(twoOrgs((l) => {
    l.orgs[1].nt = { domain: 'NTSOL', crypto: 'us-128' };
  }), { workspace, ...(journalMessages ? { retain: { journalMessages } } : {}) });
  labs.push(lab);
  return lab;
}

/** Parse, then run the recorded YAML as `postcard-lab run` does. */
async function replay(yaml: string) {
  const loaded = parseScenario(yaml, 'recorded.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.message}`).join('\n'));
  return runScenario('recorded.yaml', loaded.id, loaded.scenario);
}

describe('recording a lab as a scenario', () => {
  it('folds the changes made before the first message into the lab, then sends, changes and expects in order', async () => {
    const lab = await start();
    // An administrator rebuilds a setup: NTLM towards the partner with an account there, a TXT record.
    lab.applyAction({ org: 'ntsol', createAccount: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42', disabled: false } });
    lab.applyAction({ org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } } });
    lab.applyAction({ org: 'intellinet', addDns: { name: '_mta-sts.ntsol.example', type: 'TXT', value: 'v=STSv1; id=1' } });
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Sealed', body: 'over NTLM' });
    await lab.settle('m1', true);
    // Then the partner deletes the account: the next message bounces.
    lab.applyAction({ org: 'ntsol', deleteAccount: { domain: 'INTELLINET', user: 'DOUG' } });
    lab.send({ id: 'm2', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Again', body: 'after the change' });
    await lab.settle('m2', true);
    expect([lab.outcome('m1'), lab.outcome('m2')]).toEqual(['delivered', 'bounced']);

    const { yaml, messages, changes } = recordScenario(lab, { id: 'my-case', title: 'My case' });
    expect([messages, changes]).toEqual([2, 1]);
    const doc = YAML.parse(yaml);
    const [intellinet, ntsol] = doc.lab.orgs;
    expect(intellinet.security).toEqual([{ domain: 'ntsol.example', method: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } }]);
    expect(ntsol.accounts).toEqual([{ domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42', disabled: false }]);
    expect(doc.lab.dns).toEqual([{ name: '_mta-sts.ntsol.example', type: 'TXT', value: 'v=STSv1; id=1' }]);
    expect(doc.lab.seed).toBe(7);
    expect(doc.steps).toEqual([
      { send: { id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Sealed', body: 'over NTLM' } },
      { expect: { message: 'm1', outcome: 'delivered', at: 'any' } },
      { action: { org: 'ntsol', deleteAccount: { domain: 'INTELLINET', user: 'DOUG' } } },
      { send: { id: 'm2', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Again', body: 'after the change' } },
      { expect: { message: 'm2', outcome: 'bounced', at: 'any' } },
      { expect: { message: 'm1', outcome: 'delivered', wire: 'encrypted', at: 'any' } },
      { expect: { message: 'm2', outcome: 'bounced', wire: 'no-leak', at: 'any' } },
    ]);

    const result = await replay(yaml);
    expect(result.steps.filter((s) => s.status !== 'passed')).toEqual([]);
    expect(result.status).toBe('passed');
  });

  it('with no message sent, saves the lab as it stands now; a removed derived record becomes a removeDns step', async () => {
    const lab = await start();
    lab.applyAction({ org: 'ntsol', setInbound: { starttls: true } });
    lab.applyAction({ org: 'ntsol', removeDns: { name: 'ntsol.example', type: 'MX' } });
    const doc = YAML.parse(recordScenario(lab, { id: 'now', title: 'Now' }).yaml);
    expect(doc.lab.orgs[1].inbound).toMatchObject({ starttls: true });
    expect(doc.steps).toEqual([{ action: { org: 'intellinet', removeDns: { name: 'ntsol.example', type: 'MX', value: 'mail.ntsol.example' } } }]);
    expect((await replay(recordScenario(lab, { id: 'now', title: 'Now' }).yaml)).status).toBe('passed');
  });

  it('records a message a real client submitted as a send step with its Subject and body', async () => {
    const lab = await start();
    const submission = lab.servers.get('intellinet')!.listeners.find((l) => l.role === 'submission')!;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: submission.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'From swaks', text: 'typed by hand' });
    await lab.idle();
    const doc = YAML.parse(recordScenario(lab, { id: 'real', title: 'Real client' }).yaml);
    expect(doc.steps[0]).toEqual({ send: { id: 's1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'From swaks', body: 'typed by hand\n' } });
    expect(doc.steps[1]).toEqual({ expect: { message: 's1', outcome: 'delivered', at: 'any' } });
    expect((await replay(recordScenario(lab, { id: 'real', title: 'Real client' }).yaml)).status).toBe('passed');
  });

  it('keeps the newest messages only, every change in its place, and says how many went', async () => {
    // A journal that keeps two messages (JOURNAL_MESSAGES_KEPT, 1,000, in a real lab).
    const lab = await start(2);
    const send = async (id: string) => {
      lab.send({ id, from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: id, body: `text of ${id}` });
      await lab.settle(id, true);
    };
    lab.applyAction({ org: 'ntsol', setInbound: { starttls: true } });
    await send('m1');
    lab.applyAction({ org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls', level: 'encrypt' } });
    await send('m2');
    await send('m3');
    lab.applyAction({ org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'none' } });
    await send('m4');

    const recorded = recordScenario(lab, { id: 'long', title: 'A long session' });
    expect([recorded.messages, recorded.droppedMessages]).toEqual([2, 2]);
    // What the File bar and `up --record` show once it is saved.
    expect(recorded.summary).toBe('2 messages, 2 changes after the first message (earlier changes are in its lab); the 2 earliest messages were not kept (a lab keeps the newest 2)');
    expect(recorded.yaml).toMatch(/^# The lab's journal keeps the newest 2 messages: the 2 before them are not in this file; every change is\.$/m);
    const doc = YAML.parse(recorded.yaml);
    // The change made before the first message is in the lab; the one between m1 and m2 is still a step.
    expect(doc.lab.orgs[1].inbound).toMatchObject({ starttls: true });
    expect(doc.steps.map((st: Record<string, unknown>) => Object.keys(st)[0] + (st.send ? ` ${(st.send as { id: string }).id}` : ''))).toEqual([
      'action', 'send m3', 'expect', 'action', 'send m4', 'expect', 'expect', 'expect',
    ]);
    const result = await replay(recorded.yaml);
    expect(result.steps.filter((st) => st.status !== 'passed')).toEqual([]);
    // Nothing grows with the messages sent: two message entries, and the three changes.
    expect(lab.journal.entries.map((e) => e.kind)).toEqual(['action', 'action', 'send', 'action', 'send']);
  });
});
