/**
 * MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file, MX pattern matching and the
 * sender's policy cache on the lab clock. Sans-IO: the HTTPS fetch is injected (https-host.ts).
 *
 * The lesson this module carries (RFC 8461 §5.1): a policy, once fetched, keeps protecting after an
 * attacker strips the TXT record or blocks the policy host, until its `max_age` runs out (§5.1).
 */

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsTxt {
  id: string;
  /** Unknown fields, kept for display (§3.1: senders ignore them). */
  extensions: Record<string, string>;
}

export interface StsPolicy {
  version: 'STSv1';
  mode: StsMode;
  /** Seconds, at most 31557600 (§3.2). */
  maxAge: number;
  mx: string[];
  /** The policy's lines as fetched (TLS-RPT's `policy-string`, RFC 8460 §4.4). */
  lines: string[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** §3.2: "maximum value of 31557600" (one year). Larger values are clamped, not rejected. */
export const MAX_AGE_LIMIT = 31_557_600;

const ID = /^[A-Za-z0-9]{1,32}$/;
const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;
// RFC 5321 §4.1.2 Domain: sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** One `_mta-sts` TXT string (§3.1 ABNF: `v=STSv1; id=…` with `*WSP ";" *WSP` delimiters). */
export function parseStsTxt(text: string): Parsed<StsTxt> {
  if (!text.startsWith('v=STSv1')) return { ok: false, error: 'does not begin with "v=STSv1"' };
  const fields = text.slice('v=STSv1'.length).split(/[ \t]*;[ \t]*/);
  // The split leaves "" before the first ";"; a trailing ";" leaves one "" at the end.
  if (fields[0] !== '') return { ok: false, error: 'v=STSv1 must be followed by ";"' };
  const rest = fields.slice(1);
  if (rest.length > 0 && rest[rest.length - 1] === '') rest.pop();
  let id: string | undefined;
  const extensions: Record<string, string> = {};
  for (const field of rest) {
    const eq = field.indexOf('=');
    const name = eq < 0 ? field : field.slice(0, eq);
    const value = eq < 0 ? '' : field.slice(eq + 1);
    if (name === 'id') {
      if (id !== undefined) return { ok: false, error: 'more than one id' };
      if (!ID.test(value)) return { ok: false, error: `id "${value}" is not 1-32 letters and digits` };
      id = value;
    } else if (EXT_NAME.test(name) && EXT_VALUE.test(value)) {
      extensions[name] = value;
    } else {
      return { ok: false, error: `malformed field "${field}"` };
    }
  }
  if (id === undefined) return { ok: false, error: 'no id' };
  return { ok: true, value: { id, extensions } };
}

/**
 * All TXT strings at `_mta-sts.<domain>` (§3.1): those not beginning with `v=STSv1` are discarded;
 * anything but exactly one valid record means "no available policy".
 */
export function selectStsTxt(records: readonly string[]): Parsed<StsTxt> {
  const sts = records.filter((r) => r.startsWith('v=STSv1'));
  if (sts.length === 0) return { ok: false, error: 'no v=STSv1 record' };
  if (sts.length > 1) return { ok: false, error: `${sts.length} v=STSv1 records` };
  return parseStsTxt(sts[0]);
}

/** The policy file (§3.2): `key: value` lines, LF or CRLF; field names and values case-sensitive. */
export function parseStsPolicy(text: string): Parsed<StsPolicy> {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  let version: string | undefined;
  let mode: string | undefined;
  let maxAge: string | undefined;
  const mx: string[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z0-9_.-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!m) return { ok: false, error: `malformed line "${line.slice(0, 80)}"` };
    const [, key, value] = m;
    // A repeated field counts once: the first one (only mx may repeat).
    if (key === 'version') version ??= value;
    else if (key === 'mode') mode ??= value;
    else if (key === 'max_age') maxAge ??= value;
    else if (key === 'mx') mx.push(value);
  }
  if (version !== 'STSv1') return { ok: false, error: version === undefined ? 'no version' : `unknown version "${version}"` };
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return { ok: false, error: mode === undefined ? 'no mode' : `unknown mode "${mode}"` };
  if (maxAge === undefined || !/^\d{1,10}$/.test(maxAge)) return { ok: false, error: maxAge === undefined ? 'no max_age' : `max_age "${maxAge}" is not 1-10 digits` };
  for (const pattern of mx) {
    const domain = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
    if (!DOMAIN.test(domain)) return { ok: false, error: `mx "${pattern}" is not a host name or *.domain pattern` };
  }
  if (mode !== 'none' && mx.length === 0) return { ok: false, error: 'no mx' };
  return {
    ok: true,
    value: { version, mode, maxAge: Math.min(Number(maxAge), MAX_AGE_LIMIT), mx: mx.map((p) => p.toLowerCase()), lines },
  };
}

/**
 * §4.1: exact match, or `*.` as the whole left-most label standing for exactly one label
 * (`*.example.com` matches `mx1.example.com`, not `example.com`, not `a.b.example.com`).
 */
export function mxMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return p === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

export function policyAllowsMx(policy: StsPolicy, host: string): boolean {
  return policy.mx.some((pattern) => mxMatches(pattern, host));
}

export interface CachedPolicy {
  domain: string;
  id: string;
  policy: StsPolicy;
  /** Lab time of the fetch, ms. */
  fetchedAt: number;
  expiresAt: number;
}

/** What a sender does next for a domain (§5.1), decided from DNS and the cache alone. */
export type CachePlan =
  | { action: 'use-cached'; entry: CachedPolicy; why: string }
  | { action: 'fetch'; id: string; fallback?: CachedPolicy }
  | { action: 'no-policy'; why: string };

export type FetchOutcome = { ok: true; policy: StsPolicy } | { ok: false; error: string };

export interface Resolution {
  /** The policy in force, if any (a `mode: none` policy is returned too; it enforces nothing). */
  policy?: StsPolicy;
  source: 'fetched' | 'cache' | 'none';
  /** Why no fresh policy was taken (a fetch error, a missing TXT record, …). */
  note?: string;
}

/**
 * The sender's cache, keyed by policy domain, timed on the lab clock (`now` in every call).
 *
 *   TXT valid, id = cached id, cache fresh  → use the cached policy (no fetch)
 *   TXT valid, id new or cache expired      → fetch; on failure, the fresh cached policy if any
 *   TXT missing or invalid                  → the fresh cached policy if any (§5.1), else none
 */
export class PolicyCache {
  #entries = new Map<string, CachedPolicy>();

  constructor(entries: readonly CachedPolicy[] = []) {
    for (const entry of entries) this.#entries.set(entry.domain, entry);
  }

  /** Entries for persistence (the lab workspace) and for the UI. */
  entries(): CachedPolicy[] {
    return [...this.#entries.values()];
  }

  /** The unexpired cached policy for `domain`. */
  lookup(domain: string, now: number): CachedPolicy | undefined {
    const entry = this.#entries.get(domain.toLowerCase());
    return entry && now < entry.expiresAt ? entry : undefined;
  }

  plan(domain: string, txtRecords: readonly string[] | undefined, now: number): CachePlan {
    const cached = this.lookup(domain, now);
    const txt = txtRecords ? selectStsTxt(txtRecords) : ({ ok: false, error: 'no TXT record' } as const);
    if (!txt.ok) {
      return cached
        ? { action: 'use-cached', entry: cached, why: `${txt.error}; cached policy applies until max_age` }
        : { action: 'no-policy', why: txt.error };
    }
    if (cached && cached.id === txt.value.id) return { action: 'use-cached', entry: cached, why: 'id unchanged' };
    return cached ? { action: 'fetch', id: txt.value.id, fallback: cached } : { action: 'fetch', id: txt.value.id };
  }

  store(domain: string, id: string, policy: StsPolicy, now: number): CachedPolicy {
    const entry: CachedPolicy = { domain: domain.toLowerCase(), id, policy, fetchedAt: now, expiresAt: now + policy.maxAge * 1000 };
    this.#entries.set(entry.domain, entry);
    return entry;
  }

  /** Plan, fetch when the plan says so, store, and say which policy is in force. */
  async resolve(
    domain: string,
    txtRecords: readonly string[] | undefined,
    now: number,
    fetch: () => Promise<FetchOutcome>,
  ): Promise<Resolution> {
    const plan = this.plan(domain, txtRecords, now);
    switch (plan.action) {
      case 'use-cached':
        return { policy: plan.entry.policy, source: 'cache', note: plan.why };
      case 'no-policy':
        return { source: 'none', note: plan.why };
      case 'fetch': {
        const fetched = await fetch();
        if (fetched.ok) return { policy: this.store(domain, plan.id, fetched.policy, now).policy, source: 'fetched' };
        // §5.1: a failed fetch falls back to a fresh cached policy, else to no policy at all.
        return plan.fallback
          ? { policy: plan.fallback.policy, source: 'cache', note: `fetch failed (${fetched.error}); cached policy applies` }
          : { source: 'none', note: `fetch failed: ${fetched.error}` };
      }
    }
  }
}
