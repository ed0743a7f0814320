/**
 * Save a running lab as a scenario (docs/authoring.md): a regression test of what the user just
 * reproduced. From the lab's journal (app/lab/journal.ts):
 *
 *   lab:    the organisations, security tables, accounts, inbound policy, DNS and paths as they
 *           stood just before the first message (every change made before it is folded in; with
 *           no message, as they stand now), the seed, and the lab clock of that moment
 *   steps:  each message as a `send` step, followed by an `expect` of the outcome it had settled to
 *           before the next thing happened; each later change as an `action`, each clock move as an
 *           `advance`; at the end, an `expect` of each message's final outcome and what crossed
 *           the wire, where that differs from or adds to the first one
 *
 * The YAML is checked with the same loader `validate` uses before it is handed out (fail closed).
 */
import YAML from 'yaml';
import type { Lab } from '../lab/lab.ts';
import type { DnsRecord } from '../lab/dns.ts';
import { SimDns } from '../lab/dns.ts';
import { derivedDnsRecords } from '../lab/topology.ts';
import type { JournalEntry, Settled } from '../lab/journal.ts';
import { headerValue } from '../mta/bounce.ts';
import { parseScenario } from './load.ts';
import type { ExpectStep, Step } from './schema.ts';
import type { SendStep } from '../config/schema.ts';
import type { LabConfig } from '../config/lab.ts';

export interface RecordOptions {
  id: string;
  title: string;
  story?: string;
  /** The course level of the scenario it was recorded from (default `intermediate`). */
  level?: 'beginner' | 'intermediate' | 'advanced';
}

export interface Recorded {
  yaml: string;
  /** Messages and lab changes in the steps. */
  messages: number;
  changes: number;
  /** Messages the lab's journal had let go before the recording (its oldest; app/lab/journal.ts). */
  droppedMessages: number;
  /**
   * What the file holds, in words, for whoever saved it: "2 messages, 1 change after the first
   * message" (changes made before it are part of the file's lab), and what was left out.
   */
  summary: string;
}

const key = (r: DnsRecord) => `${r.name}\u0000${r.type}\u0000${r.value}\u0000${r.preference ?? ''}`;

/** The DNS records beyond those the lab derives from its hosts, and the derived ones that were removed. */
function dnsDelta(config: LabConfig, records: readonly DnsRecord[]): { extra: DnsRecord[]; removed: DnsRecord[] } {
  const derived = new SimDns();
  for (const r of derivedDnsRecords(config)) derived.add(r);
  const left = new Map<string, number>();
  for (const r of derived.records()) left.set(key(r), (left.get(key(r)) ?? 0) + 1);
  const extra: DnsRecord[] = [];
  for (const r of records) {
    const n = left.get(key(r)) ?? 0;
    if (n > 0) left.set(key(r), n - 1);
    else extra.push(r.preference === undefined ? { name: r.name, type: r.type, value: r.value } : { ...r });
  }
  const removed: DnsRecord[] = [];
  for (const r of derived.records()) {
    const n = left.get(key(r)) ?? 0;
    if (n > 0) {
      removed.push({ ...r });
      left.set(key(r), n - 1);
    }
  }
  return { extra, removed };
}

/** A message a real client submitted, as a `send` step: its envelope, Subject and text body. */
function submittedStep(lab: Lab, org: string, entryId: string, id: string, kept?: Buffer): SendStep | undefined {
  const server = lab.servers.get(org);
  const entry = server?.entries.get(entryId);
  const data = kept ?? server?.queuedMessage(entryId);
  if (!entry || !data) return undefined;
  const text = data.toString('utf8');
  const end = /\r?\n\r?\n/.exec(text);
  const body = end ? text.slice(end.index + end[0].length) : '';
  return { id, from: entry.from, to: entry.to.length === 1 ? entry.to[0] : entry.to, subject: headerValue(data, 'Subject') ?? '', body: body.replace(/\r\n/g, '\n') };
}

/** What crossed the wire for a message sent by the lab (its canaries are known; `leaked`: any was seen in clear). */
function wireOf(lab: Lab, ref: string, outcome: Settled, leaked: boolean): ExpectStep['wire'] {
  if (leaked) return 'cleartext';
  if (outcome !== 'delivered') return 'no-leak';
  const attempts = lab.entriesOf(ref).flatMap((e) => e.attempts).filter((a) => a.result === 'delivered');
  return attempts.length > 0 && attempts.every((a) => a.tls || a.sealed) ? 'encrypted' : 'no-leak';
}

function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)).map(([k, v]) => [k, prune(v)]));
  }
  return value;
}

export function recordScenario(lab: Lab, options: RecordOptions): Recorded {
  const base = lab.journal.baseline();
  const { extra, removed } = dnsDelta(base.config, base.dns);
  const steps: Step[] = removed.map((r) => ({ action: { org: base.config.orgs[0].id, removeDns: { name: r.name, type: r.type, value: r.value } } }));
  const finals: { ref: string; first: Settled | 'pending'; canaries: boolean; entry: Extract<JournalEntry, { kind: 'send' | 'submitted' }> }[] = [];
  const used = new Set(lab.journal.entries.flatMap((e) => (e.kind === 'send' ? [e.step.id] : [])));
  let submitted = 0;
  let changes = removed.length;
  // Changes before the first message are in the baseline already.
  for (const entry of lab.journal.sinceBaseline()) {
    if (entry.kind === 'action') {
      steps.push({ action: entry.action });
      changes++;
    } else if (entry.kind === 'advance') {
      steps.push({ advance: entry.by });
    } else {
      let send: SendStep | undefined;
      if (entry.kind === 'send') send = entry.step;
      else {
        let id: string;
        do id = `s${++submitted}`; while (used.has(id));
        used.add(id);
        send = submittedStep(lab, entry.org, entry.entry, id, entry.message);
      }
      if (!send) continue;
      steps.push({ send });
      const first = entry.settled ?? lab.journal.outcomeOf(entry);
      if (first !== 'pending') steps.push({ expect: { message: send.id, outcome: first, at: 'any' } });
      finals.push({ ref: send.id, first, canaries: entry.kind === 'send', entry });
    }
  }
  // Canaries exist only for messages the lab composed; a real client's message has none to look for.
  const leaks = lab.leaksOf(finals.filter((f) => f.canaries).map((f) => f.ref));
  for (const f of finals) {
    const outcome = lab.journal.outcomeOf(f.entry);
    if (outcome === 'pending') continue;
    const wire = f.canaries ? wireOf(lab, f.ref, outcome, (leaks.get(f.ref)?.length ?? 0) > 0) : undefined;
    if (outcome === f.first && !wire) continue;
    steps.push({ expect: { message: f.ref, outcome, ...(wire ? { wire } : {}), at: 'any' } });
  }
  const config: LabConfig = {
    ...base.config,
    seed: lab.seed,
    clock: { start: new Date(base.clock).toISOString() },
    dns: extra,
  };
  const document = prune({ id: options.id, title: options.title, level: options.level ?? 'intermediate', story: options.story ?? '', lab: config, steps });
  const dropped = lab.journal.droppedMessages;
  const note = dropped > 0
    ? `# The lab's journal keeps the newest ${lab.journal.keepMessages.toLocaleString('en')} messages: the ${dropped} before them are not in this file; every change is.\n`
    : '';
  const yaml = `# Recorded by Postcard Lab from a running lab (docs/authoring.md). Run it: postcard-lab run <this file>\n${note}${YAML.stringify(document, { lineWidth: 0 })}`;
  const check = parseScenario(yaml, `${options.id}.yaml`);
  if (!check.ok) throw new Error(`the recorded scenario does not validate: ${check.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('; ')}`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary = `${plural(finals.length, 'message')}, ${plural(changes, 'change')} after the first message (earlier changes are in its lab)${dropped > 0 ? `; the ${dropped} earliest messages were not kept (a lab keeps the newest ${lab.journal.keepMessages.toLocaleString('en')})` : ''}`;
  return { yaml, messages: finals.length, changes, droppedMessages: dropped, summary };
}
