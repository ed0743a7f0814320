/**
 * The security plan for one outbound session (docs/lab.md, "Outbound security"): from the sending organisation, the
 * security entry for the recipient domain, REQUIRETLS, and what DNS says about the MX host, build
 * the sans-IO plan, the stream upgrades it needs (TLS, NTLM seal), and a report of what the
 * session learned. The lab's delivery and the bench's baseline both build their plans here.
 */
import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { OrgConfig, SecurityEntry } from '../../config/schema.ts';
import type { Failure, SecurityPlan } from '../outbound/client.ts';
import type { StreamUpgrades } from '../outbound/connection.ts';
import type { Attempt } from '../queue.ts';
import type { NtlmSessionKeys } from '../../ntlm/keys.ts';
import type { DnsFacts, RptNote } from '../../tls/levels.ts';
import type { Timers } from '../../base/timers.ts';
import { plainPlan } from '../security.ts';
import { NtlmPlan } from './ntlm.ts';
import { TlsPlan } from './tls.ts';
import { RequireTlsPlan, requireTlsLevel } from './requiretls.ts';
import { sealStream } from '../../ntlm/sealed-stream.ts';
import { upgradeClient } from '../../tls/session.ts';
import { tlsLevelSpec } from '../../tls/level-table.ts';
import { product } from '../../products/index.ts';
import { ntlmResponsesOf } from '../../products/windows-nt.ts';

/** What a session's plan learned, for the attempt record and the key hand-off. */
export interface PlanReport {
  keyBits?: Attempt['keyBits'];
  tls?: Attempt['tls'];
  tlsKeyLog: string[];
  ntlmKeys?: NtlmSessionKeys;
  rpt?: RptNote;
}

export interface PreparedPlan {
  plan: SecurityPlan;
  mailParams?: string[];
  upgrades: StreamUpgrades;
  /** Filled in as the session goes. */
  report(): PlanReport;
  /** A refusal before connecting (a bogus zone, an MX outside an enforced MTA-STS policy). */
  beforeConnect?(): Failure | undefined;
}

export interface PlanInput {
  sender: OrgConfig;
  security: SecurityEntry | undefined;
  /** The message asked for REQUIRETLS (RFC 8689). */
  requireTls?: boolean;
  /** The MX host, and how failure texts name it (`mail.ntsol.example[198.51.100.25]`). */
  host: string;
  peer: string;
  /** The recipient domain (Postfix's nexthop). */
  nexthop: string;
  dns: DnsFacts;
  /** PEM trust store: the lab CA. */
  trust: string[];
  /** Lab time. */
  now(): number;
  timers: Timers;
}

/** The plan that sends nothing but plain SMTP (method none, and a `may` retry after a failed handshake). */
export function plainSession(): PreparedPlan {
  return { plan: plainPlan, upgrades: {}, report: () => ({ tlsKeyLog: [] }) };
}

export function preparePlan(p: PlanInput): PreparedPlan {
  const tlsKeyLog: string[] = [];
  if (p.security?.method === 'ntlm' && !p.requireTls) {
    // The sender's product decides the era (app/products/): the IMS sends NTLMv1 responses
    // (MS-NLMP §3.3) unless its NT's LMCompatibilityLevel asks for NTLMv2, AUTH NTLM whether
    // offered or not, and no initial response (KB Q262945).
    const sender = product(p.sender.profile);
    const habits = sender.ntlm;
    const plan = new NtlmPlan({
      logon: p.security.logon!, workstation: p.sender.hosts[0].name.split('.')[0].toUpperCase(),
      responses: ntlmResponsesOf(sender, p.sender.nt), blindAuth: habits.blindAuth, initialResponse: habits.initialResponse,
      crypto: p.sender.nt?.crypto ?? 'us-128', minKeyBits: p.security.minKeyBits, peer: p.peer,
      randomBytes: (n) => crypto.randomBytes(n), now: p.now,
    });
    return {
      plan,
      upgrades: { startSeal: (socket: Duplex) => sealStream(socket, plan.keys!, 'client') },
      report: () => ({ keyBits: plan.keyBits, tlsKeyLog, ntlmKeys: plan.keys }),
    };
  }
  // RFC 8689: a REQUIRETLS message needs verified TLS whatever the table says for its domain.
  const level = p.requireTls
    ? requireTlsLevel(p.security?.method === 'tls' ? p.security.level : undefined)
    : p.security?.method === 'tls' ? p.security.level : undefined;
  if (!level || tlsLevelSpec(level)?.verification.kind === 'none') return plainSession();
  const tlsPlan = new TlsPlan({ level, destination: { mxHost: p.host, nexthop: p.nexthop, dns: p.dns }, trust: p.trust, now: p.now });
  const plan = p.requireTls ? new RequireTlsPlan(tlsPlan, p.peer) : tlsPlan;
  let tlsInfo: Attempt['tls'];
  return {
    plan,
    mailParams: p.requireTls ? ['REQUIRETLS'] : [],
    beforeConnect: () => tlsPlan.beforeConnect(),
    upgrades: {
      startTls: async (socket: Duplex) => {
        // The sender's product speaks the TLS of its era (exchange-5.5: TLS 1.0 only).
        const up = await upgradeClient(socket, { servername: p.host, timer: p.timers, timeoutMs: 30_000, ...product(p.sender.profile).tls });
        tlsKeyLog.push(...up.keyLog);
        tlsInfo = { protocol: up.protocol, cipher: up.cipher };
        return { stream: up.tls, info: { protocol: up.protocol, cipher: up.cipher, peerChainDer: up.peerChainDer } };
      },
    },
    report: () => ({ tls: tlsInfo && { ...tlsInfo, authenticated: tlsPlan.authenticated }, tlsKeyLog, rpt: tlsPlan.rpt }),
  };
}
