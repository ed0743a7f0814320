import { describe, expect, it } from 'vitest';
import { LabJournal, type JournaledLab, type Settled } from '../../app/lab/journal.ts';
import { Emitter } from '../../app/base/emitter.ts';
import type { LabEvent } from '../../app/lab/events.ts';
import type { LabConfig } from '../../app/config/lab.ts';
import type { QueueEntry } from '../../app/mta/queue.ts';
import type { SendStep } from '../../app/config/schema.ts';

/** A lab reduced to what the journal reads: outcomes by ref, set by the test, and its events. */
function fakeLab() {
  const outcomes = new Map<string, Settled | 'pending'>();
  const asked: string[] = [];
  const lab: JournaledLab = {
    config: { orgs: [{ id: 'intellinet' }] } as unknown as LabConfig,
    events: new Emitter<LabEvent>(),
    servers: new Map(),
    dns: { records: () => [] },
    clock: { now: () => 0 },
    outcome(ref) {
      asked.push(ref);
      return outcomes.get(ref) ?? 'pending';
    },
  };
  const settle = (ref: string, type: 'mail.delivered' | 'mail.bounced' | 'mail.deferred', outcome: Settled) => {
    outcomes.set(ref, outcome);
    lab.events.emit({ type, entry: { id: `E-${ref}`, org: 'intellinet', ref } as QueueEntry } as LabEvent);
  };
  return { lab, outcomes, asked, settle };
}

const step = (id: string): SendStep => ({ id, from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: '', body: '' });

describe('LabJournal: outcomes recorded at the next entry', () => {
  it('records the outcome a settling event names, and asks the lab only about messages that may have settled', () => {
    const { lab, asked, settle } = fakeLab();
    const journal = new LabJournal(lab);
    journal.sent(step('m1'));
    journal.sent(step('m2'));
    journal.sent(step('m3'));
    asked.length = 0;
    settle('m2', 'mail.delivered', 'delivered');
    journal.advanced('1m');
    // m1 and m3 were pending and nothing named them: not asked; m3 was journalled just before, so it is.
    expect(asked.sort()).toEqual(['m2', 'm3']);
    const sends = journal.entries.filter((e) => e.kind === 'send');
    expect(sends.map((e) => e.settled)).toEqual([undefined, 'delivered', undefined]);
    settle('m1', 'mail.bounced', 'bounced');
    settle('m3', 'mail.deferred', 'deferred');
    journal.advanced('1m');
    expect(sends.map((e) => e.settled)).toEqual(['bounced', 'delivered', 'deferred']);
  });

  it('records a message that settled without any queue entry (local recipients only) at the next entry', () => {
    const { lab, outcomes } = fakeLab();
    const journal = new LabJournal(lab);
    outcomes.set('m1', 'delivered');
    journal.sent(step('m1'));
    journal.advanced('1m');
    expect(journal.entries[0]).toMatchObject({ kind: 'send', settled: 'delivered' });
  });

  it('keeps a message pending while its event names it but its other entries are still on their way', () => {
    const { lab, outcomes, settle } = fakeLab();
    const journal = new LabJournal(lab);
    journal.sent(step('m1'));
    journal.advanced('1m');
    settle('m1', 'mail.delivered', 'delivered');
    outcomes.set('m1', 'pending'); // a second domain's entry of m1 is still queued
    journal.advanced('1m');
    expect(journal.entries[0]).toMatchObject({ kind: 'send' });
    expect((journal.entries[0] as { settled?: Settled }).settled).toBeUndefined();
    outcomes.set('m1', 'delivered');
    lab.events.emit({ type: 'mail.delivered', entry: { id: 'E2-m1', org: 'intellinet', ref: 'm1' } as QueueEntry } as LabEvent);
    journal.advanced('1m');
    expect(journal.entries[0]).toMatchObject({ kind: 'send', settled: 'delivered' });
  });
});

describe('LabJournal: the newest messages only', () => {
  it('lets the oldest messages go in order, keeps every change in its place, and settles the kept ones', () => {
    const { lab, settle } = fakeLab();
    const journal = new LabJournal(lab, { keepMessages: 3 });
    journal.advanced('1m');
    for (let i = 1; i <= 5; i++) {
      journal.sent(step(`m${i}`));
      if (i === 2) journal.advanced('2m');
    }
    // Read between compactions: m1 and m2 are gone, the change between them is still there.
    const kinds = () => journal.entries.map((e) => (e.kind === 'send' ? e.step.id : `${e.kind} ${e.kind === 'advance' ? e.by : ''}`));
    expect(kinds()).toEqual(['advance 1m', 'advance 2m', 'm3', 'm4', 'm5']);
    expect(journal.droppedMessages).toBe(2);
    for (let i = 6; i <= 12; i++) journal.sent(step(`m${i}`));
    expect(kinds()).toEqual(['advance 1m', 'advance 2m', 'm10', 'm11', 'm12']);
    expect(journal.droppedMessages).toBe(9);
    expect(journal.sinceBaseline().map((e) => (e.kind === 'send' ? e.step.id : e.kind))).toEqual(['advance', 'm10', 'm11', 'm12']);
    // A kept message still has its outcome recorded at the next entry.
    settle('m11', 'mail.delivered', 'delivered');
    journal.advanced('3m');
    expect(journal.entries.filter((e) => e.kind === 'send').map((e) => e.settled)).toEqual([undefined, 'delivered', undefined]);
  });
});

describe('LabJournal: what it saves is what was sent', () => {
  it('keeps a send step as it was when sent, whatever the caller changes afterwards (its recipients, its header fields)', () => {
    const { lab } = fakeLab();
    const journal = new LabJournal(lab);
    const sent: SendStep = { ...step('m1'), to: ['sean@ntsol.example', 'bob@ntsol.example'], headers: { 'X-Case': '1' } };
    journal.sent(sent);
    (sent.to as string[]).push('eve@ntsol.example');
    sent.headers!['X-Case'] = '2';
    sent.subject = 'changed';
    expect(journal.entries[0]).toMatchObject({ kind: 'send', step: { to: ['sean@ntsol.example', 'bob@ntsol.example'], headers: { 'X-Case': '1' }, subject: '' } });
  });
});
