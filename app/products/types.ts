/**
 * What a product (a server profile, docs/products.md) is made of: the one extension point where a new mail
 * server is added. Each product module (`app/products/<name>.ts`) exports one `Product`; the
 * registry (`index.ts`) lists them, and everything that used to switch on a profile name derives
 * from it: the scenario schema's profile enum, the contract's security-setting union, the CLI's
 * `policy --as` list, the policy translator, the security dialog's form, the inbound server's
 * words on the wire, the sender's NTLM behaviour, bounces and the queue's retry schedule.
 *
 *   app/products/<name>.ts ─► index.ts (PRODUCTS) ─┬─► scenario schema  (profile enum)
 *                                                  ├─► api/contract.ts  (setting union, OrgView.form)
 *                                                  ├─► cli/policy.ts    (--as list)
 *                                                  ├─► mta/inbound.ts   (dialect on the wire)
 *                                                  └─► mta/server.ts, plans/ (queue, bounce, NTLM flags)
 *
 * Products import nothing of the engine but types: they are data plus small pure functions.
 * Which texts are public record and which are reconstructed is said per line in each module and
 * summarised in docs/products.md.
 */
import type { z } from 'zod';
import type { TlsLevel } from '../tls/level-table.ts';
import type { NtCrypto } from '../ntlm/client.ts';

/** A reply as the product words it: code, RFC 3463 enhanced status (when the product sends one) and text. */
export interface Said {
  code: number;
  status?: string;
  text: string;
}

/** What the inbound server really offers in one EHLO reply; the dialect words and orders it. */
export interface EhloOffer {
  starttls: boolean;
  /** SASL mechanisms the server will run (e.g. `NTLM`, `LOGIN`). */
  auth: string[];
  requireTls: boolean;
  /** Largest message, octets. */
  size: number;
  /** The client is already authenticated (no AUTH keyword again, RFC 4954 §4). */
  authenticated: boolean;
}

/** How the server stamps a `Received:` trace field (RFC 5321 §4.4). */
export interface ReceivedFacts {
  heloName: string;
  clientHost?: string;
  clientIp: string;
  byHost: string;
  byIp?: string;
  id: string;
  date: string;
  /** The envelope's reverse-path ('' for a bounce's null sender, RFC 5321 §4.5.5). */
  envelopeFrom: string;
  /** The one recipient, when the transaction had exactly one (RFC 5321 §4.4's `for` clause). */
  for?: string;
  /** `cipherStd`: the suite's IANA name (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384), where the product prints that one. */
  tls?: { protocol: string; cipher: string; cipherStd?: string };
  /** `DOMAIN\user` when the session authenticated. */
  user?: string;
  /** The session ran inside the NTLM security layer (docs/ntlm.md, "The sealed session after 235": a reconstruction). */
  sealed?: boolean;
}

export interface BounceFacts {
  recipients: string[];
  /** Why, in the lab's words: the local reason or the remote reply quoted. */
  reason: string;
  /** The remote reply, when one decided it (`535 ntlm authentication failed`). */
  diagnostic?: string;
  /** The remote host it came from, when there was one. */
  remoteHost?: string;
  /** The queue lifetime ran out (the reason is local; no remote reply is invented). */
  expired: boolean;
  reportingHost: string;
  domain: string;
  subject: string;
  status: string;
  queueId: string;
  /** The organisation's NT domain (Exchange's org/site in NDRs). */
  ntDomain?: string;
}

export interface Dialect {
  /** The greeting text after `220 `. */
  banner(host: string, labTime: number): string;
  /** First line of the EHLO reply: `%s` is the server's name, then the client's. */
  ehloGreeting: string;
  /** The HELO reply (one line), same placeholders. */
  heloGreeting: string;
  /** EHLO keyword lines after the first, in the product's order. */
  ehlo(offer: EhloOffer): string[];
  /** Does the server put RFC 3463 codes on replies the lab does not word itself? */
  enhancedStatusCodes: boolean;
  replies: {
    /** `size`: the SIZE parameter the client gave (RFC 1870), when it gave one. */
    mailOk(address: string, size?: number): Said;
    rcptOk(address: string): Said;
    data: Said;
    queued(id: string): Said;
    quit(host: string): Said;
    noop: Said;
    rset: Said;
    /** HELP: every line of the 214 reply (or a refusal for products that have none). */
    help: Said[];
    /** A verb the server does not know; `%s` is the verb. */
    unknown(verb: string): Said;
    /** STARTTLS when this server offers no TLS. */
    starttlsNotOffered: Said;
    readyToStartTls: Said;
    mustStartTls: Said;
    /** MAIL before AUTH on an interface that accepts only authenticated hosts (RFC 4954 §6 / RFC 2554 §6: 530). */
    mustAuthenticate: Said;
    authOk: Said;
    authFailed: Said;
    ntlmSupported: Said;
    userUnknown(address: string): Said;
    relayDenied(address: string): Said;
    /** ETRN (RFC 1985), for products that advertise it. */
    etrn?: Said;
    /** XEXCH50 (Exchange's proprietary property blob), for products that advertise it. */
    xexch50?: Said;
  };
  received(f: ReceivedFacts): string;
}

export interface BounceStyle {
  from(domain: string): string;
  subject(original: string): string;
  /** Extra per-message fields of the delivery-status part (RFC 3464 §2.2 allows X- fields). */
  extraFields(f: BounceFacts): string[];
  /** The human-readable first part (RFC 3464 §2). */
  text(f: BounceFacts): string;
  /** Diagnostic-Code type for a local reason (RFC 3464 §2.3.6); `X-Local` when unset. */
  localDiagnosticType?: string;
}

/** How the product's sender runs NTLM (docs/ntlm.md, "The sender"): era behaviour, not configuration. */
export interface NtlmBehaviour {
  /** Response version of the era: NT 4.0's IMS sent NTLMv1 (MS-NLMP §3.3.1). */
  responses: 'v1' | 'v2';
  /** Send `AUTH NTLM` whether or not EHLO offered it (the IMS did; KB Q262945). */
  blindAuth: boolean;
  /** Put the NEGOTIATE on the AUTH line (RFC 4954 §4 initial response) instead of waiting for `334`. */
  initialResponse: boolean;
  /** EHLO again after 235 (RFC 4954 §4). The IMS went straight to MAIL. */
  reEhloAfterAuth: boolean;
  /** MAIL FROM parameters the sender adds when DSN is offered (`RET=FULL` on the IMS). */
  dsnRet?: 'FULL' | 'HDRS';
  /** RCPT TO's `NOTIFY=` when DSN is offered (RFC 3461 §4.1; `FAILURE,DELAY` on the IMS). */
  dsnNotify?: string;
}

/** TLS the product can speak, both as server and as sender (docs/tls.md). */
/** A TLS version as Node's TLS options name it. */
export type TlsVersionName = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsBehaviour {
  minVersion?: TlsVersionName;
  maxVersion?: TlsVersionName;
  /** OpenSSL cipher string; `@SECLEVEL=0` where OpenSSL 3 must allow TLS 1.0's SHA-1. */
  ciphers?: string;
  /** Said in the UI and docs: what the runtime cannot reproduce. */
  note?: string;
}

/** One field of a product's security dialog, rendered by the renderer's generic form. */
export type FormField =
  | { kind: 'radio'; key: string; legend: string; options: { value: string; label: string; hint?: string }[]; default?: string }
  | { kind: 'checkbox'; key: string; label: string; hint?: string; indent?: boolean; when?: { key: string; is: string | boolean }; default?: boolean }
  | { kind: 'select'; key: string; label: string; options: { value: string; label: string }[]; indent?: boolean; when?: { key: string; is: string | boolean }; default?: string }
  | { kind: 'text' | 'password'; key: string; label: string; indent?: boolean; when?: { key: string; is: string | boolean }; keepBlank?: boolean }
  | { kind: 'note'; text: string; when?: { key: string; is: string | boolean } };

/** The dialog a product's console shows for one row of its security table. */
export interface FormDescription {
  title: string;
  /** Where the table lives in the product's console. */
  where: string;
  domainLabel: string;
  fields: FormField[];
}

/**
 * The product's inbound "who may send mail here" page, per interface (host): the IMS Connections
 * tab's "Accept connections". Each option stands for the host's `accept` setting.
 */
export interface ConnectionsForm {
  title: string;
  /** Where the page lives in the product's console. */
  where: string;
  legend: string;
  options: { value: 'all' | 'authentication' | 'encryption' | 'both'; label: string }[];
  /** Said under the options (what counts as authentication and encryption here). */
  notes: string[];
}

/**
 * The product's settings for TLS on mail it receives, in its configuration's own names (Postfix:
 * main.cf's `smtpd_tls_security_level` and `smtpd_tls_protocols`). Each level stands for the lab's
 * `inbound.starttls` and `inbound.requireTls`, each protocols value for `inbound.tls.minVersion`.
 */
export interface InboundTlsForm {
  title: string;
  /** Where the settings live, and how a change takes effect. */
  where: string;
  level: { name: string; options: { value: string; starttls: boolean; requireTls: boolean; label: string }[] };
  /**
   * The lowest protocol version accepted: `name` at a level that does not require TLS,
   * `mandatoryName` at one that does (Postfix reads a parameter of its own for mandatory TLS).
   */
  protocols: { name: string; mandatoryName: string; options: { minVersion: TlsVersionName; value: string }[] };
  /** Said under the settings. */
  notes: string[];
}

/**
 * Windows NT under the mail server (the organisation's `nt:`), in NT's own words: the build
 * installed, which fixes the NTLM session key's strength, and the registry value
 * LMCompatibilityLevel. Each build stands for `nt.crypto`, each level for `nt.lmCompatibility`
 * (app/products/windows-nt.ts).
 */
export interface NtSettingsForm {
  title: string;
  /** Where each setting lives on the server, and how a change takes effect. */
  where: string;
  build: { legend: string; options: { value: NtCrypto; label: string; line: string }[] };
  /** `name`: the registry value's whole path, as regedt32 shows it. */
  level: { legend: string; name: string; options: { value: number; sends: string; accepts: string }[] };
  /** Said under the settings: what the lab applies, and what this organisation's own sender does. */
  notes: string[];
}

/** The lab's own model of one outbound security entry (the scenario file's `security` entries). */
export interface LabEntry {
  domain: string;
  method: 'none' | 'ntlm' | 'tls';
  /** A level of the table (app/tls/level-table.ts), built-in or registered at run time. */
  level?: TlsLevel;
  logon?: { domain: string; user: string; password: string };
  minKeyBits?: 40 | 56 | 128;
  via?: string;
}

export type Translation<T> = { ok: true; value: T; note?: string } | { ok: false; reason: string; nearest?: T };

/**
 * A product's words for its security table: the setting's shape (a zod object with a literal
 * `vocabulary`), both directions of the mapping onto the lab's model, and the dialog.
 */
export interface Vocabulary<S extends { vocabulary: string } = { vocabulary: string } & Record<string, unknown>> {
  id: S['vocabulary'];
  /** The request shape (`saveSecurity.setting`); passwords included. */
  schema: z.ZodType<S>;
  form: FormDescription;
  /** An entry as the dialog shows it; what it cannot say is flagged, never hidden. */
  toSetting(e: LabEntry): Translation<S>;
  /** A saved dialog → the entry, given the entry it replaces (a blank password keeps the saved one). */
  fromSetting(domain: string, s: S, existing: LabEntry | undefined): { ok: true; entry: LabEntry; note?: string } | { ok: false; error: string };
  /** One line in the product's console words, for the table. */
  describe(e: LabEntry): string;
  /** The table in the product's own configuration language (`postcard-lab policy --as <product>`). */
  listing?(org: { domain: string; hostName: string; security: LabEntry[] }): string[];
  /** Parts of the lab entry this product could not express (flagged by the translator). */
  inexpressible?(e: LabEntry): string[];
}

export interface Product {
  name: string;
  /** Product name as in Received headers and logs. */
  title: string;
  dialect: Dialect;
  bounce: BounceStyle;
  queue: { lifetimeMs: number; retryMs: number[] };
  ntlm: NtlmBehaviour;
  tls: TlsBehaviour;
  /** Does the server offer REQUIRETLS (RFC 8689) inside TLS? */
  requireTlsExtension: boolean;
  /** Does the server refuse MAIL before HELO/EHLO (`503`)? */
  heloRequired: boolean;
  /** SASL mechanisms the inbound server runs for partners' NT accounts (the IMS: NTLM and LOGIN). */
  inboundAuth: ('NTLM' | 'LOGIN' | 'PLAIN')[];
  vocabulary: Vocabulary;
  /** The inbound Connections page, for products whose console has one (the IMS). */
  connections?: ConnectionsForm;
  /** TLS on mail received, for products configured by named parameters (Postfix's main.cf). */
  inboundTls?: InboundTlsForm;
  /**
   * What the product's sender does for a domain its table has no entry for, when that is not
   * "send in clear": Exchange 2013 and later try STARTTLS with every destination (opportunistic).
   */
  defaultOutbound?: Omit<LabEntry, 'domain'>;
}

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** Fill `%s` placeholders in order. */
export function fill(template: string, ...args: string[]): string {
  let i = 0;
  return template.replace(/%s/g, () => args[i++] ?? '');
}

/** A reply as it goes on the wire: `250 2.1.0 Sender OK`. */
export function wire(s: Said): string {
  return s.status ? `${s.code} ${s.status} ${s.text}` : `${s.code} ${s.text}`;
}
