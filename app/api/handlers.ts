/**
 * The handlers: one per command of the contract, each a call into the session or the engine and a
 * conversion to the contract's view — no engine logic of their own. `Handlers` is keyed by
 * `CommandName`, so a command without a handler does not compile.
 */
import path from 'node:path';
import { formatTranscript } from '../mta/transcript.ts';
import { dsnFields } from '../scenario/expect.ts';
import type { MailServer } from '../mta/server.ts';
import { inboundTlsProblem } from '../mta/inbound-tls.ts';
import { labAction } from '../config/schema.ts';
import { describeIssues, type CommandName, type ParsedRequestOf, type ResponseOf } from './contract.ts';
import { alternateHosts, entryFromSetting } from './security.ts';
import { ApiFailure, type ApiSession } from './session.ts';
import type { TerminalOwner } from '../terminal/service.ts';
import { mailboxItemView, queueEntryView } from './views.ts';
import { followStream, packetDetail, packetOfLine, pagePackets } from './packets.ts';
import { firewallOf, linksOf, serverLogOf, timelineOf } from './observe.ts';
import { GridBadInput, GridBusy, gridOptions, gridStoreOf } from './grid.ts';
import type { SecurityMethodName, ServerProfileName } from '../grid/axes.ts';

export type Handlers = { [K in CommandName]: (request: ParsedRequestOf<K>) => Promise<ResponseOf<K>> };

function server(session: ApiSession, org: string): MailServer {
  const s = session.lab.servers.get(org);
  if (!s) throw new ApiFailure('not-found', `no organisation "${org}" in this lab (known: ${[...session.lab.servers.keys()].join(', ')})`);
  return s;
}

function mailboxUser(s: MailServer, user: string): string {
  const name = s.config.users.find((u) => u.toLowerCase() === user.toLowerCase());
  if (!name) throw new ApiFailure('not-found', `${s.id} has no mailbox "${user}" (users: ${s.config.users.join(', ') || 'none'})`);
  return name;
}

/** Engine errors that are the caller's mistake (an unknown account, a duplicate id) keep their text. */
function asFailure(error: unknown): never {
  if (error instanceof ApiFailure) throw error;
  throw new ApiFailure('failed', (error as Error).message);
}

/** A lab change, as a scenario's `action` step makes it, with the sentence the lab announced. */
function applyAction(session: ApiSession, action: ParsedRequestOf<'applyAction'>): ResponseOf<'applyAction'> {
  const lab = session.lab;
  // OpenSSL's check of a server's TLS settings needs node:tls, which the contract's schemas (bundled
  // into the desktop preload) cannot import: it is made here, and answered as the schema would.
  const tls = action.setInbound?.tls;
  const problem = tls && inboundTlsProblem(server(session, action.org).config.profile, tls);
  if (problem) throw new ApiFailure('invalid-payload', `applyAction: payload.setInbound.tls${problem.key ? `.${problem.key}` : ''}: ${problem.message}`);
  let what = '';
  const unsubscribe = lab.events.subscribe((e) => { if (e.type === 'lab.changed') what = e.what; });
  try {
    lab.applyAction(action);
  } catch (error) {
    asFailure(error);
  } finally {
    unsubscribe();
  }
  return { what, snapshot: session.snapshot() };
}

/**
 * `connection`: who calls (one per page's socket; the desktop's one channel). The terminal
 * sessions it opens are its own, limited per connection and closed with it
 * (`ApiSession.closeTerminalsOf`).
 */
export function createHandlers(session: ApiSession, connection: TerminalOwner = session): Handlers {
  return {
    listScenarios: async () => ({ scenarios: session.listScenarios() }),
    openScenario: (r) => session.openScenario(r.id),
    startLab: (r) => session.startLab(r.keepChanges),
    stopLab: () => session.stopLab(),
    getSnapshot: async () => session.snapshot(),
    runNextStep: (r) => session.runSteps(1, r.solve),
    runAllSteps: () => session.runSteps(Number.POSITIVE_INFINITY, true),

    applyAction: async (action) => applyAction(session, action),

    saveSecurity: async ({ org, ...dialog }) => {
      const existing = server(session, org).config.security.find((e) => e.domain.toLowerCase() === dialog.domain.toLowerCase());
      if (dialog.via) {
        // Only a host some path of this lab leads to from `org` (an alternate interface): anything
        // else would send the partner's mail to a host nothing in the lab answers for.
        const alternates = alternateHosts(session.lab, org)[dialog.domain.toLowerCase()] ?? [];
        if (!alternates.includes(dialog.via.toLowerCase())) {
          throw new ApiFailure('invalid-payload', `${dialog.domain} has no alternate host ${dialog.via} reachable from ${org} (alternates: ${alternates.join(', ') || 'none'})`);
        }
      }
      const built = entryFromSetting(dialog, existing);
      if (!built.ok) throw new ApiFailure('invalid-payload', built.error);
      // The same gate and the same change as a scenario's `setSecurity` action.
      const action = labAction.safeParse({ org, setSecurity: built.entry });
      if (!action.success) throw new ApiFailure('invalid-payload', describeIssues(action.error.issues, 'setting'));
      const done = applyAction(session, action.data);
      return { ...done, ...(built.note ? { note: built.note } : {}) };
    },

    sendMessage: async (step) => {
      try {
        const sent = session.lab.send(step);
        return { ref: sent.ref, org: sent.org, entryIds: sent.entryIds };
      } catch (error) {
        return asFailure(error);
      }
    },

    listMailbox: async ({ org, user }) => {
      const s = server(session, org);
      const name = mailboxUser(s, user);
      return { org: s.id, user: name, items: s.mailboxes.list(name).map(mailboxItemView) };
    },

    readMessage: async ({ org, user, id }) => {
      const s = server(session, org);
      const name = mailboxUser(s, user);
      const item = s.mailboxes.list(name).find((m) => m.id === id);
      const data = item && s.mailboxes.read(name, id);
      if (!item || !data) throw new ApiFailure('not-found', `no message ${id} in ${name}@${s.domain}'s mailbox`);
      return { item: mailboxItemView(item), source: data.toString('utf8'), ...(item.kind === 'bounce' ? { dsn: dsnFields(data) } : {}) };
    },

    retryEntry: async ({ org, id }) => {
      const s = server(session, org);
      const entry = s.entries.get(id);
      if (!entry) throw new ApiFailure('not-found', `${s.id} has no queue entry ${id}`);
      const retried = s.retry(id);
      return { retried, entry: queueEntryView(entry) };
    },

    getTranscripts: async ({ org, id }) => {
      const s = server(session, org);
      const entry = s.entries.get(id);
      if (!entry) throw new ApiFailure('not-found', `${s.id} has no queue entry ${id}`);
      const logs = session.lab.serverLogs;
      return {
        entry: queueEntryView(entry),
        attempts: entry.attempts.map((a, index) => ({
          index, at: a.at, host: a.host, conn: a.conn, result: a.result, reason: a.reason,
          sender: a.transcriptDropped ? `(${a.transcriptDropped} lines no longer kept: only the newest finished entries keep their transcripts, docs/decisions.md "Bounded memory")` : formatTranscript(a.transcript),
          receiver: a.conn ? formatTranscript(logs.get(a.conn) ?? []) : '',
          ...(a.causeLine !== undefined && a.result !== 'delivered' ? { causeLine: a.causeLine } : {}),
          linked: a.conn ? a.transcript.flatMap((l, i) => (l.at ? [i] : [])) : [],
        })),
      };
    },

    listCapturePoints: async () => ({ points: session.lab.capture.points().map((p) => ({ ...p, kind: session.lab.pointKind(p.id) })) }),
    pagePackets: async (r) => pagePackets(session.lab, r),
    packetDetail: async (r) => packetDetail(session.lab, r),
    followStream: async (r) => followStream(session.lab, r),
    packetOfLine: async (r) => packetOfLine(session.lab, r),

    getLinks: async () => linksOf(session),
    getTimeline: async (r) => timelineOf(session, r),
    getFirewall: async (r) => firewallOf(session, r.path),
    getServerLog: async (r) => serverLogOf(session, r.org),

    terminalTargets: async () => ({ targets: session.terminals.targets() }),
    terminalOpen: async (r) => {
      try {
        return await session.terminals.open(r.target, r.mode, connection);
      } catch (error) {
        return asFailure(error);
      }
    },
    terminalSend: async (r) => {
      try {
        return { sent: await session.terminals.send(r.session, r.data) };
      } catch (error) {
        return asFailure(error);
      }
    },
    terminalClose: async (r) => {
      try {
        session.terminals.close(r.session);
        return { closed: true };
      } catch (error) {
        return asFailure(error);
      }
    },
    openScenarioText: (r) => session.openText(r.name, r.text),
    checkScenarioText: async (r) => session.checkText(r.name, r.text),
    reloadScenario: (r) => session.reload(r.restart),
    listRecent: async () => ({ files: session.recent.list().map((file) => ({ file, name: path.basename(file) })) }),
    openRecent: (r) => session.openFile(r.file, 'recent'),
    recordScenario: async (r) => {
      try {
        return session.record(r.title);
      } catch (error) {
        return asFailure(error);
      }
    },
    currentScenario: async () => session.current(),
    rewindSteps: (r) => session.rewind(r.to),
    advanceClock: async (r) => {
      try {
        return await session.advanceClock(r.by);
      } catch (error) {
        return asFailure(error);
      }
    },
    gridOptions: async () => gridOptions(),
    runGrid: async ({ firewallConfig, ...axes }) => {
      try {
        return await gridStoreOf(session).run(
          { senders: axes.senders as ServerProfileName[], receivers: axes.receivers as ServerProfileName[], firewalls: axes.firewalls, methods: axes.methods as SecurityMethodName[] },
          firewallConfig,
          (cell, done, total) => session.events.emit({ event: 'grid.progressed', payload: { done, total, cell } }),
        );
      } catch (error) {
        if (error instanceof GridBusy) throw new ApiFailure('busy', error.message);
        if (error instanceof GridBadInput) throw new ApiFailure('invalid-payload', error.message);
        throw error;
      }
    },
    gridCell: async ({ id }) => {
      const cell = gridStoreOf(session).cell(id, (file) => `/export/grid/${file}`);
      if (!cell) throw new ApiFailure('not-found', `no cell ${id} in the last grid run`);
      return cell;
    },
  };
}
