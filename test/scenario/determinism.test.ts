/**
 * docs/lab.md, "Seeds": a run with a fixed seed gives the same outcomes and transcripts every time (apart from
 * key material and real-time stamps) — and another seed gives other canaries and ids.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadScenarioFile } from '../../app/scenario/load.ts';
import { createLab } from '../../app/lab/lab.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { ROOT } from '../helpers/cli.ts';

/** Run a scenario's lab: send three messages through a firewall and a TLS partner; return what a trainee would compare. */
async function run(file: string, seed: number) {
  const loaded = loadScenarioFile(path.join(ROOT, 'scenarios', file));
  if (!loaded.ok) throw new Error('invalid scenario');
  const lab = await createLab(loaded.scenario.lab, { seed });
  try {
    // One message at a time: sent together, their sessions race, and the receiver numbers its queue
    // in the order they arrive, which is the scheduler's, not the seed's (it flipped on a busy machine).
    const outcomes = [];
    for (const id of ['a', 'b', 'c']) {
      lab.send({ id, from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: `Message ${id}`, body: 'Same every time.' });
      outcomes.push(await lab.settle(id, false));
    }
    const entries = ['a', 'b', 'c'].flatMap((id) => lab.entriesOf(id));
    return {
      outcomes,
      canaries: ['a', 'b', 'c'].map((id) => lab.messages.get(id)!.canaries),
      ids: entries.map((e) => e.id),
      transcripts: entries.flatMap((e) => e.attempts.map((a) => formatTranscript(a.transcript))),
      mailbox: lab.servers.get('ntsol')!.mailboxes.list('sean').map((m) => [m.id, m.subject]),
    };
  } finally {
    await lab.stop();
  }
}

describe('a fixed seed replays a run', () => {
  it.each(['pix-mailguard.yaml', 'asa-strips-starttls.yaml', 'starttls-partner.yaml'])('%s: same seed, same outcomes, ids, canaries and transcripts', async (file) => {
    const first = await run(file, 42);
    const second = await run(file, 42);
    expect(second).toEqual(first);
    const other = await run(file, 43);
    expect(other.outcomes).toEqual(first.outcomes);
    expect(other.canaries).not.toEqual(first.canaries);
    expect(other.ids).not.toEqual(first.ids);
  });
});
