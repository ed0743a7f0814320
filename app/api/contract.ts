/**
 * The contract between the engine and every front-end (docs/lab.md, "Shared shapes";
 * docs/architecture.md, "Conventions": one contract, several transports): each command with its request schema and response type, each event, and the
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
import { duration, hostName, labAction, securityEntry, sendStep, serverProfile } from '../config/schema.ts';
import { VOCABULARIES } from '../products/index.ts';
import type { ConnectionsForm, FormDescription, InboundTlsForm, NtSettingsForm, TlsVersionName } from '../products/types.ts';
import { FIREWALL_NAMES, SECURITY_METHOD_NAMES } from '../grid/axes.ts';
import type { MailboxItem } from '../mta/mailbox-item.ts';
import type { HexRow } from '../capture/hex.ts';
import type { LinkState } from '../observe/links.ts';
import type { TimelineEvent } from '../observe/timeline.ts';
import type { FirewallView } from '../observe/firewall.ts';
import type { ServerLog } from '../mta/logs/types.ts';
import type { CertificateReport, TerminalInfo, TerminalTarget } from '../terminal/service.ts';

export type { ConnectionsForm, FormDescription, FormField, InboundTlsForm, NtSettingsForm } from '../products/types.ts';

const id = z.string().min(1, 'must not be empty').max(200, 'is too long');

/**
 * One outbound security entry as a server product's own dialog states it (docs/lab.md, "Outbound security"): the IMS
 * "E-Mail Domain security information" dialog (Exchange 5.5), a send connector's TLS parameters
 * (Exchange 2019), or a TLS security level (Postfix and others). The union is derived from the
 * product registry (app/products/): each vocabulary brings its own shape, and `saveSecurity`
 * translates it with the product's own mapping, so the renderer never holds a second copy.
 */
type VocabularySchema = z.ZodObject<{ vocabulary: z.ZodLiteral<string> }>;
const vocabularySchemas = VOCABULARIES.map((v) => v.schema as unknown as VocabularySchema);
/** A dialog's values: the vocabulary's name and its fields (the product's form says which). */
type SettingValues = { vocabulary: string; [field: string]: unknown };
export const securitySetting = z.discriminatedUnion('vocabulary', vocabularySchemas as [VocabularySchema, ...VocabularySchema[]]) as unknown as z.ZodType<SettingValues, SettingValues>;
export type SecurityVocabulary = string;

/**
 * The most a scenario file may hold, in bytes of UTF-8: the file loader's own limit
 * (app/scenario/input.ts `MAX_SCENARIO_BYTES`, which needs node:fs and so cannot be imported into
 * the contract the desktop preload bundles; test/api/contract.test.ts checks the two agree). A
 * text the browser sends is held to it too, or it would open in the UI and fail `validate`.
 */
export const MAX_SCENARIO_TEXT_BYTES = 1 << 20;

/** A scenario file's name (no folders) and text, as a browser reads it. */
const scenarioText = z.strictObject({
  name: z.string().min(1, 'must not be empty').max(255, 'is too long').regex(/^[^/\\\0]+$/, 'is a file name, without folders'),
  // UTF-8 never takes fewer bytes than UTF-16 code units, so the cheap length check comes first.
  text: z.string().refine((t) => t.length <= MAX_SCENARIO_TEXT_BYTES && new TextEncoder().encode(t).length <= MAX_SCENARIO_TEXT_BYTES,
    `is too long (a scenario file is at most 1 MiB, ${MAX_SCENARIO_TEXT_BYTES} bytes)`),
});

/** The compile-time allow-list of commands, and the same names at run time. */
export const COMMAND_NAMES = [
  'listScenarios', 'openScenario', 'startLab', 'stopLab', 'getSnapshot', 'runNextStep', 'runAllSteps',
  'applyAction', 'saveSecurity', 'sendMessage', 'listMailbox', 'readMessage', 'retryEntry', 'getTranscripts',
  'listCapturePoints', 'pagePackets', 'packetDetail', 'followStream', 'packetOfLine',
  'getLinks', 'getTimeline', 'getFirewall', 'getServerLog',
  'terminalTargets', 'terminalOpen', 'terminalSend', 'terminalClose',
  'openScenarioText', 'checkScenarioText', 'reloadScenario', 'listRecent', 'openRecent', 'recordScenario',
  'currentScenario', 'rewindSteps', 'advanceClock',
  'gridOptions', 'runGrid', 'gridCell',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Run-time validation of every request payload, where it enters (docs/security.md: every IPC payload validated). */
export const requestSchemas = {
  listScenarios: z.strictObject({}),
  openScenario: z.strictObject({ id }),
  // `keepChanges`: a fresh lab (empty queues and mailboxes) with the organisations as the learner left them.
  startLab: z.strictObject({ keepChanges: z.boolean().default(false) }),
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
    /** A lab addition the products lacked (docs/lab.md, "Queue, retries and key strength"): refuse NTLM sessions weaker than this. */
    minKeyBits: securityEntry.shape.minKeyBits,
    /**
     * Send through an alternate host of the partner (a path's `to`, e.g. secure.ntsol.example): the
     * lab's `via`. `''` sends to the domain's MX again; absent keeps what the entry had.
     */
    via: z.union([hostName, z.literal('')]).optional(),
  }),
  sendMessage: sendStep,
  listMailbox: z.strictObject({ org: id, user: id }),
  readMessage: z.strictObject({ org: id, user: id, id }),
  retryEntry: z.strictObject({ org: id, id }),
  getTranscripts: z.strictObject({ org: id, id }),
  listCapturePoints: z.strictObject({}),
  // Paging (docs/packet-view.md): the UI asks for one page of one capture point; it never holds the capture.
  pagePackets: z.strictObject({
    point: id.optional(),
    filter: z.string().max(2000, 'is too long').optional(),
    from: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(1000).default(100),
    leaksOnly: z.boolean().optional(),
    // Per request, default off (an eavesdropper's view): two windows on one lab never see each other's toggle.
    decrypt: z.boolean().default(false),
    // A frame number of `point`: the page says where that packet sits among the matches (a selection kept across a filter change).
    locate: z.number().int('must be a whole frame number').min(1, 'must be a frame number (1 or more)').optional(),
  }).superRefine((r, ctx) => {
    if (r.locate !== undefined && r.point === undefined) ctx.addIssue({ code: 'custom', path: ['locate'], message: 'needs a point: frame numbers are per capture point' });
  }),
  // A packet is its capture point and its frame number within that point (numbers are per point).
  packetDetail: z.strictObject({ point: id, no: z.number().int().min(1), decrypt: z.boolean().default(false) }),
  followStream: z.strictObject({ conn: id, point: id.optional(), decrypt: z.boolean().optional() }),
  // A transcript line's packet (docs/packet-view.md, "Links"): at `point` when the connection crossed it, else as sent.
  packetOfLine: z.strictObject({ org: id, id, attempt: z.number().int().min(0), line: z.number().int().min(0), point: id.optional() }),
  // The topology's link states, the replay timeline, the firewall's view, a server's log (docs/ui.md).
  getLinks: z.strictObject({}),
  getTimeline: z.strictObject({ from: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(5000).default(2000) }),
  getFirewall: z.strictObject({ path: id }),
  getServerLog: z.strictObject({ org: id }),
  // The terminal: a raw TCP session the engine owns (the renderer never opens a socket).
  terminalTargets: z.strictObject({}),
  terminalOpen: z.strictObject({ target: id, mode: z.enum(['character', 'line']).default('line') }),
  /** What the user typed: in character mode one keystroke per call, in line mode one line with its CRLF. */
  terminalSend: z.strictObject({ session: id, data: z.string().min(1, 'must not be empty').max(4096, 'is too long') }),
  terminalClose: z.strictObject({ session: id }),
  // A scenario file the browser read (file picker, drag and drop): its name and its text, never a path.
  openScenarioText: scenarioText,
  checkScenarioText: scenarioText,
  // Read the open scenario's file again; `restart: true` accepts a changed lab (the lab is stopped).
  reloadScenario: z.strictObject({ restart: z.boolean().default(false) }),
  listRecent: z.strictObject({}),
  // Only a file already in the recent list: the renderer never names an arbitrary path.
  openRecent: z.strictObject({ file: z.string().min(1, 'must not be empty').max(4096, 'is too long') }),
  recordScenario: z.strictObject({ title: z.string().trim().min(1, 'must not be empty').max(200, 'is too long').optional() }),
  // The open scenario and the cursor, for a front-end that (re)connects to a session already running.
  currentScenario: z.strictObject({}),
  // Move the cursor back to step `to` (a failed step, after a fix): its results and later ones are forgotten.
  rewindSteps: z.strictObject({ to: z.number().int().min(0) }),
  // Rehearsal: move the lab clock forward, as a scenario's `advance` step does (same duration
  // syntax), but text without a unit, which a scenario reads as milliseconds, is refused: typed
  // into the window's field, "90" meant minutes or seconds, and moved the clock by 90 ms unsaid.
  advanceClock: z.strictObject({
    by: duration.superRefine((v, ctx) => {
      if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v)) ctx.addIssue({ code: 'custom', message: `"${v.trim()}" has no unit: say 90s, 15m, 2h or 2d (a bare number would be milliseconds: 90ms)` });
    }),
  }),
  // The compatibility grid (docs/grid.md): needs no scenario; each cell is a lab of its own.
  gridOptions: z.strictObject({}),
  runGrid: z.strictObject({
    senders: z.array(serverProfile).min(1).max(4),
    receivers: z.array(serverProfile).min(1).max(4),
    firewalls: z.array(z.enum(FIREWALL_NAMES)).min(1).max(FIREWALL_NAMES.length),
    methods: z.array(z.enum(SECURITY_METHOD_NAMES as [string, ...string[]])).min(1).max(SECURITY_METHOD_NAMES.length),
    /** A pasted PIX/ASA configuration that replaces the firewall axis (docs/firewall-config.md). */
    firewallConfig: z.string().max(100_000, 'is too long').optional(),
  }),
  gridCell: z.strictObject({ id }),
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
  /** One line on what the learner does and sees (the picker shows it). */
  summary?: string;
  /** Place in the course within its level (the picker orders by level, then this, then title). */
  order?: number;
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
  /** For a send or an expect: the message id (a failed expect re-runs from its message's send). */
  message?: string;
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
export type SecuritySettingView = { vocabulary: string; [field: string]: unknown } & {
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
  /** The row in the product's console words. */
  description: string;
}

export interface HostView {
  name: string;
  address: string;
  certificate: string;
  /** SHA-256 fingerprint of the certificate the lab issued this host (colon-separated hex), once the lab runs. */
  fingerprint?: string;
  /** Which sessions may send mail on this interface (the IMS Connections tab); absent: from all hosts. */
  accept?: { authentication: boolean; encryption: boolean };
  /** Loopback endpoint real tools can use (`127.0.0.1:40123`). */
  smtp?: string;
  submission?: string;
}

/** A bytes pane's row as the engine formats it: 16 bytes, two groups of eight (app/capture/hex.ts). */
export type HexRowView = HexRow;

export interface OrgView {
  id: string;
  domain: string;
  profile: string;
  /** The words its security table is edited in (exchange-5.5: ims, exchange-2019: send-connector, else level). */
  vocabulary: SecurityVocabulary;
  /** The product's security dialog, as data the renderer's form draws (app/products/). */
  form: FormDescription;
  /** The product's inbound Connections page (exchange-5.5: the IMS Connections tab), if its console has one. */
  connections?: ConnectionsForm;
  /** The product's settings for TLS on mail received, in its configuration's names (postfix: main.cf). */
  inboundTls?: InboundTlsForm;
  /** What the product does for a domain with no entry, in its words, when not "in clear" (exchange-2019: opportunistic TLS). */
  defaultOutbound?: string;
  /** Partner domain (lower case) → its alternate hosts a path leads to from here: what `via` may name (a running lab's snapshot only). */
  alternates?: Record<string, string[]>;
  /** What the runtime cannot reproduce of the product's TLS (SSL 3, export ciphers), said in the UI. */
  tlsNote?: string;
  nt?: { domain: string; crypto: 'us-128' | 'export-40'; lmCompatibility: number };
  /** Windows NT's build and LMCompatibilityLevel in NT's words (app/products/windows-nt.ts), when it has `nt`. */
  ntSettings?: NtSettingsForm;
  external?: string;
  /** The HTTPS host that serves its MTA-STS policy (RFC 8461 §3.2), when it publishes one. */
  mtaSts?: string;
  hosts: HostView[];
  users: string[];
  accounts: { domain: string; user: string; disabled: boolean }[];
  /** `minVersion`: the lowest TLS version the server accepts, the organisation's or its product's. */
  inbound: { starttls: boolean; requireTls: boolean; minVersion?: TlsVersionName };
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
  /** A PIX's EHLO outcome (docs/firewall-config.md): `noop` → 250 OK, `x` → 500 Command unrecognized. */
  ehlo?: 'noop' | 'x';
  /** The forward direction's capture points; on a firewall path `side` says before or after the box. */
  points: { id: string; label: string; roles: string[]; side?: 'before' | 'after' }[];
  /** One relay per sending organisation and destination host. */
  entries: { from: string; host: string; entry: string }[];
}

/** A row of the TLS level table (app/tls/level-table.ts): the renderer's level lists and fail-closed marks derive from these. */
export interface TlsLevelView {
  name: string;
  description: string;
  /** Never a byte of the message in cleartext, whatever DNS says (docs/tls.md, the fail-closed column). */
  failsClosed: boolean;
  /** Always authenticates the peer (RFC 8689 §4.2: REQUIRETLS may use it as it is). */
  authenticates: boolean;
}

/** A firewall profile a path may be set to (app/path/profiles.ts), in its vendor's words. */
export interface FirewallProfileView {
  name: string;
  /** What it does, one line. */
  summary: string;
  /** The vendor's command that turns it on (`fixup protocol smtp 25 (Mailguard)`), when it has one. */
  label?: string;
  /** The vendor's command that turns its SMTP inspection off (`no inspect esmtp`). */
  off?: string;
  /** A PIX profile's own EHLO outcome (its command filter's style; docs/firewall-config.md). */
  ehlo?: 'noop' | 'x';
}

export interface LabSnapshot {
  status: 'stopped' | 'running';
  /** The TLS levels this engine knows, in table order: the security dialogs and marks derive from them. */
  tlsLevels: TlsLevelView[];
  /** The firewall profiles a path may be set to (Rehearse tab). */
  firewallProfiles: FirewallProfileView[];
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
  /**
   * What the receiving server logged for the same connection, with the same markers from its seat
   * (`<-` what it read, `->` what it wrote; `<~` `~>` inside TLS, `<=` `=>` inside the NTLM seal).
   */
  receiver: string;
  /** For a failed attempt: the line of `sender` (0-based) that caused the failure. */
  causeLine?: number;
  /** The lines of `sender` (0-based) that went over the wire and link to the packet carrying them. */
  linked: number[];
}

// —— The packet view (docs/packet-view.md) ——

export interface CapturePointView {
  id: string;
  label: string;
  packets: number;
  dropped: number;
  /**
   * Where the point is (docs/packet-view.md): on a path between organisations, in front of a
   * host's listener for sessions from outside the lab, or a terminal session's own.
   */
  kind: 'path' | 'outside' | 'terminal';
  /** Frame bytes of the dropped packets (the capture budget, docs/packet-view.md). */
  droppedBytes: number;
}

export interface PacketRowView {
  /** The frame number within its capture point (`point`): 1..n in each point's list. */
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
  droppedBytes: number;
  rows: PacketRowView[];
  /** A filter that does not parse: the message and the position of the mistake; then no rows. */
  error?: { message: string; position: number };
  /**
   * The packet the request asked to `locate`: its index among the matches (the `from` of a page
   * that starts at it), or null when the filter, "Leaks only" and decryption do not show it.
   */
  located?: { no: number; index: number | null };
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
  hex: HexRowView[];
  tabs: { label: string; hex: HexRowView[] }[];
  /** The queue entry and attempt whose session this packet belongs to, when known. */
  link?: { org: string; entry: string; attempt: number; ref?: string; line?: number; text?: string };
  /**
   * A session no queue entry sent (typed from outside, or the terminal's): the receiving server's
   * transcript of it, the packet that carried each of its lines (null: not found at this point),
   * and the line this packet carries (docs/packet-view.md, "Links").
   */
  session?: SessionTranscriptView;
}

export interface SessionTranscriptView {
  conn: string;
  point: string;
  client?: string;
  server?: string;
  /** The receiver's view, one line per server log line (`<-` read, `->` written; `~` inside TLS, `=` sealed). */
  transcript: string;
  packets: ({ no: number; index: number } | null)[];
  line?: number;
  text?: string;
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

/** One `validate` error, placed in the file (1-based line and column; 0 when the file cannot be read). */
export interface ScenarioErrorView {
  line: number;
  column: number;
  /** Key path, e.g. `lab.orgs[0].security[1].level`. */
  path: string;
  message: string;
}

/** Opening a file: the scenario when it validates, otherwise every error at its place (nothing changes). */
export interface OpenedFile {
  /** The file's name (browser) or path (desktop, recent files). */
  file: string;
  scenario?: ScenarioView;
  errors: ScenarioErrorView[];
}

export interface ReloadOutcome extends OpenedFile {
  /**
   * `story-updated`: only the story, title or level changed, the lab keeps running; `reopened`: the
   * scenario was replaced (its lab stopped); `lab-changed`: the lab or steps changed and `restart`
   * was not given, nothing changed; `invalid`: the file no longer validates; `unchanged`.
   */
  outcome: 'story-updated' | 'reopened' | 'lab-changed' | 'invalid' | 'unchanged';
}

export interface RecordedScenario {
  /** The scenario file, validated. */
  yaml: string;
  /** A file name to save it under (`<id>.yaml`). */
  fileName: string;
  messages: number;
  changes: number;
  /** The earliest messages the lab's journal had let go (it keeps the newest 1,000); the file says so too. */
  droppedMessages: number;
  /** The counts above in words, to show once the file is saved. */
  summary: string;
}

export interface GridOptionsView {
  senders: string[];
  receivers: string[];
  firewalls: { name: string; summary: string }[];
  methods: string[];
}

/** One cell of a grid run, compact (the table); `gridCell` adds the transcripts. */
export interface GridCellView {
  id: string;
  sender: string;
  receiver: string;
  firewall: string;
  method: string;
  outcome: 'delivered' | 'deferred' | 'bounced' | 'error';
  leaked: boolean;
  protection: 'tls' | 'sealed' | 'none' | 'not sent';
  reason: string;
  expected: { outcome: string; leak: 'never' | 'always'; protection?: string; because: string };
  agrees: boolean;
  mismatch: string;
  durationMs: number;
}

export interface GridRunView {
  cells: GridCellView[];
  summary: { cells: number; agree: number; disagree: number; durationMs: number; cellsPerSecond: number; counts: Record<string, number> };
  /** The imported configuration's line report, when the run used one. */
  config?: { line: number; text: string; status: string; note: string }[];
}

export interface GridCellDetail extends GridCellView {
  transcript: string;
  receiverTranscript: string;
  /** Where the browser front-end downloads the cell's pcapng (absent in the desktop app). */
  capture?: string;
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
  packetOfLine: { point: string; no: number; index: number };
  getLinks: { links: LinkStateView[] };
  getTimeline: { total: number; events: TimelineEventView[] };
  getFirewall: FirewallViewDto;
  getServerLog: { org: string; profile: string; logs: ServerLogView[]; retention?: string };
  terminalTargets: { targets: TerminalTargetView[] };
  terminalOpen: TerminalSessionView;
  terminalSend: { sent: number };
  terminalClose: { closed: true };
  openScenarioText: OpenedFile;
  checkScenarioText: OpenedFile & { id?: string; title?: string };
  reloadScenario: ReloadOutcome;
  listRecent: { files: { file: string; name: string }[] };
  openRecent: OpenedFile;
  recordScenario: RecordedScenario;
  currentScenario: { scenario?: ScenarioView; status: LabSnapshot['status']; nextStep: number; results: StepResultView[] };
  rewindSteps: { next: number; results: StepResultView[] };
  advanceClock: { now: number; snapshot: LabSnapshot };
  gridOptions: GridOptionsView;
  runGrid: GridRunView;
  gridCell: GridCellDetail;
}

// —— Topology, replay, firewall, logs, terminal (docs/ui.md): the engine's plain JSON shapes ——

export type LinkStateView = LinkState;
export type TimelineEventView = TimelineEvent;
export type FirewallViewDto = FirewallView;
export type ServerLogView = ServerLog;
export type TerminalTargetView = TerminalTarget;
export type TerminalSessionView = TerminalInfo;
export type CertificateView = CertificateReport;

export type ResponseOf<K extends CommandName> = Responses[K];

// Compile-time: a command without a schema or a response type, or one of those without a command,
// fails here (`satisfies` above catches a missing schema; these catch extra ones).
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ContractIsComplete = Assert<Exact<keyof Responses, CommandName> & Exact<keyof typeof requestSchemas, CommandName>>;

// —— Events (past tense, docs/architecture.md "Conventions") ——

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
  /** A terminal session received bytes (`data`, latin1) or has something to say (`note`). */
  'terminal.output': { session: string; text: string; kind: 'data' | 'note' };
  /** A terminal session upgraded to TLS: the server's certificate. */
  'terminal.tls': { session: string; certificate: CertificateView };
  /** A terminal session ended. */
  'terminal.closed': { session: string; reason: string };
  /**
   * The open scenario's file, or the scenarios folder: `opened` from the desktop menu or dialog;
   * `folder` another scenarios folder is listed; the file changed on disk — `story-updated` (applied,
   * the lab kept), `lab-changed` (ask, then `reloadScenario { restart: true }`), `invalid` (errors).
   */
  /** A grid run finished another cell. */
  'grid.progressed': { done: number; total: number; cell: GridCellView };
  'scenario.file': { status: 'opened' | 'folder' | 'story-updated' | 'lab-changed' | 'invalid'; file: string; scenario?: ScenarioView; errors?: ScenarioErrorView[] };
}

export type EventName = keyof Events;
export const EVENT_NAMES = ['lab.event', 'step.result', 'session.changed', 'terminal.output', 'terminal.tls', 'terminal.closed', 'scenario.file', 'grid.progressed'] as const satisfies readonly EventName[];
export type EventListIsComplete = Assert<Exact<(typeof EVENT_NAMES)[number], EventName>>;

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
