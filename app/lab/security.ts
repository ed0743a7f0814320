/**
 * The security services of a lab (docs/tls.md; docs/ntlm.md): the lab PKI and each host's certificate, what the
 * inbound servers offer (STARTTLS, AUTH NTLM), the partners' MTA-STS web hosts and the senders'
 * policy caches, and the TLS-RPT notes of every session.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { SMTPServerOptions } from 'smtp-server';
import type { MailServer } from '../mta/server.ts';
import type { Workspace } from '../base/store.ts';
import type { OrgConfig } from '../config/schema.ts';
import type { LabConfig } from '../config/lab.ts';
import { createKeyPool, sharedKeyCacheDir } from '../tls/keys.ts';
import { caPath, createLabPki, type IssuedCert, type LabPki } from '../tls/pki.ts';
import { startMtaStsHost, fetchPolicy, type MtaStsHost } from '../tls/https-host.ts';
import { PolicyCache, type CachedPolicy, type StsPolicy } from '../tls/mta-sts.ts';
import { NtlmServerSession } from '../ntlm/server.ts';
import { registerNtlmMechanism, type NtlmMechanismOptions } from '../mta/inbound-ntlm.ts';
import type { NtlmSessionKeys } from '../ntlm/keys.ts';
import type { Timers } from '../base/timers.ts';
import { wire } from '../products/types.ts';
import type { SimDns } from './dns.ts';

registerNtlmMechanism();

/** Where RSA keys are cached: the package's own node_modules/.cache, shared by every lab (docs/tls.md, "Keys and certificates"). */
const PACKAGE_ROOT = path.resolve(import.meta.dirname, '../..');

export interface SecurityDeps {
  ws: Workspace;
  dns: SimDns;
  timers: Timers;
  now(): number;
  keyCache?: string;
  certCache?: string;
  /** The receiving side learned a connection's NTLM keys (by the relay's loopback port). */
  onNtlmKeys(remotePort: number, localPort: number, keys: NtlmSessionKeys): void;
  /** The receiving side logged a TLS secret of a STARTTLS session (NSS key log line, by loopback port). */
  onTlsKeyLog?(remotePort: number, localPort: number, line: string): void;
}

export class LabSecurity {
  pki!: LabPki;
  caFile!: string;
  readonly certs = new Map<string, IssuedCert>();
  /** `tapPort`: the recording relay in front of the host (Lab's listener taps), which fetches go through. */
  readonly stsHosts = new Map<string, { host: MtaStsHost; name: string; tapPort?: number }>();
  readonly stsCaches = new Map<string, PolicyCache>();
  #deps: SecurityDeps;

  constructor(deps: SecurityDeps) {
    this.#deps = deps;
  }

  /** `relays`: the mail servers of content scanners, which need certificates as well. */
  async start(config: LabConfig, relays: OrgConfig[] = []): Promise<void> {
    const pool = createKeyPool(this.#deps.keyCache ?? sharedKeyCacheDir(PACKAGE_ROOT));
    this.pki = await createLabPki({ now: this.#deps.now(), pool, labName: 'Postcard Lab', dir: this.#deps.certCache ?? this.#deps.ws.path('pki') });
    this.caFile = await caPath(this.#deps.ws.root, this.pki);
    for (const org of [...config.orgs, ...relays]) {
      for (const host of org.hosts) this.certs.set(host.name.toLowerCase(), await this.pki.issue(host.name, host.certificate));
      if (org.mtaSts) await this.#startStsHost(org);
      const saved = this.#deps.ws.readJson<CachedPolicy[]>(`orgs/${org.id}/mta-sts-cache.json`) ?? [];
      this.stsCaches.set(org.id, new PolicyCache(saved));
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.stsHosts.values()].map((h) => h.host.close()));
  }

  async #startStsHost(org: OrgConfig): Promise<void> {
    const sts = org.mtaSts!;
    const name = `mta-sts.${org.domain.toLowerCase()}`;
    const cert = await this.pki.issue(name, 'valid');
    const mx = sts.mx ?? org.hosts.filter((h) => h.mx !== false).map((h) => h.name);
    // RFC 8461 §3.2: the policy file, CRLF-separated key/value lines.
    const policy = ['version: STSv1', `mode: ${sts.mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${sts.maxAge}`, ''].join('\r\n');
    const host = await startMtaStsHost({ chainPem: cert.chainPem, keyPem: cert.keyPem, policy });
    this.stsHosts.set(name, { host, name });
    const txtName = `_mta-sts.${org.domain.toLowerCase()}`;
    const txt = this.#deps.dns.txt(txtName);
    if (!txt.ok) this.#deps.dns.add({ name: txtName, type: 'TXT', value: `v=STSv1; id=${sts.id}` });
  }

  /** The MTA-STS policy in force for `domain`, as `org`'s sender sees it (RFC 8461 §5.1). */
  async mtaStsPolicy(orgId: string, domain: string): Promise<{ policy?: StsPolicy; note?: string }> {
    const cache = this.stsCaches.get(orgId)!;
    const txt = this.#deps.dns.txt(`_mta-sts.${domain}`);
    const name = `mta-sts.${domain.toLowerCase()}`;
    const resolution = await cache.resolve(domain, txt.ok ? txt.answers : undefined, this.#deps.now(), async () => {
      const host = this.stsHosts.get(name);
      if (!host) return { ok: false, error: `no HTTPS host ${name}` };
      const r = await fetchPolicy({
        host: '127.0.0.1', port: host.tapPort ?? host.host.port, servername: name, trust: [this.pki.trustStorePem()], now: this.#deps.now(),
        timer: this.#deps.timers, timeoutMs: 10_000,
      });
      return r.ok ? { ok: true, policy: r.policy } : { ok: false, error: `${r.error}: ${r.detail}` };
    });
    this.#deps.ws.writeJson(`orgs/${orgId}/mta-sts-cache.json`, cache.entries());
    return { policy: resolution.policy, note: resolution.note };
  }

  /**
   * What a host's inbound server offers (docs/lab.md, "Inbound"): STARTTLS with the host's certificate
   * when the organisation offers it, AUTH NTLM when it keeps NT accounts for partners.
   */
  inboundOptions(server: MailServer, hostName: string): Partial<SMTPServerOptions> & { ntlm?: NtlmMechanismOptions } {
    const c = server.config;
    const cert = this.certs.get(hostName.toLowerCase());
    const host = c.hosts.find((h) => h.name.toLowerCase() === hostName.toLowerCase());
    const product = server.product;
    // The product's TLS of its era (app/products/), unless the scenario sets the server's own.
    const tls = { ...product.tls, ...c.inbound.tls };
    const options: Partial<SMTPServerOptions> & { ntlm?: NtlmMechanismOptions } = {
      hideSTARTTLS: !(host?.starttls ?? c.inbound.starttls) || !cert,
      hideREQUIRETLS: !product.requireTlsExtension,
      ...(cert ? { key: cert.keyPem, cert: cert.chainPem } : {}),
      ...(tls.minVersion ? { minVersion: tls.minVersion } : {}),
      ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}),
      ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
      ...(cert && this.#deps.onTlsKeyLog ? { onKeyLog: this.#deps.onTlsKeyLog } : {}),
    };
    const mechanisms = c.inbound.authMechanisms ?? (c.nt ? product.inboundAuth : []);
    if (c.nt && mechanisms.includes('NTLM')) {
      const ntlm: NtlmMechanismOptions = {
        // Read at each logon, so a changed NT build or account list applies to the next session.
        newSession: () => {
          const nt = server.config.nt ?? c.nt!;
          return new NtlmServerSession({
            ntDomain: nt.domain, serverName: hostName.split('.')[0].toUpperCase(), crypto: nt.crypto,
            lmCompatibility: nt.lmCompatibility, randomBytes: (n) => crypto.randomBytes(n),
            lookupAccount: (domain, user) => lookupAccount(server, domain, user),
          });
        },
        // The product's words for the exchange, read per session (a changed profile applies at once).
        replies: () => {
          const r = server.product.dialect.replies;
          return { ok: wire(r.authOk), failed: wire(r.authFailed), supported: wire(r.ntlmSupported) };
        },
        // The sealed layer is the lab's reconstruction (docs/ntlm.md): every product's receiving side
        // keeps the client's EHLO across it, so a sender that goes straight to MAIL (the IMS) and one
        // that re-EHLOs inside the layer both deliver.
        keepEhlo: () => true,
        onResult: (connection, result) => {
          if (result.ok && result.keys) this.#deps.onNtlmKeys(connection.remotePort, connection.localPort, result.keys);
        },
      };
      // Exchange 5.5 IMS took NTLM on the plain connection: the challenge/response is the protection.
      const login = mechanisms.includes('LOGIN');
      Object.assign(options, {
        authMethods: login ? ['NTLM', 'LOGIN'] : ['NTLM'], disabledCommands: [], allowInsecureAuth: true, ntlm,
        // AUTH LOGIN (the IMS offered it, KB Q262945) checks the same NT accounts: `DOMAIN\user` and password.
        ...(login ? { onAuth: ntAccountLogin(server) } : {}),
      });
    } else {
      Object.assign(options, { authMethods: [], disabledCommands: ['AUTH'] });
    }
    return options;
  }
}

/** smtp-server's onAuth for AUTH LOGIN against the NT accounts this server keeps for partners. */
function ntAccountLogin(server: MailServer): NonNullable<SMTPServerOptions['onAuth']> {
  return (auth, _session, callback) => {
    const [domain, user] = (auth.username ?? '').includes('\\') ? auth.username!.split('\\', 2) : ['', auth.username ?? ''];
    const account = auth.method === 'LOGIN' ? lookupAccount(server, domain, user) : undefined;
    if (!account || account.password !== auth.password) {
      const r = server.product.dialect.replies.authFailed;
      return callback(Object.assign(new Error(r.status ? `${r.status} ${r.text}` : r.text), { responseCode: r.code }));
    }
    callback(null, { user: `${domain || server.config.nt?.domain || ''}\\${user}` });
  };
}

/**
 * The account an AUTHENTICATE names, among the accounts this server keeps for partners. Exact
 * `DOMAIN\USER` first. A client that sends an empty domain, or this server's own domain (swaks
 * copies the server's TargetName there), gets the one account of that user name it keeps, if
 * there is exactly one — what an NT server with a trust to the partner's domain would resolve.
 * Disabled accounts never log on. See docs/ntlm.md.
 */
export function lookupAccount(server: MailServer, domain: string, user: string): { password: string } | undefined {
  const live = server.config.accounts.filter((a) => !a.disabled);
  const same = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();
  const exact = live.find((a) => same(a.domain, domain) && same(a.user, user));
  if (exact) return exact;
  if (domain === '' || (server.config.nt && same(domain, server.config.nt.domain))) {
    const byUser = live.filter((a) => same(a.user, user));
    if (byUser.length === 1) return byUser[0];
  }
  return undefined;
}
