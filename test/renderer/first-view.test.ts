// What the Mailboxes and Transcript tabs open on when nothing was chosen (docs/ui.md, "Mailboxes and transcripts").
import { describe, expect, it } from 'vitest';
import type { LabSnapshot, QueueEntryView } from '../../app/api/contract.ts';
import { firstMailboxWithMail, latestTried } from '../../renderer/lib/first-view.ts';

const entry = (org: string, id: string, arrivedAt: number, attempts: number): QueueEntryView =>
  ({ id, org, from: 'a@x.example', to: ['b@y.example'], domain: 'y.example', state: attempts ? 'delivered' : 'queued', arrivedAt, attempts });
const snapshot = (...queues: QueueEntryView[][]) =>
  ({ orgs: queues.map((queue, i) => ({ id: `o${i}`, queue })) }) as unknown as LabSnapshot;

describe('latestTried', () => {
  it('is the latest arrival among entries tried at least once, whichever organisation queued it', () => {
    const s = snapshot(
      [entry('o0', 'A1', 1_000, 1), entry('o0', 'A2', 5_000, 3)],
      [entry('o1', 'B1', 3_000, 1), entry('o1', 'B2', 9_000, 0)],
    );
    // B2 arrived last but was never tried: it has no transcript to show.
    expect(latestTried(s)).toEqual({ org: 'o0', id: 'A2' });
  });

  it('gives a tie on the lab clock to the later entry, and nothing when nothing was tried', () => {
    expect(latestTried(snapshot([entry('o0', 'm1', 0, 1), entry('o0', 'm2', 0, 10)]))).toEqual({ org: 'o0', id: 'm2' });
    expect(latestTried(snapshot([entry('o0', 'm1', 0, 0)]))).toBeUndefined();
    expect(latestTried(undefined)).toBeUndefined();
  });
});

describe('firstMailboxWithMail', () => {
  const orgs = (...boxes: { user: string; messages: number; bounces: number }[][]) =>
    ({ orgs: boxes.map((mailboxes, i) => ({ id: `o${i}`, queue: [], mailboxes })) }) as unknown as LabSnapshot;
  it('is the first mailbox with mail or a bounce, organisation by organisation', () => {
    expect(firstMailboxWithMail(orgs([{ user: 'alice', messages: 0, bounces: 0 }], [{ user: 'bob', messages: 0, bounces: 0 }, { user: 'sean', messages: 2, bounces: 0 }]))).toEqual({ org: 'o1', user: 'sean' });
    expect(firstMailboxWithMail(orgs([{ user: 'alice', messages: 0, bounces: 1 }], [{ user: 'sean', messages: 2, bounces: 0 }]))).toEqual({ org: 'o0', user: 'alice' });
    expect(firstMailboxWithMail(orgs([{ user: 'alice', messages: 0, bounces: 0 }]))).toBeUndefined();
  });
});
