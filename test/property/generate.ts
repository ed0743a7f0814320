/**
 * The lab generator of the fail-closed property test (docs/property-test.md): one seed → one `LabPlan`, a plain
 * description of two organisations, the sender's security entry for the partner, the firewall
 * between them, the partner's certificates, accounts and DNS, and the messages to send. Pure: the
 * same seed gives the same plan, so `PCL_PROPERTY_SEED=<n>` replays a failure.
 *
 * Everything random comes from `createRng(seed)` (never Math.random), drawn in a fixed order.
 */
import type { z } from 'zod';
import { createRng, type Rng } from '../../app/base/rng.ts';
import { lab as labSchema, type LabConfig } from '../../app/config/lab.ts';

export type Method = 'none' | 'ntlm' | 'tls';
export type Level = 'may' | 'encrypt' | 'verify' | 'secure' | 'dane' | 'dane-only' | 'mta-sts';
export type Variant = 'valid' | 'expired' | 'not-yet-valid' | 'wrong-name' | 'self-signed' | 'untrusted-ca';
export type ZoneState = 'secure' | 'insecure' | 'bogus';
export type ServerProfile = 'exchange-5.5' | 'exchange-2019' | 'postfix' | 'generic';
export type Crypto = 'us-128' | 'export-40';
export type Firewall = 'pass' | 'pix-4.4' | 'pix-5.1' | 'asa' | 'strip-starttls' | 'ntlm-downgrade' | 'injector' | 'rewrite';
/** What the partner's TLSA record at `_25._tcp.<host>` is (RFC 7672 §3.1). */
export type Tlsa = 'ee-match' | 'ta-match' | 'mismatch' | 'unusable' | 'absent';
/** Account state of the sender's NT logon on the partner's server (docs/ntlm.md, "Who gets in"). */
export type Account = 'valid' | 'deleted' | 'disabled' | 'wrong-password';
/** One lab change between the first message and the rest (a scenario `action`). */
export type Change = 'none' | 'delete-account' | 'disable-account' | 'strip-txt' | 'remove-tlsa' | 'starttls-off';
export type StageSpec = Record<string, Record<string, unknown>>;

export interface PartnerHost {
  name: string;
  address: string;
  certificate: Variant;
  /** The TLSA record published for this host (only in a signed zone does it count). */
  tlsa: Tlsa;
}

export interface LabPlan {
  seed: number;
  sender: { profile: ServerProfile; crypto?: Crypto };
  partner: {
    profile: ServerProfile;
    /** Absent: the partner runs no NT domain, so AUTH NTLM is not offered. */
    nt?: { crypto: Crypto; lmCompatibility: 2 | 5 };
    starttls: boolean;
    requireTls: boolean;
    hosts: PartnerHost[];
    mtaSts: 'none' | 'enforce' | 'testing';
    /** The MTA-STS policy names only the first host. */
    stsFirstHostOnly: boolean;
    /** Whether the `_mta-sts` TXT record is left in DNS before the first message. */
    txt: 'present' | 'stripped';
  };
  security: { method: Method; level?: Level; minKeyBits?: 40 | 128 };
  account: Account;
  firewall: { profile: Firewall; with?: StageSpec; before: StageSpec[]; stages: StageSpec[] };
  zones: { domain: ZoneState; hosting: ZoneState };
  change: Change;
  messages: { from: string; to: string }[];
  /** After the first settle, drive every deferred message through its retries to the end. */
  followToEnd: boolean;
}

export const SENDER_DOMAIN = 'intellinet.example';
export const PARTNER_DOMAIN = 'ntsol.example';
/** A separate zone for a hosted MX, so a bogus zone can spoil a host's TLSA without its MX. */
export const HOSTING_ZONE = 'ntsol-hosting.example';
const HOST_POOL = [
  { name: 'mail.ntsol.example', address: '198.51.100.25' },
  { name: 'backup.ntsol.example', address: '198.51.100.26' },
  { name: 'mx.ntsol-hosting.example', address: '203.0.113.25' },
] as const;
const SENDERS = ['alice', 'bob', 'carol', 'dave'];
const RECIPIENTS = ['sean', 'sue', 'sam', 'sid'];
export const LOGON = { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' };

function weighted<T>(rng: Rng, table: readonly (readonly [T, number])[]): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [value, w] of table) {
    if (x < w) return value;
    x -= w;
  }
  return table[table.length - 1][0];
}

const chance = (rng: Rng, p: number) => rng.next() < p;

/** The network stages the firewall sometimes adds, client side (`before`) or server side. */
function extraStages(rng: Rng): { before: StageSpec[]; stages: StageSpec[]; silent: boolean } {
  const kind = weighted(rng, [['none', 62], ['slicer-before', 10], ['slicer-after', 10], ['latency', 5], ['reset', 7], ['block', 4], ['drop', 2]] as const);
  const slicer = (): StageSpec => ({ slicer: chance(rng, 0.6) ? { size: 1 } : { size: 3, variation: 2 } });
  switch (kind) {
    case 'none': return { before: [], stages: [], silent: false };
    case 'slicer-before': return { before: [slicer()], stages: [], silent: false };
    case 'slicer-after': return { before: [], stages: [slicer()], silent: false };
    case 'latency': return { before: [], stages: [{ latency: { ms: 1 + rng.int(3), jitter: 1 } }], silent: false };
    case 'reset': return { before: [], stages: [chance(rng, 0.5) ? { reset: { after: 20 + rng.int(600) } } : { reset: { from: 'data', after: rng.int(60) } }], silent: false };
    case 'block': return { before: [], stages: [{ block: {} }], silent: false };
    // `drop`: silence until the lab's timeout (docs/stages.md, "Network stages"); rare, it costs a timeout per connection.
    case 'drop': return { before: [], stages: [{ drop: {} }], silent: true };
  }
}

/** A few hostile rewrite rule sets: what a tester might configure to mimic their own box. */
const REWRITES: StageSpec[] = [
  // Hide STARTTLS in the EHLO reply, keeping the length (as the ASA mask does).
  { rewrite: { rules: [{ dir: 's2c', match: 'STARTTLS', action: 'replace', replace: 'XXXXXXXX' }] } },
  // Turn the client's STARTTLS into NOOP: the server answers 250, not 220.
  { rewrite: { rules: [{ dir: 'c2s', match: { regex: '^STARTTLS$', flags: 'i' }, action: 'replace', replace: 'NOOP' }] } },
  // Lie to the client that a failed NTLM logon succeeded.
  { rewrite: { rules: [{ dir: 's2c', match: { regex: '^535 .*$' }, action: 'replace', replace: '235 2.7.0 Authentication successful' }] } },
];

export function generateLab(seed: number): LabPlan {
  const rng = createRng(seed);
  const method = weighted(rng, [['none', 14], ['ntlm', 30], ['tls', 56]] as const);
  const level = method === 'tls'
    ? weighted(rng, [['may', 10], ['encrypt', 14], ['verify', 14], ['secure', 12], ['dane', 20], ['dane-only', 12], ['mta-sts', 18]] as const)
    : undefined;
  const minKeyBits = method === 'ntlm' ? weighted(rng, [[undefined, 60], [40, 10], [128, 30]] as const) : undefined;
  const profiles: ServerProfile[] = ['exchange-5.5', 'exchange-2019', 'postfix', 'generic'];
  const senderProfile = rng.pick(profiles);
  const senderCrypto = weighted(rng, [[undefined, 20], ['us-128', 50], ['export-40', 30]] as const);
  const partnerProfile = rng.pick(profiles);
  const hasNt = chance(rng, method === 'ntlm' ? 0.88 : 0.3);
  const nt = hasNt
    ? { crypto: weighted(rng, [['us-128', 55], ['export-40', 45]] as const), lmCompatibility: weighted(rng, [[2, 80], [5, 20]] as const) }
    : undefined;
  const account = method === 'ntlm' ? weighted(rng, [['valid', 55], ['deleted', 15], ['disabled', 15], ['wrong-password', 15]] as const) : 'valid';
  const starttls = chance(rng, 0.75);
  const requireTls = starttls && chance(rng, 0.2);

  const hostsWanted = chance(rng, 0.3) ? 2 : 1;
  const firstIndex = chance(rng, 0.2) ? 2 : 0;
  const indices = hostsWanted === 2 ? [firstIndex, rng.pick([0, 1, 2].filter((i) => i !== firstIndex))] : [firstIndex];
  const hosts = indices.map((i): PartnerHost => ({
    ...HOST_POOL[i],
    certificate: weighted(rng, [['valid', 60], ['expired', 12], ['not-yet-valid', 12], ['wrong-name', 12], ['self-signed', 12], ['untrusted-ca', 12]] as const),
    tlsa: weighted(rng, [['ee-match', 30], ['ta-match', 10], ['mismatch', 20], ['unusable', 5], ['absent', 35]] as const),
  }));
  const zones = {
    domain: weighted(rng, [['secure', 46], ['insecure', 46], ['bogus', 8]] as const),
    hosting: weighted(rng, [['secure', 50], ['insecure', 40], ['bogus', 10]] as const),
  };
  const mtaSts = weighted(rng, [['none', 40], ['enforce', 45], ['testing', 15]] as const);
  const stsFirstHostOnly = hosts.length === 2 && chance(rng, 0.25);
  const txt = weighted(rng, [['present', 75], ['stripped', 25]] as const);

  const profile = weighted(rng, [['pass', 45], ['pix-4.4', 4], ['pix-5.1', 10], ['asa', 14], ['strip-starttls', 14], ['ntlm-downgrade', 10], ['injector', 10], ['rewrite', 8]] as const);
  const extra = extraStages(rng);
  const firewall = { profile, ...(profile === 'rewrite' ? { with: rng.pick(REWRITES) } : {}), before: extra.before, stages: extra.stages };

  const changes: Change[] = ['delete-account', 'disable-account', 'strip-txt', 'remove-tlsa', 'starttls-off'];
  const change = chance(rng, 0.3) ? rng.pick(changes) : 'none';
  const count = 2 + rng.int(3);
  const messages = Array.from({ length: count }, (_, i) => ({
    from: `${SENDERS[i]}@${SENDER_DOMAIN}`,
    // Sometimes a recipient the partner does not have: a 550 and a bounce.
    to: `${chance(rng, 0.08) ? `ghost${i}` : RECIPIENTS[i]}@${PARTNER_DOMAIN}`,
  }));
  // Following a message through its retries behind a silent box costs a timeout per retry.
  const followToEnd = !extra.silent && profile !== 'pix-4.4' && chance(rng, 0.25);
  return {
    seed,
    sender: { profile: senderProfile, crypto: senderCrypto },
    partner: { profile: partnerProfile, nt, starttls, requireTls, hosts, mtaSts, stsFirstHostOnly, txt },
    security: { method, level, minKeyBits },
    account, firewall, zones, change, messages, followToEnd,
  };
}

/** The zone whose DNSSEC state covers a host's names (its TLSA record at `_25._tcp.<host>`). */
export function zoneOfHost(plan: LabPlan, host: string): ZoneState {
  return host.toLowerCase().endsWith(`.${HOSTING_ZONE}`) ? plan.zones.hosting : plan.zones.domain;
}

type LabInput = z.input<typeof labSchema>;

/** The lab config of a plan, through the scenario schema (as a scenario file would be). */
export function buildConfig(plan: LabPlan): LabConfig {
  const { partner, security } = plan;
  const accounts = plan.account === 'deleted' ? []
    : [{ ...LOGON, disabled: plan.account === 'disabled', password: plan.account === 'wrong-password' ? 'Sunset-17' : LOGON.password }];
  const input: LabInput = {
    clock: { start: '2026-11-28T09:00:00Z' },
    orgs: [
      {
        id: 'intellinet', domain: SENDER_DOMAIN, profile: plan.sender.profile,
        ...(plan.sender.crypto ? { nt: { domain: 'INTELLINET', crypto: plan.sender.crypto } } : {}),
        users: SENDERS, hosts: [{ name: 'mail.intellinet.example', address: '192.0.2.10' }],
        security: [{
          domain: PARTNER_DOMAIN, method: security.method,
          ...(security.level ? { level: security.level } : {}),
          ...(security.method === 'ntlm' ? { logon: LOGON } : {}),
          ...(security.minKeyBits ? { minKeyBits: security.minKeyBits } : {}),
        }],
        // Short enough that following a message to its end costs a few retries (lab clock).
        queue: { lifetime: '30m', retry: ['10m'] },
      },
      {
        id: 'ntsol', domain: PARTNER_DOMAIN, profile: partner.profile,
        ...(partner.nt ? { nt: { domain: 'NTSOL', ...partner.nt } } : {}),
        users: RECIPIENTS,
        hosts: partner.hosts.map(({ name, address, certificate }) => ({ name, address, certificate })),
        accounts,
        inbound: { starttls: partner.starttls, requireTls: partner.requireTls },
        ...(partner.mtaSts === 'none' ? {} : {
          mtaSts: { mode: partner.mtaSts, ...(partner.stsFirstHostOnly ? { mx: [partner.hosts[0].name] } : {}) },
        }),
      },
    ],
    dnssec: [{ zone: PARTNER_DOMAIN, state: plan.zones.domain }, { zone: HOSTING_ZONE, state: plan.zones.hosting }],
    paths: [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall: plan.firewall }],
    settings: { timeout: '1s' },
  };
  return labSchema.parse(input);
}

/** One line that says what the lab is, for test names and assertion messages. */
export function describePlan(plan: LabPlan): string {
  const { security: s, partner: p } = plan;
  const method = s.method === 'tls' ? `tls ${s.level}` : s.method === 'ntlm' ? `ntlm${s.minKeyBits ? ` min${s.minKeyBits}` : ''} acct=${plan.account}` : 'none';
  const nt = `nt ${plan.sender.crypto ?? '-'}→${p.nt ? `${p.nt.crypto}/lm${p.nt.lmCompatibility}` : 'none'}`;
  const stages = [...plan.firewall.before.map((st) => `${Object.keys(st)[0]}<`), ...plan.firewall.stages.map((st) => `>${Object.keys(st)[0]}`)];
  const fw = `fw=${plan.firewall.profile}${plan.firewall.with ? '(rules)' : ''}${stages.length ? `+${stages.join('+')}` : ''}`;
  const hosts = p.hosts.map((h) => `${h.name.split('.')[0]}:${h.certificate}/tlsa-${h.tlsa}`).join(',');
  const inbound = `starttls=${p.starttls ? (p.requireTls ? 'required' : 'offered') : 'no'}`;
  const dns = `zones=${plan.zones.domain}/${plan.zones.hosting} sts=${p.mtaSts}${p.stsFirstHostOnly ? '(first)' : ''} txt=${p.txt}`;
  const rest = `change=${plan.change} msgs=${plan.messages.length}${plan.followToEnd ? ' follow' : ''}`;
  return `seed=${plan.seed} ${method} ${nt} ${plan.sender.profile}→${p.profile} ${fw} ${hosts} ${inbound} ${dns} ${rest}`;
}
