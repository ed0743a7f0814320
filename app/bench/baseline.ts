/**
 * The baseline of `bench` (docs/bench.md): the lab's own client code sending straight to a bare smtp-server.
 *
 *   lab:       Lab.send ─► queue (fsync) ─► SmtpClientSession ─► relay + taps ─► MailServer ─► mailbox (fsync)
 *   baseline:             composeMessage ─► SmtpClientSession ──────────────────► smtp-server ─► (discarded)
 *
 * The server is `startInbound` (smtp-server with the greeting delay at 0 instead of its fixed
 * 100 ms early-talker wait, no reverse look-up) with nothing but what the method needs: STARTTLS
 * with the same certificate and TLS versions and ciphers the lab's host has (its product's, app/products/), or AUTH NTLM with the same NT build
 * and account. The client gets the same security plan the lab's delivery builds
 * (preparePlan in app/mta/plans/index.ts): plain, TLS at level encrypt, NTLM with the seal layer.
 */
import crypto from 'node:crypto';
import type { SMTPServerOptions } from 'smtp-server';
import type { OrgConfig, SecurityEntry } from '../config/schema.ts';
import type { LabConfig } from '../config/lab.ts';
import { startInbound, type InboundServer } from '../mta/inbound.ts';
import { realTimers } from '../base/timers.ts';
import { SmtpClientSession } from '../mta/outbound/client.ts';
import { runClientSession } from '../mta/outbound/connection.ts';
import { preparePlan, type PreparedPlan } from '../mta/plans/index.ts';
import { NtlmServerSession, accountLookup } from '../ntlm/server.ts';
import { registerNtlmMechanism, type NtlmMechanismOptions } from '../mta/inbound-ntlm.ts';
import type { Method } from './labs.ts';

/** The receiving host's certificate and the lab CA, borrowed from the lab so both sides use the same keys. */
export interface TlsMaterial {
  keyPem: string;
  chainPem: string;
  trustPem: string;
  /** The host's TLS versions and ciphers as the lab offers them (its product's of its era, or the lab's own). */
  versions: Pick<SMTPServerOptions, 'minVersion' | 'maxVersion' | 'ciphers'>;
}

export interface BaselineServer {
  port: number;
  /** Messages the server accepted (after the final `.`). */
  accepted(): number;
  close(): Promise<void>;
}

interface Ends {
  sender: OrgConfig;
  receiver: OrgConfig;
  host: string;
}

function ends(config: LabConfig): Ends {
  const [sender, receiver] = config.orgs;
  return { sender, receiver, host: receiver.hosts[0].name };
}

/** What the method adds to smtp-server's options, as LabSecurity.inboundOptions does for the lab. */
function methodOptions(method: Method, e: Ends, tls?: TlsMaterial): Partial<SMTPServerOptions> & { ntlm?: NtlmMechanismOptions } {
  switch (method) {
    case 'plain':
      return {};
    case 'starttls':
      if (!tls) throw new Error('the STARTTLS baseline needs the receiving host\'s certificate');
      return { hideSTARTTLS: false, key: tls.keyPem, cert: tls.chainPem, ...tls.versions };
    case 'ntlm': {
      registerNtlmMechanism();
      const nt = e.receiver.nt!;
      const ntlm: NtlmMechanismOptions = {
        newSession: () => new NtlmServerSession({
          ntDomain: nt.domain, serverName: e.host.split('.')[0].toUpperCase(), crypto: nt.crypto,
          lmCompatibility: nt.lmCompatibility, randomBytes: (n) => crypto.randomBytes(n),
          lookupAccount: accountLookup(e.receiver.accounts),
        }),
      };
      return { authMethods: ['NTLM'], disabledCommands: [], allowInsecureAuth: true, ntlm };
    }
  }
}

export async function startBaselineServer(method: Method, config: LabConfig, tls?: TlsMaterial): Promise<BaselineServer> {
  const e = ends(config);
  let accepted = 0;
  const server: InboundServer = await startInbound({
    hostName: e.host, greeting: `${e.host} ESMTP`, greetingDelayMs: 0, timers: realTimers,
    maxSize: 10 * 1024 * 1024, socketTimeoutMs: 120_000, heloRequired: false,
    checkRecipient: () => undefined,
    accept: async () => `Q${++accepted}`,
    extra: methodOptions(method, e, tls),
  });
  return { port: server.port, accepted: () => accepted, close: () => server.close() };
}

/** A fresh plan per session (NTLM and TLS plans keep per-session state), built as the lab's delivery builds it. */
export function baselinePlan(method: Method, config: LabConfig, labTime: number, tls?: TlsMaterial): PreparedPlan {
  const e = ends(config);
  const security: SecurityEntry | undefined = method === 'starttls' ? { domain: e.receiver.domain, method: 'tls', level: 'encrypt' }
    : method === 'ntlm' ? e.sender.security.find((s) => s.method === 'ntlm') : undefined;
  if (method === 'ntlm' && !security?.logon) throw new Error('the NTLM baseline needs the sender\'s logon');
  return preparePlan({
    sender: e.sender, security, host: e.host, peer: `${e.host}[${e.receiver.hosts[0].address}]`, nexthop: e.receiver.domain,
    dns: { tlsa: { zone: 'insecure', records: [] } }, trust: tls ? [tls.trustPem] : [], now: () => labTime, timers: realTimers,
  });
}

/** One session of the lab's client to the baseline server; true when the message was delivered. */
export async function sendDirect(port: number, envelope: { from: string; to: string[]; message: Buffer }, method: Method, config: LabConfig,
  labTime: number, tls?: TlsMaterial): Promise<boolean> {
  const e = ends(config);
  const { plan, upgrades } = baselinePlan(method, config, labTime, tls);
  const session = new SmtpClientSession({
    heloName: e.sender.hosts[0].name, ...envelope, plan,
    peer: `${e.host}[${e.receiver.hosts[0].address}]`,
  });
  const result = await runClientSession(session, { host: '127.0.0.1', port, timers: realTimers, upgrades, timeoutMs: 120_000 });
  return result.delivered;
}
