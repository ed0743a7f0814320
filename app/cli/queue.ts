/**
 * `postcard-lab queue <workspace> [--json] [--all] [--eml ID]`: read a lab's queues from its
 * workspace, in the spirit of Postfix's `mailq` (postqueue -p): one block per queued message with
 * its size, arrival time (lab time, UTC), sender, the reason it is still waiting, and recipients.
 * `--all` adds delivered and bounced entries; `--eml ID` writes one message — queued, or in any
 * mailbox — to stdout as it is stored (an .eml file). The workspace is opened read-only: this is
 * safe while the lab runs, and sees every record flushed so far.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Workspace } from '../base/store.ts';
import { DAYS, MONTHS, timeOfDay } from '../base/calendar.ts';
import type { Journal, QueueEntry as JournalEntry } from '../base/journal.ts';
import { parseArgs, stringFlag, UsageError } from './args.ts';
import { EXIT, type CliIo } from './io.ts';

/** The stored queue entry fields this command shows (app/mta/queue.ts has the whole shape). */
interface StoredEntry extends JournalEntry {
  arrivedAt: number;
  size?: number;
  from: string;
  to: string[];
}

export interface QueueRow {
  org: string;
  id: string;
  state: 'queued' | 'in-flight' | 'deferred' | 'delivered' | 'bounced';
  /** Octets of the queued message (absent once finished: the copy is no longer kept). */
  size?: number;
  arrivedAt: string;
  from: string;
  to: string[];
  reason?: string;
  nextAttemptAt?: string;
}

/** mailq's arrival time, `Sat Dec  5 07:50:37` (here in UTC). */
function mailqDate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${timeOfDay(d)}`;
}

function orgsOf(ws: Workspace): string[] {
  try {
    return fs.readdirSync(ws.path('orgs')).filter((org) => fs.existsSync(ws.path('orgs', org, 'journal.log'))).sort();
  } catch {
    return [];
  }
}

const counted = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What a lab's workspace holds, in a few words — its queued messages (not yet delivered or
 * bounced), finished ones, messages in mailboxes, and the lab clock it would resume at — or
 * undefined when `root` holds no lab's state (no lab.json, no journal). `run --workspace` says it
 * before reusing a scenario's workspace. Opened read-only, as this command opens it.
 */
export async function workspaceHolds(root: string): Promise<string | undefined> {
  if (!fs.existsSync(path.join(root, 'lab.json')) && !fs.existsSync(path.join(root, 'orgs'))) return undefined;
  const ws = new Workspace(root, { readOnly: true });
  try {
    let queued = 0, finished = 0, stored = 0;
    for (const org of orgsOf(ws)) {
      let journal: Journal;
      try {
        journal = ws.journal(org);
      } catch (error) {
        return `a journal that cannot be read (${path.join('orgs', org, 'journal.log')}: ${(error as Error).message})`;
      }
      for (const { entry } of journal.entries.values()) {
        if (entry.state === 'delivered' || entry.state === 'bounced') finished++;
        else queued++;
      }
      for (const box of journal.mailboxes.values()) stored += box.size;
    }
    const labTime = ws.readJson<{ labTime?: unknown }>('lab.json')?.labTime;
    const clock = typeof labTime === 'number' && Number.isFinite(new Date(labTime).getTime()) ? `, lab clock at ${new Date(labTime).toISOString()}` : '';
    return `${counted(queued, 'queued message')}, ${finished} delivered or bounced, ${counted(stored, 'message')} in mailboxes${clock}`;
  } finally {
    await ws.close();
  }
}

export function queueRows(journal: Journal, org: string, all: boolean): QueueRow[] {
  return [...journal.entries.values()]
    .map(({ entry, body }) => ({ entry: entry as StoredEntry, body }))
    .filter(({ entry }) => all || (entry.state !== 'delivered' && entry.state !== 'bounced'))
    .sort((a, b) => a.entry.arrivedAt - b.entry.arrivedAt || a.entry.id.localeCompare(b.entry.id))
    .map(({ entry, body }) => ({
      org, id: entry.id, state: entry.state as QueueRow['state'], size: body?.length ?? entry.size, arrivedAt: new Date(entry.arrivedAt).toISOString(),
      from: entry.from, to: entry.to, reason: entry.lastError,
      nextAttemptAt: entry.nextAttemptAt !== undefined ? new Date(entry.nextAttemptAt).toISOString() : undefined,
    }));
}

/** The bytes of message `id`: a queued copy, or a mailbox copy (the id a server's 250 named). */
function findMessage(journal: Journal, id: string): Buffer | undefined {
  const queued = journal.entries.get(id)?.body;
  if (queued) return journal.readAt(queued);
  for (const box of journal.mailboxes.values()) {
    const m = box.get(id);
    if (m) return journal.readAt(m.body);
  }
  return undefined;
}

export async function queueCommand(argv: string[], io: CliIo, stdout: (data: Buffer) => void = (d) => process.stdout.write(d)): Promise<number> {
  const args = parseArgs(argv, { json: { type: 'boolean' }, all: { type: 'boolean' }, eml: { type: 'value' } });
  if (args.positional.length !== 1) throw new UsageError('queue takes exactly one workspace folder');
  const root = path.resolve(args.positional[0]);
  if (!fs.existsSync(path.join(root, 'orgs'))) {
    // `run --workspace DIR` keeps one workspace per scenario inside DIR: name them.
    const inside = fs.existsSync(root) && fs.statSync(root).isDirectory()
      ? fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, 'orgs'))).sort()
      : [];
    io.err(`postcard-lab queue: ${root} is not a lab workspace (no orgs/ folder)${inside.length
      ? `; it holds the workspaces of ${inside.length} scenario${inside.length === 1 ? '' : 's'} (run --workspace keeps one per scenario): ${inside.map((d) => path.join(root, d)).join(', ')}`
      : ''}`);
    return EXIT.badInput;
  }
  const ws = new Workspace(root, { readOnly: true });
  const orgs = orgsOf(ws);
  // Every journal opened first: one that cannot be read, or holds bytes that are no record, is said
  // (exit 2, bad input), never shown as an empty queue.
  let unreadable = false;
  const journals = new Map<string, Journal>();
  for (const org of orgs) {
    const file = path.join('orgs', org, 'journal.log');
    try {
      journals.set(org, ws.journal(org));
    } catch (error) {
      io.err(`postcard-lab queue: cannot read ${path.join(root, file)}: ${(error as Error).message}`);
      unreadable = true;
      continue;
    }
    const r = journals.get(org)!.recovery;
    if (r.cutBytes === 0) continue;
    if (r.damaged) {
      io.err(`postcard-lab queue: ${path.join(root, file)} is damaged: ${r.cutBytes} octets from there on are not records (${r.cutReason}); what they held is not shown`);
      unreadable = true;
    } else {
      // A record cut short at the end: a lab killed mid-write (`up` cuts it on start), or one being written now.
      io.err(`postcard-lab queue: ${path.join(root, file)} ends in ${r.cutBytes} octets of a record not yet whole (${r.cutReason}); shown: every whole record`);
    }
  }
  const emlId = stringFlag(args, 'eml');
  if (emlId !== undefined) {
    for (const [, journal] of journals) {
      const data = findMessage(journal, emlId);
      if (data) {
        stdout(data);
        await ws.close();
        return EXIT.ok;
      }
    }
    await ws.close();
    io.err(`postcard-lab queue: no message ${emlId} in ${root} (neither queued nor in a mailbox)`);
    return EXIT.badInput;
  }
  const all = args.flags.has('all');
  const rows = [...journals].flatMap(([org, journal]) => queueRows(journal, org, all));
  await ws.close();
  const done = unreadable ? EXIT.badInput : EXIT.ok;
  if (args.flags.has('json')) {
    io.out(JSON.stringify(rows, null, 2));
    return done;
  }
  if (rows.length === 0) {
    io.out(all ? 'No mail has been queued' : 'Mail queue is empty');
    return done;
  }
  for (const org of orgs) {
    const mine = rows.filter((r) => r.org === org);
    if (mine.length === 0) continue;
    io.out(`${org}:`);
    io.out('-Queue ID-      --Size-- ----Arrival Time---- -Sender/Recipient-------');
    for (const r of mine) {
      // mailq marks a message being delivered with `*`; finished ones show their state here.
      const mark = r.state === 'in-flight' ? '*' : ' ';
      const size = r.size === undefined ? '-' : String(r.size);
      io.out(`${(r.id + mark).padEnd(15)} ${size.padStart(8)} ${mailqDate(Date.parse(r.arrivedAt))}  ${r.from || 'MAILER-DAEMON'}`);
      if (r.state === 'delivered') io.out('(delivered)');
      // A bounce says why, as the deferred do: the reason its sender was told.
      else if (r.state === 'bounced') io.out(`(bounced${r.reason ? `: ${r.reason}` : ''})`);
      else if (r.reason) io.out(`(${r.reason})`);
      for (const to of r.to) io.out(`${''.padEnd(45)}${to}`);
      io.out('');
    }
    const pending = mine.filter((r) => r.size !== undefined);
    const kbytes = Math.ceil(pending.reduce((n, r) => n + (r.size ?? 0), 0) / 1024);
    io.out(`-- ${kbytes} Kbytes in ${pending.length} Request${pending.length === 1 ? '' : 's'}.`);
  }
  return done;
}
