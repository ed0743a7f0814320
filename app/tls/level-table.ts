/**
 * The TLS security levels as data: one row per level, and the one place a level is added. What a
 * level does is in its row — whether it ever sends in cleartext, whether it always authenticates
 * the peer, what the handshake must prove — and the rest derives from the table: the decision
 * function (levels.ts `effectivePolicy`), the configuration schema's enum (app/config/schema.ts),
 * REQUIRETLS's choice of level (app/mta/plans/requiretls.ts) and the fail-closed column
 * (app/mta/security.ts). A level registered at run time (`registerTlsLevel`, as the extension
 * fixture in test/extension.test.ts does) is used by all of them. docs/tls.md, "Levels".
 *
 * A leaf: it imports nothing, so the renderer's contract types can reach it without Node.
 */

/** The names a certificate must carry: the MX host (Postfix `verify`), the recipient domain, or a name below it. */
export type NameMatch = 'mx-host' | 'nexthop' | 'dot-nexthop';

/** What the level asks of STARTTLS and the handshake. */
export type Verification =
  /** No TLS at all: STARTTLS is never attempted. */
  | { kind: 'none' }
  /** TLS when offered; cleartext otherwise, or on a new connection after a failed handshake. */
  | { kind: 'opportunistic' }
  /** TLS required, the certificate not checked. */
  | { kind: 'encrypt' }
  /** TLS required, the chain verified to a trusted root and naming one of `names`. */
  | { kind: 'names'; names: readonly NameMatch[] }
  /** DANE (RFC 7672): usable TLSA records authenticate; without any, `may` or refuse. */
  | { kind: 'dane'; withoutTlsa: 'may' | 'refuse' }
  /** The nexthop's MTA-STS policy (RFC 8461) decides. */
  | { kind: 'mta-sts' };

export interface TlsLevelSpec {
  name: string;
  /** One line for lists and forms. */
  description: string;
  /** Never a byte of the message in cleartext, whatever DNS says (docs/tls.md, the fail-closed column). */
  failsClosed: boolean;
  /** Always authenticates the peer (so REQUIRETLS, RFC 8689 §4.2, may use it as it is). */
  authenticates: boolean;
  verification: Verification;
}

const BUILT_IN = [
  { name: 'none', description: 'No TLS', failsClosed: false, authenticates: false, verification: { kind: 'none' } },
  { name: 'may', description: 'Opportunistic TLS: STARTTLS when offered, else cleartext', failsClosed: false, authenticates: false, verification: { kind: 'opportunistic' } },
  { name: 'encrypt', description: 'Mandatory TLS encryption; the certificate is not checked', failsClosed: true, authenticates: false, verification: { kind: 'encrypt' } },
  // Postfix smtp_tls_verify_cert_match default: the MX host name.
  { name: 'verify', description: 'Mandatory TLS; the certificate is verified and names the MX host', failsClosed: true, authenticates: true, verification: { kind: 'names', names: ['mx-host'] } },
  // Postfix smtp_tls_secure_cert_match default "nexthop, dot-nexthop": the recipient domain or a
  // name below it — never a name taken from (forgeable) MX records.
  { name: 'secure', description: 'Secure channel; the certificate names the recipient domain', failsClosed: true, authenticates: true, verification: { kind: 'names', names: ['nexthop', 'dot-nexthop'] } },
  // RFC 7672 §2.2: `dane` falls back to `may` where DANE does not apply; `dane-only` refuses.
  { name: 'dane', description: 'Opportunistic DANE TLS (TLSA records in a signed zone)', failsClosed: false, authenticates: false, verification: { kind: 'dane', withoutTlsa: 'may' } },
  { name: 'dane-only', description: 'Mandatory DANE TLS', failsClosed: true, authenticates: true, verification: { kind: 'dane', withoutTlsa: 'refuse' } },
  { name: 'mta-sts', description: "The partner's MTA-STS policy (RFC 8461)", failsClosed: false, authenticates: false, verification: { kind: 'mta-sts' } },
] as const satisfies readonly TlsLevelSpec[];

/** The built-in level names, `none` first. */
export const BUILT_IN_TLS_LEVELS = BUILT_IN.map((l) => l.name);
/** A built-in level's name. */
export type BuiltInTlsLevel = (typeof BUILT_IN)[number]['name'];
/** A level's name: a built-in one, or one registered at run time. */
export type TlsLevel = BuiltInTlsLevel | (string & {});

const table = new Map<string, TlsLevelSpec>(BUILT_IN.map((l) => [l.name, l]));

/**
 * Add a level to the table. Fails on a name already taken or a row whose flags contradict its
 * verification (a level cannot authenticate without verifying, nor fail closed while opportunistic).
 * Returns the function that removes it again.
 */
export function registerTlsLevel(spec: TlsLevelSpec): () => void {
  if (!/^[a-z][a-z0-9-]*$/.test(spec.name)) throw new Error(`TLS level name ${JSON.stringify(spec.name)}: lower-case letters, digits and dashes`);
  if (table.has(spec.name)) throw new Error(`TLS level ${spec.name} is already registered`);
  const k = spec.verification.kind;
  if (spec.authenticates && k !== 'names' && !(k === 'dane' && spec.verification.withoutTlsa === 'refuse')) {
    throw new Error(`TLS level ${spec.name}: authenticates needs a verification by names or dane-only DANE, not ${k}`);
  }
  if (spec.failsClosed && (k === 'none' || k === 'opportunistic' || k === 'mta-sts' || (k === 'dane' && spec.verification.withoutTlsa === 'may'))) {
    throw new Error(`TLS level ${spec.name}: a ${k} verification can fall back to cleartext, so it cannot fail closed`);
  }
  table.set(spec.name, spec);
  return () => {
    table.delete(spec.name);
  };
}

/** The row of a level, or undefined for a name nobody registered. */
export function tlsLevelSpec(name: string): TlsLevelSpec | undefined {
  return table.get(name);
}

/** Every level's name, built-in ones first, in registration order. */
export function tlsLevelNames(): string[] {
  return [...table.keys()];
}

export function isTlsLevel(name: unknown): name is TlsLevel {
  return typeof name === 'string' && table.has(name);
}

/** Levels REQUIRETLS may use as they are (RFC 8689 §4.2: TLS that authenticates, never cleartext). */
export function requireTlsLevels(): string[] {
  return [...table.values()].filter((l) => l.failsClosed && l.authenticates).map((l) => l.name);
}
