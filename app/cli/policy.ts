/**
 * `postcard-lab policy <scenario.yaml> --org ID --as <product>|mta-sts|dane` (products: app/products/):
 * the organisation's outbound security table (or, for mta-sts and dane, what it publishes) in one
 * product's vocabulary, saying plainly what that product cannot express.
 */
import { formatError, loadScenarioFile } from '../scenario/load.ts';
import type { OrgConfig } from '../config/schema.ts';
import { PRODUCTS, product } from '../products/index.ts';
import { createLab } from '../lab/lab.ts';
import { formatTlsa, tlsaFor } from '../tls/dane.ts';
import { parseArgs, stringFlag, UsageError } from './args.ts';
import { EXIT, type CliIo } from './io.ts';

/** Every product of the registry (app/products/), plus what a domain publishes for MTA-STS and DANE. */
/** What `--as` takes: every product of the registry, then the two policy views (main.ts's synopsis lists them too). */
export const VOCABULARIES = [...PRODUCTS.map((p) => p.name), 'mta-sts', 'dane'];

/** The table in the product's own configuration language, or its console words line by line. */
function productListing(name: string, org: OrgConfig): string[] {
  const v = product(name).vocabulary;
  if (v.listing) return v.listing({ domain: org.domain, hostName: org.hosts[0].name, security: org.security });
  const lines = [`# ${product(name).title}: outbound security per remote domain`];
  for (const e of org.security) {
    const t = v.toSetting(e);
    lines.push(`${e.domain.padEnd(28)} ${v.describe(e)}${t.ok ? '' : `  # not exact: ${t.reason}`}`);
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
  if (!as || !VOCABULARIES.includes(as)) throw new UsageError(`--as takes one of ${VOCABULARIES.join(', ')}`);
  const loaded = loadScenarioFile(args.positional[0]);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(formatError(e));
    return EXIT.badInput;
  }
  const orgId = stringFlag(args, 'org');
  const org = loaded.scenario.lab.orgs.find((o) => o.id === orgId);
  if (!org) throw new UsageError(`--org takes one of ${loaded.scenario.lab.orgs.map((o) => o.id).join(', ')}`);
  let lines: string[];
  switch (as) {
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
    default: lines = productListing(as, org);
  }
  for (const line of lines) io.out(line);
  return EXIT.ok;
}
