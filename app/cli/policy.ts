/**
 * `postcard-lab policy <scenario.yaml> --org ID --as exchange-5.5|exchange-2019|postfix|mta-sts|dane`:
 * the organisation's outbound security table (or, for mta-sts and dane, what it publishes) in one
 * product's vocabulary, saying plainly what that product cannot express.
 */
import { formatError, loadScenarioFile } from '../scenario/load.ts';
import type { OrgConfig } from '../config/schema.ts';
import { toIms, toPostfix, toSendConnector } from '../policy/vocabulary.ts';
import { createLab } from '../lab/lab.ts';
import { formatTlsa, tlsaFor } from '../tls/dane.ts';
import { parseArgs, stringFlag, UsageError } from './args.ts';
import { EXIT, type CliIo } from './io.ts';

const VOCABULARIES = ['exchange-5.5', 'exchange-2019', 'postfix', 'mta-sts', 'dane'] as const;
type Vocabulary = (typeof VOCABULARIES)[number];

function ims(org: OrgConfig): string[] {
  const lines = [`Internet Mail Service (${org.hosts[0].name}) — Security tab`, ''];
  for (const e of org.security) {
    const t = toIms(e);
    const v = t.ok ? t.value : t.nearest;
    const text = v?.option === 'ntlm' ? `Windows NT challenge/response authentication and encryption — logon ${v.logon?.domain}\\${v.logon?.user}`
      : v?.option === 'sasl-ssl' ? 'SASL/SSL security — [x] SSL encryption' : 'No authentication or encryption';
    lines.push(`  ${e.domain.padEnd(28)} ${text}`);
    if (!t.ok) lines.push(`  ${''.padEnd(28)} (not exact: ${t.reason})`);
  }
  return lines;
}

function exchange2019(org: OrgConfig): string[] {
  const lines = ['# Exchange Management Shell: one send connector per remote domain'];
  for (const e of org.security) {
    const t = toSendConnector(e);
    const v = t.ok ? t.value : t.nearest;
    if (!t.ok) lines.push(`# ${e.domain}: ${t.reason}${v ? '; nearest:' : ''}`);
    if (!v) continue;
    const space = e.domain.startsWith('.') ? `*${e.domain}` : e.domain;
    const tls = `-RequireTLS $${v.RequireTLS}${v.TlsAuthLevel ? ` -TlsAuthLevel ${v.TlsAuthLevel}` : ''}${v.TlsDomain ? ` -TlsDomain ${v.TlsDomain}` : ''}`;
    lines.push(`${t.ok ? '' : '# '}New-SendConnector -Name "To ${space}" -Usage Custom -AddressSpaces "SMTP:${space};1" ${tls}`);
  }
  return lines;
}

function postfix(org: OrgConfig): string[] {
  const lines = ['# main.cf', 'smtp_tls_security_level = may', 'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy', '', '# /etc/postfix/tls_policy (postmap it)'];
  for (const e of org.security) {
    const t = toPostfix(e);
    if (t.ok) lines.push(t.value + (t.note ? `\t# ${t.note}` : ''));
    else lines.push(`# ${e.domain}: ${t.reason}${t.nearest ? `; nearest: ${t.nearest}` : ''}`);
  }
  return lines;
}

function mtaSts(org: OrgConfig): string[] {
  if (!org.mtaSts) return [`# ${org.domain} publishes no MTA-STS policy (add mtaSts: { mode: enforce } to the organisation)`];
  const mx = org.mtaSts.mx ?? org.hosts.filter((h) => h.mx !== false).map((h) => h.name);
  return [
    '# DNS (RFC 8461 §3.1)',
    `_mta-sts.${org.domain}. IN TXT "v=STSv1; id=${org.mtaSts.id}"`,
    '',
    `# https://mta-sts.${org.domain}/.well-known/mta-sts.txt (RFC 8461 §3.2)`,
    'version: STSv1', `mode: ${org.mtaSts.mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${org.mtaSts.maxAge}`,
  ];
}

export async function policyCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { org: { type: 'value' }, as: { type: 'value' } });
  if (args.positional.length !== 1) throw new UsageError('policy takes exactly one scenario file');
  const as = stringFlag(args, 'as');
  if (!as || !(VOCABULARIES as readonly string[]).includes(as)) throw new UsageError(`--as takes one of ${VOCABULARIES.join(', ')}`);
  const loaded = loadScenarioFile(args.positional[0]);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(formatError(e));
    return EXIT.badInput;
  }
  const orgId = stringFlag(args, 'org');
  const org = loaded.scenario.lab.orgs.find((o) => o.id === orgId);
  if (!org) throw new UsageError(`--org takes one of ${loaded.scenario.lab.orgs.map((o) => o.id).join(', ')}`);
  let lines: string[];
  switch (as as Vocabulary) {
    case 'exchange-5.5': lines = ims(org); break;
    case 'exchange-2019': lines = exchange2019(org); break;
    case 'postfix': lines = postfix(org); break;
    case 'mta-sts': lines = mtaSts(org); break;
    case 'dane': {
      // The records to publish are fingerprints of the lab's own keys: start the lab's PKI to read them.
      const lab = await createLab(loaded.scenario.lab);
      try {
        lines = ['# DNS (RFC 7672 §3.1.1: DANE-EE, SPKI, SHA-256); the zone must be DNSSEC-signed', ...org.hosts.map((h) => `_25._tcp.${h.name}. IN TLSA ${formatTlsa(tlsaFor(lab.security.certs.get(h.name.toLowerCase())!.certPem, 3, 1, 1))}`)];
      } finally {
        await lab.stop();
      }
      break;
    }
  }
  for (const line of lines) io.out(line);
  return EXIT.ok;
}
