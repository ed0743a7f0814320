/**
 * A lab's configuration: organisations, hosts, accounts, security tables, DNS, paths and the
 * actions that change them, as zod schemas (docs/scenario-format.md, "The lab"). This is the engine's
 * immutable input: servers read it, they never write into it. The scenario file embeds it under
 * `lab:` (app/scenario/schema.ts adds steps, expectations and checkpoints). Unknown keys are
 * errors: a typo in a security entry must not silently mean "no security".
 */
import { z } from 'zod';
import { checkDuration, LAB_DURATION, REAL_DURATION, TIMEOUT_DURATION, type DurationBound } from '../base/clock.ts';
import { PRODUCT_NAMES } from '../products/index.ts';
import { BUILT_IN_TLS_LEVELS, isTlsLevel, tlsLevelNames } from '../tls/level-table.ts';
// Installs the user's words for every schema's errors (a side effect, on purpose: once, before any parse).
import { alternatives } from './zod-words.ts';


/** A duration (`90s`, `15m`, `2h`, `2d`, `1w`, or milliseconds) within its bound (app/base/clock.ts, docs/scenario-format.md "Durations"). */
function boundedDuration(bound: DurationBound) {
  return z.union([z.string(), z.number()]).superRefine((v, ctx) => {
    const checked = checkDuration(v, bound);
    if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.message });
  });
}
/** On the lab clock: `advance`, a queue's lifetime and retry intervals (at most 100 years). */
export const duration = boundedDuration(LAB_DURATION);
/** A real-time wait a Node timer holds: `inbound.greetingDelay` (at most 24 days). */
export const realDuration = boundedDuration(REAL_DURATION);
/** A socket timeout: a real-time wait of more than 0 (`settings.timeout`). */
export const timeoutDuration = boundedDuration(TIMEOUT_DURATION);
/** RFC 1035 §2.3.4: a label is at most 63 octets, a name at most 255 (253 written out, without the root's dot). */
function nameTooLong(name: string): string | undefined {
  const bare = name.replace(/^\./, '');
  const label = bare.split('.').find((l) => l.length > 63);
  if (label) return `the label ${label.slice(0, 12)}… has ${label.length} characters: a label is at most 63 (RFC 1035 §2.3.4)`;
  if (bare.length > 253) return `${bare.length} characters: a domain name is at most 253 (RFC 1035 §2.3.4)`;
  return undefined;
}
const dnsLengths = (s: string, ctx: z.RefinementCtx) => {
  const problem = nameTooLong(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};
export const domainName = z.string().regex(/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i, 'expected a domain name such as ntsol.example').superRefine(dnsLengths);
export const hostName = z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i, 'expected a host name such as mail.ntsol.example').superRefine(dnsLengths);
export const address = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'expected a mail address such as alice@intellinet.example');
/** Dotted-quad IPv4, each part 0-255 (RFC 791 §2.3; `999.999.999.999` is not an address). */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const ipv4 = z.string().regex(IPV4, 'expected an IPv4 address such as 192.0.2.10 (four numbers from 0 to 255)');
export const id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'expected an id of letters, digits, - and _');

export const certificateVariant = z.enum(['valid', 'expired', 'not-yet-valid', 'wrong-name', 'self-signed', 'untrusted-ca']);
const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
const tlsVersion = z.enum(TLS_VERSIONS);
/** A server's TLS versions and ciphers; OpenSSL's own check of `ciphers` is the loader's (app/mta/inbound-tls.ts). */
const inboundTls = z.strictObject({ minVersion: tlsVersion.optional(), maxVersion: tlsVersion.optional(), ciphers: z.string().optional() }).superRefine((t, ctx) => {
  // A minimum above the maximum leaves no version a handshake could agree on (RFC 8446 §4.2.1).
  if (t.minVersion && t.maxVersion && TLS_VERSIONS.indexOf(t.minVersion) > TLS_VERSIONS.indexOf(t.maxVersion)) {
    ctx.addIssue({ code: 'custom', path: ['minVersion'], message: `minVersion ${t.minVersion} is above maxVersion ${t.maxVersion}: no TLS version is left to agree on` });
  }
});

/** The server products of the registry (app/products/). */
export const serverProfile = z.enum(PRODUCT_NAMES);
/** A level of the table (app/tls/level-table.ts), built-in or registered at run time. */
export const tlsLevel = z.string().refine(isTlsLevel, { error: (issue) => `unknown TLS level ${JSON.stringify(issue.input)}: one of ${tlsLevelNames().join(', ')}` })
  // The shipped JSON Schema (npm run schema) lists the built-in levels for editors.
  .meta({ enum: [...BUILT_IN_TLS_LEVELS] });

/** The IMS Connections tab's "Accept connections" for one interface (host). */
export const acceptConnections = z.strictObject({
  authentication: z.boolean().default(false),
  encryption: z.boolean().default(false),
});
export type AcceptConnections = z.infer<typeof acceptConnections>;

const host = z.strictObject({
  name: hostName,
  address: ipv4,
  certificate: certificateVariant.default('valid'),
  /** Does this host offer STARTTLS? Default: the organisation's `inbound.starttls` (a backup MX often does not). */
  starttls: z.boolean().optional(),
  /** MX preference; hosts without one get 10, 20, … in order. `false`: no MX record (an alternate interface). */
  mx: z.union([z.number().int().min(0).max(65535), z.literal(false)]).optional(),
  /**
   * Which inbound sessions on this interface may send mail (the IMS Connections tab, "Accept
   * connections … only from hosts using Authentication / Encryption", docs/products.md). Default:
   * from all hosts. A session that has not authenticated (AUTH) or is not encrypted (STARTTLS or
   * the NTLM seal layer) is refused at MAIL.
   */
  accept: acceptConnections.optional(),
});


/**
 * NT's names (MS-SRVS §2.2.2.8, NetprNameValidate): a user name is 1 to 256 characters and a
 * NetBIOS domain name 1 to 15, neither with a control character or any of " / \ [ ] : | < > + = ; , ?
 * — a domain name with no `*` or space either — and neither made only of dots and spaces. User
 * Manager, the IMS's logon and the NTLM AUTHENTICATE message (MS-NLMP §2.2.1.3) all carry them.
 * An empty one says what would do, to a scenario's author and, under the field's label, in a form.
 */
const NT_INVALID = /[\x00-\x1f"/\\[\]:|<>+=;,?]/;
const NT_SHOWN = '" / \\ [ ] : | < > + = ; , ?';
const onlyDotsAndSpaces = (s: string) => /^[. ]+$/.test(s);
function ntUser(empty = 'must not be empty (e.g. DOUG)') {
  return z.string().superRefine((name, ctx) => {
    if (name === '') ctx.addIssue({ code: 'custom', message: empty });
    else if (name.length > 256 || NT_INVALID.test(name) || onlyDotsAndSpaces(name)) {
      ctx.addIssue({ code: 'custom', message: `an NT user name is 1 to 256 characters, not only dots and spaces, without ${NT_SHOWN} (MS-SRVS §2.2.2.8), not ${JSON.stringify(name)}` });
    }
  });
}
export const ntUserName = ntUser();
/** `emptyAllowed`: a logon may name no domain. */
function ntDomain(emptyAllowed = false) {
  return z.string().superRefine((name, ctx) => {
    if (name === '') {
      if (!emptyAllowed) ctx.addIssue({ code: 'custom', message: 'must not be empty (e.g. INTELLINET)' });
    } else if (name.length > 15 || NT_INVALID.test(name) || /[* ]/.test(name) || onlyDotsAndSpaces(name)) {
      ctx.addIssue({ code: 'custom', message: `an NT domain name is 1 to 15 characters, without spaces, * or ${NT_SHOWN} (MS-SRVS §2.2.2.8), not ${JSON.stringify(name)}` });
    }
  });
}
export const ntDomainName = ntDomain();
/** An account, named by its NT domain and user (User Manager's "DOMAIN\user"). */
const accountName = { domain: ntDomainName, user: ntUserName };

const ntAccount = z.strictObject({
  ...accountName,
  password: z.string(),
  disabled: z.boolean().default(false),
});

// An empty domain: the logon names none (an AUTHENTICATE message's DomainName may be empty, MS-NLMP §2.2.1.3).
const logon = z.strictObject({
  domain: ntDomain(true),
  user: ntUser('must not be empty: the account this server logs on with (e.g. DOUG)'),
  password: z.string(),
});

export const securityEntry = z.strictObject({
  /** `ntsol.example` matches that domain; `.partner.example` matches its subdomains (as Postfix). */
  domain: domainName,
  method: z.enum(['none', 'ntlm', 'tls']).default('none'),
  level: tlsLevel.optional(),
  logon: logon.optional(),
  /** A lab addition: refuse NTLM sessions weaker than this. */
  minKeyBits: z.literal([40, 56, 128], { error: 'expected one of 40, 56, 128 (bits of an NTLM session key)' }).optional(),
  /** Send to this host instead of the MX (an alternate path, docs/lab.md "Paths and capture points"). */
  via: hostName.optional(),
}).superRefine((entry, ctx) => {
  if (entry.method === 'ntlm' && !entry.logon) ctx.addIssue({ code: 'custom', path: ['logon'], message: 'method ntlm needs the logon { domain, user, password } this server logs on with' });
  if (entry.method === 'tls' && !entry.level) ctx.addIssue({ code: 'custom', path: ['level'], message: `method tls needs a level: ${alternatives(tlsLevelNames().filter((l) => l !== 'none'))}` });
  if (entry.method !== 'tls' && entry.level && entry.level !== 'none') ctx.addIssue({ code: 'custom', path: ['level'], message: `level ${entry.level} needs method tls` });
});

export const org = z.strictObject({
  id,
  domain: domainName,
  profile: serverProfile.default('generic'),
  /** Further mail domains this organisation receives for, e.g. the domain of an alternate interface. */
  aliases: z.array(domainName).default([]),
  nt: z.strictObject({
    domain: ntDomainName,
    crypto: z.enum(['us-128', 'export-40']).default('us-128'),
    lmCompatibility: z.number().int().min(0).max(5).default(2),
  }).optional(),
  users: z.array(z.string().regex(/^[a-z0-9._-]+$/i, 'expected a mailbox name such as alice')).default([]),
  /** Optional for an `external` organisation: its one mail host is then derived (see below). */
  hosts: z.array(host).min(1, 'an organisation needs at least one mail host').optional(),
  accounts: z.array(ntAccount).default([]),
  inbound: z.strictObject({
    starttls: z.boolean().default(false),
    requireTls: z.boolean().default(false),
    greetingDelay: realDuration.optional(),
    /** TLS versions and ciphers this server accepts (OpenSSL names), e.g. { minVersion: TLSv1.2 }. */
    tls: inboundTls.optional(),
    authMechanisms: z.array(z.enum(['NTLM', 'PLAIN', 'LOGIN'])).optional(),
  }).default({ starttls: false, requireTls: false }),
  security: z.array(securityEntry).default([]),
  /** The MTA-STS policy this organisation publishes at https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 §3.2). */
  mtaSts: z.strictObject({
    mode: z.enum(['enforce', 'testing', 'none']),
    /** MX patterns; default: every host of the organisation that has an MX record. */
    mx: z.array(z.string()).optional(),
    /** Seconds (RFC 8461 §3.2: at most 31557600). */
    maxAge: z.number().int().positive().max(31_557_600).default(86_400),
    /** The `id` of the `_mta-sts` TXT record the lab publishes (unless `dns` has one already). */
    id: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'an MTA-STS id is 1-32 letters and digits (RFC 8461 §3.1)').default('20261128'),
  }).optional(),
  /**
   * The organisation's mail host is an existing SMTP server (a staging server; loopback in tests).
   * Without `hosts:`, the lab gives it one mail host named `name` (default `mx.<domain>`) with a
   * documentation address (RFC 5737); TLS verification checks that name (docs/scenario-format.md).
   */
  external: z.strictObject({
    smtp: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port').refine((v) => { const port = Number(v.split(':')[1]); return port >= 1 && port <= 65535; }, {
      message: 'expected host:port with a port from 1 to 65535 (RFC 793: a port is 16 bits, and 0 is no port)',
    }),
    name: hostName.optional(),
    address: ipv4.optional(),
  }).optional(),
  queue: z.strictObject({ lifetime: duration.optional(), retry: z.array(duration).optional() }).optional(),
}).superRefine((o, ctx) => {
  if (!o.hosts && !o.external) ctx.addIssue({ code: 'custom', path: ['hosts'], message: 'an organisation needs at least one mail host (only an external one may leave hosts out)' });
}).transform((o) => ({ ...o, hosts: o.hosts ?? [externalHost(o.domain, o.external)] }));

/**
 * The one mail host of an external organisation that names none: `mx.<domain>` unless the
 * scenario gives `external.name`, at an address in TEST-NET-3 (RFC 5737 §3) chosen from the
 * domain, so two external partners in one lab get different addresses.
 */
export function externalHost(domain: string, external: { name?: string; address?: string } | undefined): z.infer<typeof host> {
  let h = 0;
  for (const c of domain) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return { name: external?.name ?? `mx.${domain}`, address: external?.address ?? `203.0.113.${10 + (h % 240)}`, certificate: 'valid' };
}

/** A host name as DNS data writes it: with or without the root's trailing dot. */
const DNS_HOST = /^[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9])?)*\.?$/i;

/** What a record's value must look like for its type (as the lab's DNS reads it, app/lab/dns.ts); undefined when it does. */
function dnsValueProblem(type: 'MX' | 'A' | 'TXT' | 'TLSA', value: string): string | undefined {
  switch (type) {
    case 'A':
      return IPV4.test(value) ? undefined : `an A record's value is an IPv4 address such as 192.0.2.10, not ${JSON.stringify(value)}`;
    case 'MX': {
      // `10 mail.ntsol.example`, or the host alone with `preference`; `0 .` is a null MX (RFC 7505).
      const m = /^\s*(?:(\d+)\s+)?(\S+)\s*$/.exec(value);
      const host = m?.[2];
      if (!m || !host || !(host === '.' || DNS_HOST.test(host))) return `an MX record's value is a host name, optionally after its preference (10 mail.ntsol.example), not ${JSON.stringify(value)}`;
      if (m[1] !== undefined && Number(m[1]) > 65535) return `an MX preference is 0 to 65535 (RFC 1035 §3.3.9), not ${m[1]}`;
      return undefined;
    }
    case 'TLSA': {
      // Presentation form, RFC 6698 §2.2: usage, selector, matching type (8 bits each), then hex.
      const m = /^\s*(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})\s+([0-9a-fA-F\s]*)$/.exec(value);
      const hex = m?.[4].replace(/\s+/g, '') ?? '';
      if (!m || [m[1], m[2], m[3]].some((n) => Number(n) > 255) || hex.length === 0 || hex.length % 2 !== 0) {
        return `a TLSA record's value is usage, selector, matching type (0-255 each) and an even number of hex digits, as in 3 1 1 8f2b…, not ${JSON.stringify(value.slice(0, 80))}`;
      }
      return undefined;
    }
    case 'TXT':
      return undefined;
  }
}

export const dnsRecord = z.strictObject({
  name: z.string().min(1),
  type: z.enum(['MX', 'A', 'TXT', 'TLSA']),
  value: z.string(),
  preference: z.number().int().min(0).max(65535).optional(),
}).superRefine((r, ctx) => {
  const problem = dnsValueProblem(r.type, r.value);
  if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
});

export const labAction = z.strictObject({
  org: id,
  createAccount: ntAccount.optional(),
  deleteAccount: z.strictObject(accountName).optional(),
  disableAccount: z.strictObject(accountName).optional(),
  /** User Manager's "Account Disabled" cleared: the account logs on again. */
  enableAccount: z.strictObject(accountName).optional(),
  setPassword: z.strictObject({ ...accountName, password: z.string() }).optional(),
  setSecurity: securityEntry.optional(),
  removeSecurity: z.strictObject({ domain: domainName }).optional(),
  setProfile: serverProfile.optional(),
  /** The partner installs another NT build (`us-128` after `export-40`) or changes LMCompatibilityLevel. */
  setNt: z.strictObject({ crypto: z.enum(['us-128', 'export-40']).optional(), lmCompatibility: z.number().int().min(0).max(5).optional() }).optional(),
  /** `tls` replaces the server's TLS versions and ciphers (defaults: its product's, app/products/). */
  setInbound: z.strictObject({ starttls: z.boolean().optional(), requireTls: z.boolean().optional(), tls: inboundTls.optional() }).optional(),
  /** The Connections tab of one of the organisation's hosts (interfaces): what its sessions must do before MAIL. */
  setConnections: z.strictObject({ host: hostName, authentication: z.boolean(), encryption: z.boolean() }).optional(),
  addDns: dnsRecord.optional(),
  removeDns: z.strictObject({ name: z.string(), type: z.enum(['MX', 'A', 'TXT', 'TLSA']), value: z.string().optional() }).optional(),
  /**
   * The administrator of `org` reconfigures the firewall on one of its paths (by path id, e.g.
   * `intellinet-ntsol`): another profile or stages. `{ profile: pass }` is PIX's
   * `no fixup protocol smtp 25` and ASA's `no inspect esmtp`. Applies to the next connection.
   * `firewall` has the shape of a path's `firewall:` (docs/stages.md); app/lab/actions.ts checks
   * it against the stage registry, so this schema stays free of the path engine.
   */
  setFirewall: z.strictObject({
    path: z.string().min(1),
    firewall: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  }).optional(),
}).superRefine((a, ctx) => {
  const changes = Object.keys(a).filter((k) => k !== 'org');
  if (changes.length !== 1) ctx.addIssue({ code: 'custom', path: [], message: `an action makes exactly one change (found ${changes.length === 0 ? 'none' : changes.join(', ')})` });
});

/** A message a lab's server accepts for submission (a scenario's `send` step, the UI's "send"). */
/** RFC 5322 §3.6.8: field-name = 1*ftext; ftext = %d33-57 / %d59-126. */
export const HEADER_FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

export const sendStep = z.strictObject({
  id,
  from: address,
  to: z.union([address, z.array(address).min(1)]),
  subject: z.string().default(''),
  body: z.string().default(''),
  /** Further header fields; names as RFC 5322 §3.6.8 allows (printable ASCII but the colon). */
  headers: z.record(z.string(), z.string()).superRefine((headers, ctx) => {
    for (const name of Object.keys(headers)) {
      if (!HEADER_FIELD_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `header name ${JSON.stringify(name)}: a header name is printable ASCII without spaces or ":" (RFC 5322 §3.6.8)` });
    }
  }).optional(),
  requireTls: z.boolean().optional(),
});

export type OrgConfig = z.infer<typeof org>;
export type HostConfig = z.infer<typeof host>;
export type SecurityEntry = z.infer<typeof securityEntry>;
export type LabAction = z.infer<typeof labAction>;
export type SendStep = z.infer<typeof sendStep>;
export type NtAccount = z.infer<typeof ntAccount>;
