/**
 * Runs one generated lab on real loopback sockets and reports what the property needs: each
 * message's outcome, and every place where something crossed a hop in clear that docs/lab.md ("Fail closed") says must
 * not (a canary of the message — `lab.leaks` —, or its envelope in the raw tap bytes).
 *
 *   plan ─► config ─► createLab ─► TLSA / TXT as planned ─► send m1 … settle
 *        ─► (lab change) ─► send the rest … settle ─► (follow deferred ones to their end) ─► check
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLab, type Lab, type MessageOutcome } from '../../app/lab/lab.ts';
import { formatTlsa, tlsaFor } from '../../app/tls/dane.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { createRng } from '../../app/base/rng.ts';
import { buildConfig, LOGON, PARTNER_DOMAIN, type LabPlan, type PartnerHost } from './generate.ts';
import { mustBeSeen, shouldFailClosed } from './policy.ts';
import { connectionIds, envelopeHits, streams } from './wire.ts';

export interface MessageReport {
  id: string;
  outcome: MessageOutcome;
  /** Outcome after following a deferred message through its retries (followToEnd only). */
  final?: MessageOutcome;
  /** Did any hop it could take count as fail-closed (for the tallies)? */
  failClosed: boolean;
  leaks: number;
}

export interface LabRun {
  messages: MessageReport[];
  /** Each a one-line account of something that crossed a fail-closed hop in clear. */
  violations: string[];
  /** Messages that nothing hid (mustBeSeen) and were delivered, yet the detector did not see. */
  blind: string[];
  /** Transcripts of the messages named in violations (for the failure message). */
  transcripts: string;
}

export interface RunDeps {
  /** A fresh folder for this lab's workspace (removed afterwards). */
  workspace: string;
  /** One certificate cache shared by every lab of the run. */
  certCache: string;
}

function tlsaValue(lab: Lab, plan: LabPlan, host: PartnerHost): string | undefined {
  const cert = lab.security.certs.get(host.name)!;
  switch (host.tlsa) {
    case 'absent':
      return undefined;
    case 'ee-match':
      // DANE-EE, SPKI, SHA-256 (RFC 7672 §3.1.1): the host's key, whatever the certificate says.
      return formatTlsa(tlsaFor(cert.certPem, 3, 1, 1));
    case 'ta-match':
      // DANE-TA, full certificate, SHA-256 (RFC 7672 §3.1.2): the lab root as the trust anchor.
      return formatTlsa(tlsaFor(lab.security.pki.caCertPem, 2, 0, 1));
    case 'mismatch':
      // A usable record for a key nobody has (a roll that forgot DNS).
      return `3 1 1 ${createRng(plan.seed).fork(`tlsa:${host.name}`).hex(32)}`;
    case 'unusable':
      // PKIX-EE (usage 1) is not usable for SMTP (RFC 7672 §3.1.3).
      return formatTlsa(tlsaFor(cert.certPem, 1, 1, 1));
  }
}

const txtName = `_mta-sts.${PARTNER_DOMAIN}`;

function applyChange(lab: Lab, plan: LabPlan): void {
  const account = { domain: LOGON.domain, user: LOGON.user };
  const hasAccount = lab.servers.get('ntsol')!.config.accounts.length > 0;
  switch (plan.change) {
    case 'none':
      return;
    case 'delete-account':
      if (hasAccount) lab.applyAction({ org: 'ntsol', deleteAccount: account });
      return;
    case 'disable-account':
      if (hasAccount) lab.applyAction({ org: 'ntsol', disableAccount: account });
      return;
    case 'strip-txt':
      lab.dns.remove(txtName, 'TXT');
      return;
    case 'remove-tlsa':
      for (const h of plan.partner.hosts) lab.dns.remove(`_25._tcp.${h.name}`, 'TLSA');
      return;
    case 'starttls-off':
      lab.applyAction({ org: 'ntsol', setInbound: { starttls: false } });
      return;
  }
}

const idOf = (i: number) => `m${i + 1}`;

async function send(lab: Lab, plan: LabPlan, indices: number[]): Promise<MessageOutcome[]> {
  for (const i of indices) {
    const m = plan.messages[i];
    lab.send({ id: idOf(i), from: m.from, to: m.to, subject: `Quarterly figures ${i + 1}`, body: `Dear colleague,\r\nthe figures, part ${i + 1}.\r\n` });
  }
  const outcomes: MessageOutcome[] = [];
  for (const i of indices) outcomes.push(await lab.settle(idOf(i), true));
  return outcomes;
}

export async function runLab(plan: LabPlan, deps: RunDeps): Promise<LabRun> {
  const lab = await createLab(buildConfig(plan), { seed: plan.seed, workspace: deps.workspace, certCache: deps.certCache });
  try {
    for (const host of plan.partner.hosts) {
      const value = tlsaValue(lab, plan, host);
      if (value) lab.dns.add({ name: `_25._tcp.${host.name}`, type: 'TLSA', value });
    }
    if (plan.partner.txt === 'stripped') lab.dns.remove(txtName, 'TXT');

    // With a change, m1 goes alone before it; without one, every message goes at once (cheaper
    // when a silent middlebox makes each session wait for the timeout).
    const all = plan.messages.map((_, i) => i);
    const first = plan.change === 'none' ? all : [0];
    const outcomes = await send(lab, plan, first);
    let before: Set<string> | undefined;
    if (plan.change !== 'none') {
      before = connectionIds(lab);
      applyChange(lab, plan);
      outcomes.push(...(await send(lab, plan, all.slice(1))));
    }
    const finals: (MessageOutcome | undefined)[] = [];
    for (const i of all) finals.push(plan.followToEnd && outcomes[i] === 'deferred' ? await lab.settle(idOf(i), false) : undefined);
    return inspect(lab, plan, outcomes, finals, before);
  } finally {
    await lab.stop();
    fs.rmSync(deps.workspace, { recursive: true, force: true });
  }
}

function inspect(lab: Lab, plan: LabPlan, outcomes: MessageOutcome[], finals: (MessageOutcome | undefined)[], before: Set<string> | undefined): LabRun {
  const violations: string[] = [];
  const blind: string[] = [];
  const named = new Set<number>();
  const hostKeys = (host: string | undefined) => (host ? [host] : plan.partner.hosts.map((h) => h.name));
  // A connection whose host is unknown counts as fail-closed if any partner host is (conservative).
  const closed = (host: string | undefined, epoch: 0 | 1) => hostKeys(host).some((h) => shouldFailClosed(plan, h, epoch));
  const byStream = streams(lab, before);
  if (lab.taps.dropped > 0) violations.push(`the tap log dropped ${lab.taps.dropped} records: streams incomplete`);
  const messages = plan.messages.map((m, i): MessageReport => {
    const id = idOf(i);
    const leaks = lab.leaks(id);
    for (const hit of leaks) {
      const c = lab.taps.connections.get(`${hit.point}/${hit.conn}`);
      const epoch = before && !before.has(hit.conn) ? 1 : 0;
      if (closed(c?.server.host, epoch)) {
        violations.push(`${id}: ${hit.where} canary ${hit.canary} in clear at ${hit.point} ${hit.conn} ${hit.dir} (to ${c?.server.host}, epoch ${epoch})`);
        named.add(i);
      }
    }
    for (const s of byStream) {
      if (!closed(s.host, s.epoch)) continue;
      for (const needle of envelopeHits(s, m.from, m.to)) {
        violations.push(`${id}: "${needle}" in clear at ${s.point} ${s.conn} ${s.dir} (to ${s.host}, epoch ${s.epoch})`);
        named.add(i);
      }
    }
    const outcome = outcomes[i];
    if (mustBeSeen(plan) && outcome === 'delivered') {
      const envelopeSeen = byStream.some((s) => envelopeHits(s, m.from, m.to).length === 2);
      if (leaks.length === 0 || !envelopeSeen) blind.push(`${id}: delivered in clear, but ${leaks.length} canary hits and envelope ${envelopeSeen ? 'seen' : 'not seen'}`);
    }
    const failClosed = plan.partner.hosts.some((h) => shouldFailClosed(plan, h.name, 0) || shouldFailClosed(plan, h.name, 1));
    return { id, outcome, final: finals[i], failClosed, leaks: leaks.length };
  });
  const transcripts = [...named].map((i) => {
    const attempts = lab.entriesOf(idOf(i)).flatMap((e) => e.attempts);
    return `—— ${idOf(i)} ——\n${attempts.map((a) => formatTranscript(a.transcript)).join('\n')}`;
  }).join('\n').slice(0, 6000);
  return { messages, violations, blind, transcripts };
}

/** A fresh, unique folder for one lab under the run's root. */
export function labFolder(root: string, seed: number): string {
  return fs.mkdtempSync(path.join(root, `lab-${seed}-`));
}
