/**
 * The lab's simulated DNS (docs/lab.md, "Hosts, addresses and DNS"). It holds MX, A, TXT and TLSA records and a DNSSEC state per
 * zone; it never asks a real resolver. Names compare case-insensitively without a trailing dot.
 */

export type RecordType = 'MX' | 'A' | 'TXT' | 'TLSA';
export type DnssecState = 'secure' | 'insecure' | 'bogus';

export interface DnsRecord {
  name: string;
  type: RecordType;
  /** MX: `10 mail.ntsol.example` or the host with `preference`; A: an address; TXT: the text; TLSA: `3 1 1 <hex>`. */
  value: string;
  preference?: number;
}

export interface MxHost {
  host: string;
  preference: number;
}

export type Lookup<T> = { ok: true; answers: T[]; dnssec: DnssecState } | { ok: false; error: 'NXDOMAIN' | 'NODATA' | 'SERVFAIL'; dnssec: DnssecState };

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

export class SimDns {
  #records: DnsRecord[] = [];
  #zones = new Map<string, DnssecState>();

  add(record: DnsRecord): void {
    const r = { ...record, name: norm(record.name) };
    if (r.type === 'MX' && r.preference === undefined) {
      const m = /^(\d+)\s+(\S+)$/.exec(r.value.trim());
      if (m) {
        r.preference = Number(m[1]);
        r.value = m[2];
      } else r.preference = 10;
    }
    if (r.type === 'MX') r.value = norm(r.value);
    this.#records.push(r);
  }

  /** Remove matching records (an `action` that strips a record); returns how many went. */
  remove(name: string, type: RecordType, value?: string): number {
    const before = this.#records.length;
    this.#records = this.#records.filter((r) => !(r.name === norm(name) && r.type === type && (value === undefined || r.value === value)));
    return before - this.#records.length;
  }

  setZoneState(zone: string, state: DnssecState): void {
    this.#zones.set(norm(zone), state);
  }

  /** DNSSEC state of the closest enclosing zone that has one; `insecure` by default. */
  zoneState(name: string): DnssecState {
    let n = norm(name);
    for (;;) {
      const state = this.#zones.get(n);
      if (state) return state;
      const dot = n.indexOf('.');
      if (dot < 0) return 'insecure';
      n = n.slice(dot + 1);
    }
  }

  records(): readonly DnsRecord[] {
    return this.#records;
  }

  #lookup(name: string, type: RecordType): Lookup<DnsRecord> {
    const n = norm(name);
    const dnssec = this.zoneState(n);
    // A bogus zone does not validate: a validating resolver answers SERVFAIL (RFC 4035 §5.5).
    if (dnssec === 'bogus') return { ok: false, error: 'SERVFAIL', dnssec };
    const atName = this.#records.filter((r) => r.name === n);
    if (atName.length === 0) return { ok: false, error: 'NXDOMAIN', dnssec };
    const answers = atName.filter((r) => r.type === type);
    if (answers.length === 0) return { ok: false, error: 'NODATA', dnssec };
    return { ok: true, answers, dnssec };
  }

  /** MX hosts by preference, lowest first; ties keep the order they were added (RFC 5321 §5.1). */
  mx(domain: string): Lookup<MxHost> {
    const r = this.#lookup(domain, 'MX');
    if (!r.ok) {
      // RFC 5321 §5.1: no MX but an address record → the domain itself is the implicit MX.
      if (r.error === 'NODATA' || r.error === 'NXDOMAIN') {
        const a = this.#lookup(domain, 'A');
        if (a.ok) return { ok: true, answers: [{ host: norm(domain), preference: 0 }], dnssec: a.dnssec };
      }
      return r;
    }
    const answers = r.answers
      .map((rec, i) => ({ host: rec.value, preference: rec.preference ?? 10, i }))
      .sort((a, b) => a.preference - b.preference || a.i - b.i)
      .map(({ host, preference }) => ({ host, preference }));
    return { ok: true, answers, dnssec: r.dnssec };
  }

  a(host: string): Lookup<string> {
    const r = this.#lookup(host, 'A');
    return r.ok ? { ok: true, answers: r.answers.map((x) => x.value), dnssec: r.dnssec } : r;
  }

  txt(name: string): Lookup<string> {
    const r = this.#lookup(name, 'TXT');
    return r.ok ? { ok: true, answers: r.answers.map((x) => x.value), dnssec: r.dnssec } : r;
  }

  /** TLSA records for an SMTP server: `_25._tcp.<host>` (RFC 7672 §2.2). */
  tlsa(host: string, port = 25): Lookup<string> {
    const r = this.#lookup(`_${port}._tcp.${norm(host)}`, 'TLSA');
    return r.ok ? { ok: true, answers: r.answers.map((x) => x.value), dnssec: r.dnssec } : r;
  }
}
