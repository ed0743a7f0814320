/**
 * What was done to a running lab, in order — the raw material of "save the lab as a scenario"
 * (app/scenario/record.ts, docs/authoring.md). It notes:
 *
 *   send       a message sent by a step or the UI (the step itself, to send it again)
 *   submitted  a message a real client (swaks, a mail program) handed to a submission port
 *   action     a lab change (accounts, security table, inbound policy, DNS, …)
 *   advance    the clock moved by a scenario's `advance` step
 *
 * and two facts a replay needs: the lab as it stood just before the first message (the lab block of
 * the recorded scenario: every change made before it is folded in), and, for each message, the
 * outcome it had settled to when the next thing happened (so the recorded `expect` waits for the
 * same state before the replay moves on).
 */
import type { LabAction, SendStep } from '../config/schema.ts';
import type { LabConfig } from '../config/lab.ts';
import type { DnsRecord } from './dns.ts';
import type { Emitter } from '../base/emitter.ts';
import type { LabEvent } from './events.ts';
import type { QueueEntry } from '../mta/queue.ts';

export type Settled = 'delivered' | 'deferred' | 'bounced';

export type JournalEntry =
  | { kind: 'send'; step: SendStep; settled?: Settled }
  /** `message`: read when it was queued (a delivered entry's copy may be gone from the store by the time a scenario is recorded). */
  | { kind: 'submitted'; org: string; entry: string; message?: Buffer; settled?: Settled }
  | { kind: 'action'; action: LabAction }
  | { kind: 'advance'; by: string | number };

export interface LabBaseline {
  config: LabConfig;
  dns: DnsRecord[];
  /** Lab time (ms since the epoch) when the baseline was taken. */
  clock: number;
}

/** The parts of a lab the journal reads; `Lab` has them all. */
export interface JournaledLab {
  readonly config: LabConfig;
  readonly events: Emitter<LabEvent>;
  readonly servers: ReadonlyMap<string, { config: LabConfig['orgs'][number]; entries: ReadonlyMap<string, QueueEntry> }>;
  readonly dns: { records(): readonly DnsRecord[] };
  readonly clock: { now(): number };
  outcome(ref: string): Settled | 'pending';
  /** The bytes of a queued entry's message, as accepted. */
  messageOf?(org: string, entry: string): Buffer | undefined;
}

/**
 * Messages the journal keeps for a recording (docs/decisions.md, "Bounded memory"): a lab that runs
 * for days (`postcard-lab up`, a class's swaks) would otherwise hold every message it was ever
 * handed — a submitted one's bytes, a sent one's step — for a scenario nobody records at that
 * length. Changes (`action`, `advance`) are all kept: they come from people, not from load.
 */
export const JOURNAL_MESSAGES_KEPT = 1_000;

export class LabJournal {
  /**
   * Every entry, in order; a dropped message leaves an empty place until the next compaction
   * (`#compact`), so dropping the oldest of a thousand messages does not shift the thousand after it.
   */
  readonly #all: (JournalEntry | undefined)[] = [];
  #holes = 0;
  /** Where the search for the oldest kept message starts: every message before it was dropped. */
  #oldestFrom = 0;
  /** Messages let go, oldest first, to keep `JOURNAL_MESSAGES_KEPT` (a recording says how many). */
  droppedMessages = 0;
  readonly #keepMessages: number;
  #messages = 0;
  /** Where the entries after the baseline start: the first message's place (the ones before it are folded into the baseline). */
  #baselineAt: number | undefined;
  /**
   * Messages whose outcome was still pending at the last entry, by key (`messageKey`; a key sent
   * twice holds both). Looked up by the keys touched since, not walked: with a thousand submitted
   * messages waiting for a delivery slot (`load`), a walk at every entry made each message cost as
   * much as all those waiting (docs/bench.md, `load`).
   */
  #unsettled = new Map<string, Extract<JournalEntry, { kind: 'send' | 'submitted' }>[]>();
  /**
   * Keys (`messageKey`) of unsettled messages that may have settled since the last entry: a queue
   * entry of theirs was deferred, delivered or bounced (the only ways out of `pending`:
   * app/mta/server.ts), or they were just journalled.
   */
  #touched = new Set<string>();
  #baseline?: LabBaseline;
  #lab: JournaledLab;

  constructor(lab: JournaledLab, { keepMessages = JOURNAL_MESSAGES_KEPT } = {}) {
    this.#lab = lab;
    this.#keepMessages = keepMessages;
    const orgs = new Set(lab.config.orgs.map((o) => o.id));
    lab.events.subscribe((e) => {
      if (e.type === 'mail.deferred' || e.type === 'mail.delivered' || e.type === 'mail.bounced') {
        if (e.entry.ref) this.#touched.add(e.entry.ref);
        this.#touched.add(`${e.entry.org}/${e.entry.id}`);
      }
      // A message from a real client: queued without a scenario ref, by one of the lab's own
      // organisations (a content scanner's relayed copy and a bounce, with its null sender, are not).
      if (e.type === 'mail.queued' && !e.entry.ref && e.entry.from !== '' && orgs.has(e.entry.org)) {
        this.#push({ kind: 'submitted', org: e.entry.org, entry: e.entry.id, message: lab.messageOf?.(e.entry.org, e.entry.id) });
      }
    });
  }

  sent(step: SendStep): void {
    // A copy the caller's later changes cannot reach: its list of recipients and its header fields
    // are copied, its strings shared (they cannot change). structuredClone also copied the body,
    // twice, for every message (about 0.6 % of a lab's thread under load, docs/bench.md).
    this.#push({ kind: 'send', step: { ...step, to: Array.isArray(step.to) ? [...step.to] : step.to, ...(step.headers ? { headers: { ...step.headers } } : {}) } });
  }

  acted(action: LabAction): void {
    this.#push({ kind: 'action', action: structuredClone(action) });
  }

  advanced(by: string | number): void {
    this.#push({ kind: 'advance', by });
  }

  /** How many messages the journal keeps (`JOURNAL_MESSAGES_KEPT` unless the lab was told otherwise). */
  get keepMessages(): number {
    return this.#keepMessages;
  }

  /** What happened, in order: every change, and the newest `keepMessages` messages. */
  get entries(): readonly JournalEntry[] {
    this.#compact();
    return this.#all as JournalEntry[];
  }

  /** What happened since the baseline, in order: the first message and everything after it (none before a message). */
  sinceBaseline(): readonly JournalEntry[] {
    return this.#baselineAt === undefined ? [] : this.entries.slice(this.#baselineAt);
  }

  /** The lab just before its first message, or as it stands now when none was sent. */
  baseline(): LabBaseline {
    return this.#baseline ?? this.#snapshot();
  }

  /** The outcome of a journalled message now (`pending` while it is queued or in flight). */
  outcomeOf(entry: Extract<JournalEntry, { kind: 'send' | 'submitted' }>): Settled | 'pending' {
    if (entry.kind === 'send') return this.#lab.outcome(entry.step.id);
    const state = this.#lab.servers.get(entry.org)?.entries.get(entry.entry)?.state;
    return state === 'delivered' || state === 'bounced' || state === 'deferred' ? state : 'pending';
  }

  #push(entry: JournalEntry): void {
    const message = entry.kind === 'send' || entry.kind === 'submitted';
    if (!this.#baseline && message) {
      this.#baseline = this.#snapshot();
      this.#baselineAt = this.#all.length;
    }
    // Only the messages still pending, and of those only the ones a settling event named, are
    // looked at: a walk over the whole history made every message cost as much as all before it,
    // and asking the lab for each of the (up to 20) pending ones at every send was still most of
    // this journal's cost (docs/bench.md, "Where the time goes").
    if (this.#unsettled.size > 0) {
      for (const key of this.#touched) {
        const waiting = this.#unsettled.get(key);
        if (!waiting) continue;
        const still = waiting.filter((earlier) => {
          const outcome = this.outcomeOf(earlier);
          if (outcome === 'pending') return true;
          earlier.settled = outcome;
          return false;
        });
        if (still.length > 0) this.#unsettled.set(key, still);
        else this.#unsettled.delete(key);
      }
    }
    this.#touched.clear();
    this.#all.push(entry);
    if (message && ++this.#messages > this.#keepMessages) this.#dropOldestMessage();
    if (message) {
      const key = messageKey(entry);
      const waiting = this.#unsettled.get(key);
      if (waiting) waiting.push(entry);
      else this.#unsettled.set(key, [entry]);
      // Settled already (a message with only local recipients has no queue entry): seen at the next entry.
      this.#touched.add(key);
    }
  }

  /**
   * The oldest message goes; the changes around it stay in their places (the baseline was taken
   * before it, so a recording replays every change, in order, with the messages still kept).
   */
  #dropOldestMessage(): void {
    // Every message lies after the baseline (it was taken at the first one).
    for (let i = Math.max(this.#oldestFrom, this.#baselineAt ?? 0); i < this.#all.length; i++) {
      const e = this.#all[i];
      if (!e || (e.kind !== 'send' && e.kind !== 'submitted')) continue;
      this.#all[i] = undefined;
      this.#holes++;
      this.#oldestFrom = i + 1;
      // Still pending, it no longer waits for an outcome.
      const key = messageKey(e);
      const waiting = this.#unsettled.get(key)?.filter((x) => x !== e);
      if (waiting?.length) this.#unsettled.set(key, waiting);
      else this.#unsettled.delete(key);
      this.#messages--;
      this.droppedMessages++;
      // One pass over the entries per `keepMessages` drops, not one per drop.
      if (this.#holes >= this.#keepMessages) this.#compact();
      return;
    }
  }

  /** Close the places of dropped messages (all after the baseline, so `#baselineAt` stays). */
  #compact(): void {
    if (this.#holes === 0) return;
    let kept = 0;
    for (const e of this.#all) if (e) this.#all[kept++] = e;
    this.#all.length = kept;
    this.#holes = 0;
    this.#oldestFrom = 0;
  }

  #snapshot(): LabBaseline {
    const lab = this.#lab;
    // Each server holds its organisation's live settings (actions change them there).
    const orgs = lab.config.orgs.map((o) => lab.servers.get(o.id)?.config ?? o);
    return { config: structuredClone({ ...lab.config, orgs }), dns: lab.dns.records().map((r) => ({ ...r })), clock: lab.clock.now() };
  }
}

/** How a settling queue entry names its message: the scenario ref, or the server and entry of a submitted one. */
function messageKey(entry: Extract<JournalEntry, { kind: 'send' | 'submitted' }>): string {
  return entry.kind === 'send' ? entry.step.id : `${entry.org}/${entry.entry}`;
}
