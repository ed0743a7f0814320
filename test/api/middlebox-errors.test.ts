/**
 * Errors that name what acted (issue 17 item 8): when a firewall resets, or changes bytes and the
 * session then breaks, the queue entry, the bounce and the transcript say which box did it, in its
 * vendor's words — not the sender's bare "lost connection with … while sending …".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { parse, stringify } from 'yaml';
import { drive, SCENARIOS, type Driven } from './helpers.ts';

const open: Driven[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.session.close()));
});

/** asa-breaks-ntlm's lab behind an ASA whose inspection drops command lines over 16 octets (EHLO is 30). */
function shortLineScenarios(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-mbx-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = parse(fs.readFileSync(path.join(SCENARIOS, 'asa-breaks-ntlm.yaml'), 'utf8'));
  s.id = 'short-lines';
  s.lab.paths = [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall: { profile: 'asa', with: { 'esmtp-inspect': { maxCommandLine: 16 } } } }];
  s.steps = [s.steps[0], { expect: { message: 'm1', outcome: 'deferred' } }];
  fs.writeFileSync(path.join(dir, 'short-lines.yaml'), stringify(s));
  return dir;
}

/** Run the scenario, let the queue give up (two days for the IMS), and read the three places. */
async function threePlaces(id: string, dir?: string) {
  const d = drive(dir);
  open.push(d);
  await d.call('openScenario', { id });
  await d.call('startLab', {});
  await d.call('runAllSteps', {});
  const queued = (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.queue[0];
  const transcript = (await d.call('getTranscripts', { org: 'intellinet', id: queued.id })).attempts[0];
  await d.call('advanceClock', { by: '3d' });
  const bounced = (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.queue[0];
  const { items } = await d.call('listMailbox', { org: 'intellinet', user: 'alice' });
  const bounce = items.find((i) => i.kind === 'bounce');
  expect(bounce).toBeDefined();
  const read = await d.call('readMessage', { org: 'intellinet', user: 'alice', id: bounce!.id });
  return { queued, transcript, bounced, read };
}

describe('errors that name the middlebox', () => {
  it('asa-breaks-ntlm: the ASA\'s inspection masked the sealed MAIL FROM, then the receiver hung up', async () => {
    const { queued, transcript, bounced, read } = await threePlaces('asa-breaks-ntlm');
    const said = 'the firewall (asa, inspect esmtp) changed the sealed MAIL FROM (not an SMTP line after AUTH: masked); then mail.ntsol.example[198.51.100.25] closed the connection';
    expect(queued).toMatchObject({ state: 'deferred', lastError: said });
    const lines = transcript.sender.split('\n');
    expect(lines).toContain(`=== defer: ${said}`);
    expect(transcript.sender).not.toContain('lost connection');
    // The line that caused it is the sealed command the firewall masked.
    expect(lines[transcript.causeLine!]).toBe('=> MAIL FROM:<alice@intellinet.example> SIZE=402 RET=FULL');
    expect(bounced.state).toBe('bounced');
    expect(read.source).toContain(said);
    expect(read.item.cause).toMatchObject({ queueId: queued.id, attempt: expect.any(Number), transcriptLine: expect.any(Number) });
  });

  it('a reset by inspect esmtp after EHLO, in the queue, the bounce and the transcript', async () => {
    const { queued, transcript, bounced, read } = await threePlaces('short-lines', shortLineScenarios());
    const said = 'reset by the firewall (asa, inspect esmtp) after EHLO: command line longer than 16 bytes (drop-connection)';
    expect(queued).toMatchObject({ state: 'deferred', lastError: said });
    const lines = transcript.sender.split('\n');
    expect(lines).toContain(`=== defer: ${said}`);
    expect(lines[transcript.causeLine!]).toBe('-> EHLO mail.intellinet.example');
    expect(bounced.state).toBe('bounced');
    expect(read.source).toContain('reset by the firewall (asa, inspect esmtp) after EHLO');
    expect(read.source).not.toContain('lost connection');
  });
});
