/**
 * The contract between the engine and every front-end (SPEC §12.4, STYLE.md "one contract, several
 * transports"): each command with its request schema and response type, each event, and the
 * message envelopes. Electron IPC (main/), the WebSocket bridge (app/bridge/) and the renderer's
 * API all derive from this one file, so a command is declared once and a transport cannot forget
 * one: `CommandName` is the compile-time allow-list, `requestSchemas` the run-time check.
 *
 *   renderer ──(window.postcard | WebSocket)──► transport ──► dispatch(validate) ──► handlers ──► Lab
 *      ▲                                                                                   │
 *      └──────────────────────────── events (lab.event, step.result, …) ◄─────────────────┘
 *
 * The renderer imports only TYPES from here (lint), so the DTOs below are plain JSON shapes that
 * never mention engine classes, Buffers or node:* types.
 */
import { z } from 'zod';
import { labAction, securityEntry, sendStep, tlsLevel } from '../config/schema.ts';
import type { MailboxItem } from '../mta/mailbox-item.ts';

const id = z.string().min(1, 'must not be empty').max(200, 'is too long');
const text = z.string().max(200, 'is too long');

/**
 * One outbound security entry as a server profile's own dialog states it (SPEC §3): the IMS
 * "E-Mail Domain security information" dialog (Exchange 5.5), a send connector's TLS parameters
 * (Exchange 2019), or a TLS security level (Postfix, generic). `saveSecurity` translates it with
 * app/policy/vocabulary.ts, so the renderer never holds a second copy of that mapping.
 */
export const securitySetting = z.discriminatedUnion('vocabulary', [
  z.strictObject({
    vocabulary: z.literal('ims'),
    option: z.enum(['none', 'ntlm', 'sasl-ssl']),
    /** The "SSL encryption" check box under SASL/SSL security. */
    sslEncryption: z.boolean().optional(),
    /** The NT domain, account and password this server logs on with. A blank password keeps the saved one. */
    logon: z.strictObject({ domain: text, user: text, password: text }).optional(),
  }),
  z.strictObject({
    vocabulary: z.literal('send-connector'),
    RequireTLS: z.boolean(),
    TlsAuthLevel: z.enum(['EncryptionOnly', 'CertificateValidation', 'DomainValidation']).optional(),
  }),
  z.strictObject({ vocabulary: z.literal('level'), level: tlsLevel }),
]);
export type SecurityVocabulary = z.infer<typeof securitySetting>['vocabulary'];

/** The compile-time allow-list of commands, and the same names at run time. */
export const COMMAND_NAMES = [
  'listScenarios', 'openScenario', 'startLab', 'stopLab', 'getSnapshot', 'runNextStep', 'runAllSteps',
  'applyAction', 'saveSecurity', 'sendMessage', 'listMailbox', 'readMessage', 'retryEntry', 'getTranscripts',
  'listCapturePoints', 'pagePackets', 'packetDetail', 'followStream',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Run-time validation of every request payload, where it enters (SPEC §11 "every IPC payload validated"). */
export const requestSchemas = {
  listScenarios: z.strictObject({}),
  openScenario: z.strictObject({ id }),
  startLab: z.strictObject({}),
  stopLab: z.strictObject({}),
  getSnapshot: z.strictObject({}),
  // A checkpoint waits for the learner (status `pending`) unless `solve` asks for its solution ("Show me").
  runNextStep: z.strictObject({ solve: z.boolean().default(false) }),
  // Unattended, as the headless runner: checkpoints apply their solution.
  runAllSteps: z.strictObject({}),
  applyAction: labAction,
  saveSecurity: z.strictObject({
    org: id,
    domain: securityEntry.shape.domain,
    setting: securitySetting,
    /** A lab addition the products lacked (SPEC §3): refuse NTLM sessions weaker than this. */
    minKeyBits: securityEntry.shape.minKeyBits,
  }),
  sendMessage: sendStep,
  listMailbox: z.strictObject({ org: id, user: id }),
  readMessage: z.strictObject({ org: id, user: id, id }),
  retryEntry: z.strictObject({ org: id, id }),
  getTranscripts: z.strictObject({ org: id, id }),
  listCapturePoints: z.strictObject({}),
  // Paging (SPEC §8): the UI asks for one page of one capture point; it never holds the capture.
  pagePackets: z.strictObject({
    point: id.optional(),
    filter: z.string().max(2000, 'is too long').optional(),
    from: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(1000).default(100),
    leaksOnly: z.boolean().optional(),
    // Per request, default off (an eavesdropper's view): two windows on one lab never see each other's toggle.
    decrypt: z.boolean().default(false),
  }),
  packetDetail: z.strictObject({ no: z.number().int().min(1), decrypt: z.boolean().default(false) }),
  followStream: z.strictObject({ conn: id, point: id.optional(), decrypt: z.boolean().optional() }),
} as const satisfies Record<CommandName, z.ZodType>;

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && (COMMAND_NAMES as readonly string[]).includes(name);
}

/** What a caller sends (defaults may be left out) and what a handler receives (defaults filled in). */
export type RequestOf<K extends CommandName> = z.input<(typeof requestSchemas)[K]>;
export type ParsedRequestOf<K extends CommandName> = z.output<(typeof requestSchemas)[K]>;
export type LabActionRequest = RequestOf<'applyAction'>;
export type SaveSecurityRequest = RequestOf<'saveSecurity'>;
export type SecuritySettingRequest = SaveSecurityRequest['setting'];
export type SendRequest = RequestOf<'sendMessage'>;

// —— Response shapes ——

export interface ScenarioSummary {
  id: string;
  title: string;
  level: 'beginner' | 'intermediate' | 'advanced';
  minutes?: number;
  /** File name inside the scenarios folder. */
  file: string;
  /** A file that does not load is still listed, with its errors (file:line:col: path: message). */
  errors?: string[];
}

export type StepKind = 'send' | 'action' | 'advance' | 'expect' | 'checkpoint';
/** `pending`: a checkpoint the learner has not made true yet; the cursor stays on it (front-ends only, never the headless runner). */
export type StepStatus = 'passed' | 'failed' | 'error' | 'skipped' | 'pending';

export interface StepView {
  index: number;
  kind: StepKind;
  /** Short name, as the headless runner prints it (`m1 delivered cleartext`). */
  name: string;
  /** One line for a trainer: who sends what, which change, what is expected. */
  summary: string;
  /** For a checkpoint: the question to the learner. */
  ask?: string;
}

export interface ScenarioView {
  id: string;
  title: string;
  level: ScenarioSummary['level'];
  minutes?: number;
  /** Markdown, for the trainer. */
  story: string;
  steps: StepView[];
}

export interface StepResultView {
  index: number;
  kind: StepKind;
  status: StepStatus;
  message: string;
  name: string;
  /** A pending checkpoint: the question to the learner. */
  ask?: string;
}

export interface StepRun {
  results: StepResultView[];
  /** Index of the next step to run; equals the number of steps when all ran. */
  next: number;
  done: boolean;
}

export type QueueState = 'queued' | 'in-flight' | 'deferred' | 'delivered' | 'bounced';

export interface QueueEntryView {
  id: string;
  org: string;
  from: string;
  to: string[];
  domain: string;
  ref?: string;
  state: QueueState;
  arrivedAt: number;
  nextAttemptAt?: number;
  lastError?: string;
  attempts: number;
  bounceId?: string;
}

/** A mailbox entry is plain data already (app/mta/mailbox.ts): the view is the same shape. */
export type MailboxItemView = MailboxItem;

/** A security entry in the organisation's own vocabulary, as its edit dialog opens (never the password). */
export type SecuritySettingView = (
  | { vocabulary: 'ims'; option: 'none' | 'ntlm' | 'sasl-ssl'; sslEncryption?: boolean; logon?: { domain: string; user: string } }
  | { vocabulary: 'send-connector'; RequireTLS: boolean; TlsAuthLevel?: 'EncryptionOnly' | 'CertificateValidation' | 'DomainValidation' }
  | { vocabulary: 'level'; level: z.infer<typeof tlsLevel> }
) & {
  /** False when the vocabulary cannot say what the entry does; the setting shown is the nearest, and `note` says why. */
  exact: boolean;
  note?: string;
};

export interface SecurityRowView {
  domain: string;
  method: 'none' | 'ntlm' | 'tls';
  level?: string;
  /** The account this server logs on with (never the password). */
  logon?: { domain: string; user: string };
  minKeyBits?: number;
  via?: string;
  setting: SecuritySettingView;
}

export interface HostView {
  name: string;
  address: string;
  certificate: string;
  /** Loopback endpoint real tools can use (`127.0.0.1:40123`). */
  smtp?: string;
  submission?: string;
}

export interface OrgView {
  id: string;
  domain: string;
  profile: string;
  /** The words its security table is edited in (exchange-5.5: ims, exchange-2019: send-connector, else level). */
  vocabulary: SecurityVocabulary;
  nt?: { domain: string; crypto: string; lmCompatibility: number };
  external?: string;
  hosts: HostView[];
  users: string[];
  accounts: { domain: string; user: string; disabled: boolean }[];
  inbound: { starttls: boolean; requireTls: boolean };
  security: SecurityRowView[];
  mailboxes: { user: string; messages: number; bounces: number }[];
  queue: QueueEntryView[];
}

export interface PathView {
  id: string;
  between: [string, string];
  via: 'direct' | 'firewall' | 'content-scanner';
  to?: string;
  /** The middlebox profile on a firewall path (`asa`, `pix-5.1`, …). */
  firewall?: string;
  points: { id: string; label: string; roles: string[] }[];
  /** One relay per sending organisation and destination host. */
  entries: { from: string; host: string; entry: string }[];
}

export interface LabSnapshot {
  status: 'stopped' | 'running';
  scenario?: { id: string; title: string };
  /** Lab time, ms since the epoch, and what is scheduled on it. */
  clock?: { now: number; pending: { at: number; label: string }[] };
  orgs: OrgView[];
  paths: PathView[];
  /** Index of the next scenario step. */
  nextStep: number;
  results: StepResultView[];
}

export interface AttemptTranscript {
  index: number;
  at: number;
  host?: string;
  conn?: string;
  result: 'delivered' | 'deferred' | 'bounced' | 'next-mx';
  reason?: string;
  /** What our client saw, with swaks markers (`->`, `<-`, `~>`, `<~`, `=>`, `<=`, `===`). */
  sender: string;
  /** What the receiving server logged for the same connection (its `<-` is what it read). */
  receiver: string;
}

// —— The packet view (SPEC §8) ——

export interface CapturePointView {
  id: string;
  label: string;
  packets: number;
  dropped: number;
}

export interface PacketRowView {
  no: number;
  time: number;
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
  /** Carries canary bytes in clear. */
  leak: boolean;
  /** A middlebox stage changed, dropped or added bytes of this segment. */
  rewritten: boolean;
  conn: string;
  point: string;
}

export interface PacketPage {
  total: number;
  matched: number;
  dropped: number;
  rows: PacketRowView[];
  /** A filter that does not parse: the message and the position of the mistake; then no rows. */
  error?: { message: string; position: number };
}

export interface DetailNodeView {
  label: string;
  children?: DetailNodeView[];
}

export interface PacketDetailView {
  no: number;
  point: string;
  conn: string;
  dir: 'c2s' | 's2c';
  protocol: string;
  info: string;
  leak: boolean;
  marks: { stage: string; action: string; note?: string; originalHex?: string }[];
  tree: DetailNodeView[];
  /** Hex + ASCII rows (16 bytes each) of the frame, then extra panes (decrypted TLS, unsealed SASL). */
  hex: { offset: number; hex: string; ascii: string }[];
  tabs: { label: string; hex: { offset: number; hex: string; ascii: string }[] }[];
  /** The queue entry and attempt whose session this packet belongs to, when known. */
  link?: { org: string; entry: string; attempt: number; ref?: string; line?: number; text?: string };
}

export interface FollowView {
  conn: string;
  point: string;
  client: string;
  server: string;
  decrypted: boolean;
  truncated: boolean;
  parts: { from: 'client' | 'server'; no: number; text: string }[];
}

export interface Responses {
  listScenarios: { scenarios: ScenarioSummary[] };
  openScenario: ScenarioView;
  startLab: LabSnapshot;
  stopLab: LabSnapshot;
  getSnapshot: LabSnapshot;
  runNextStep: StepRun;
  runAllSteps: StepRun;
  applyAction: { what: string; snapshot: LabSnapshot };
  saveSecurity: { what: string; snapshot: LabSnapshot; note?: string };
  sendMessage: { ref: string; org: string; entryIds: string[] };
  listMailbox: { org: string; user: string; items: MailboxItemView[] };
  readMessage: { item: MailboxItemView; source: string; dsn?: { status?: string; diagnostic?: string } };
  retryEntry: { retried: boolean; entry: QueueEntryView };
  getTranscripts: { entry: QueueEntryView; attempts: AttemptTranscript[] };
  listCapturePoints: { points: CapturePointView[] };
  pagePackets: PacketPage;
  packetDetail: PacketDetailView;
  followStream: FollowView;
}

export type ResponseOf<K extends CommandName> = Responses[K];

// Compile-time: a command without a schema or a response type, or one of those without a command,
// fails here (`satisfies` above catches a missing schema; these catch extra ones).
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ContractIsComplete = Assert<Exact<keyof Responses, CommandName> & Exact<keyof typeof requestSchemas, CommandName>>;

// —— Events (past tense, STYLE.md §7) ——

export type LabEventView =
  | { type: 'mail.queued' | 'mail.attempted' | 'mail.deferred' | 'mail.delivered' | 'mail.bounced'; entry: QueueEntryView }
  | { type: 'mail.received'; org: string; item: MailboxItemView }
  | { type: 'clock.advanced'; now: number }
  | { type: 'lab.changed'; org: string; what: string }
  | { type: 'capture.changed'; point: string; conn: string };

export interface Events {
  /** Something happened inside the running lab. */
  'lab.event': LabEventView;
  /** A scenario step finished. */
  'step.result': { result: StepResultView; next: number };
  /** The session opened a scenario, or its lab started or stopped. */
  'session.changed': { scenario?: string; status: LabSnapshot['status'] };
}

export type EventName = keyof Events;
export const EVENT_NAMES: readonly EventName[] = ['lab.event', 'step.result', 'session.changed'];

export type EventMessage = { [E in EventName]: { event: E; payload: Events[E] } }[EventName];

// —— Envelopes shared by every transport ——

export type ApiErrorCode =
  | 'bad-json' | 'bad-message' | 'unknown-command' | 'invalid-payload'
  | 'busy' | 'no-scenario' | 'no-lab' | 'not-found' | 'failed';

export interface ApiError {
  code: ApiErrorCode;
  message: string;
}

export type Result<T> = { ok: true; result: T } | { ok: false; error: ApiError };

/** A request over a message transport (the WebSocket): the id pairs it with its response. */
export const requestMessage = z.strictObject({
  id: z.union([z.number().int().nonnegative(), z.string().min(1).max(64)]),
  command: z.string().max(64),
  payload: z.unknown().optional(),
});
export type RequestMessage = z.infer<typeof requestMessage>;
export type ResponseMessage = { id: RequestMessage['id'] | null } & Result<unknown>;
export type ServerMessage = ResponseMessage | EventMessage;

/** What the renderer calls: one domain function per command, plus event subscription. */
export type PostcardApi = { [K in CommandName]: (request: RequestOf<K>) => Promise<ResponseOf<K>> } & {
  /** Subscribe to every event; returns the unsubscribe function. */
  onEvent(listener: (event: EventMessage) => void): () => void;
};

/** Human text for zod issues: `payload.to[0]: expected a mail address …`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root = 'payload'): string {
  return issues
    .map((i) => {
      const where = i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
      const keys = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
      return `${root}${where}: ${i.message}${keys}`;
    })
    .join('; ');
}

/** Validate a command name and its payload: the one gate every transport passes through. */
export function validateRequest(command: unknown, payload: unknown):
  | { ok: true; command: CommandName; payload: ParsedRequestOf<CommandName> }
  | { ok: false; error: ApiError } {
  if (!isCommandName(command)) {
    const shown = typeof command === 'string' ? `"${command.slice(0, 64)}"` : typeof command;
    return { ok: false, error: { code: 'unknown-command', message: `unknown command ${shown} (known: ${COMMAND_NAMES.join(', ')})` } };
  }
  const parsed = requestSchemas[command].safeParse(payload ?? {});
  if (!parsed.success) return { ok: false, error: { code: 'invalid-payload', message: `${command}: ${describeIssues(parsed.error.issues)}` } };
  return { ok: true, command, payload: parsed.data };
}
