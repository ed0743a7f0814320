/**
 * TLS records (RFC 8446 §5, RFC 5246 §6.2): content type, version, length; the hellos in clear;
 * and, only when "decrypt with lab keys" is on and the key log has the session, the protected
 * records opened (tls-crypto.ts) with their content handed to the layer above (SMTP after
 * STARTTLS). A record split across segments belongs to the segment that completes it.
 *
 * Protection starts after the ServerHello in TLS 1.3 (handshake traffic keys, then application
 * traffic keys after each side's Finished, §7.1) and after ChangeCipherSpec in TLS 1.2.
 */
import type { ConnectionKeys, Direction } from '../tap.ts';
import { RecordFramer } from './framing.ts';
import type { HeaderCheck } from './framing.ts';
import type { ByteRange, DetailNode, Dissector, FieldDef, Pdu, SessionContext, StreamDissector } from './types.ts';
import { field, hexPreview, node, retarget } from './types.ts';
import type { HelloFacts } from './tls-handshake.ts';
import { handshakeName, handshakeNode, splitHandshake } from './tls-handshake.ts';
import { ALERTS, CONTENT_TYPES, VERSION_COLUMN, VERSIONS, named } from './tls-names.ts';
import type { KeyLog, SuiteCrypto, TrafficKeys } from './tls-crypto.ts';
import { DECRYPTABLE, openTls12, openTls13, parseKeyLog, tls12Keys, tls13TrafficKeys } from './tls-crypto.ts';

export const tlsFields: FieldDef[] = [
  { name: 'tls.record', type: 'none', label: 'Record layer' },
  { name: 'tls.record.content_type', type: 'number', label: 'Content Type' },
  { name: 'tls.record.version', type: 'number', label: 'Version' },
  { name: 'tls.record.length', type: 'number', label: 'Length' },
  { name: 'tls.handshake.type', type: 'number', label: 'Handshake Type' },
  { name: 'tls.handshake.length', type: 'number', label: 'Length' },
  { name: 'tls.handshake.version', type: 'number', label: 'Version' },
  { name: 'tls.handshake.random', type: 'bytes', label: 'Random' },
  { name: 'tls.handshake.session_id', type: 'bytes', label: 'Session ID' },
  { name: 'tls.handshake.ciphersuite', type: 'number', label: 'Cipher Suite' },
  { name: 'tls.handshake.cipher_suites_length', type: 'number', label: 'Cipher Suites Length' },
  { name: 'tls.handshake.extension.type', type: 'number', label: 'Extension Type' },
  { name: 'tls.handshake.extension.len', type: 'number', label: 'Extension Length' },
  { name: 'tls.handshake.extensions_server_name', type: 'string', label: 'Server Name' },
  { name: 'tls.handshake.extensions.supported_version', type: 'number', label: 'Supported Version' },
  { name: 'tls.handshake.verify_data', type: 'bytes', label: 'Verify Data' },
  { name: 'tls.app_data', type: 'bytes', label: 'Encrypted Application Data' },
  { name: 'tls.alert_message.level', type: 'number', label: 'Alert Level' },
  { name: 'tls.alert_message.desc', type: 'number', label: 'Alert Description' },
  { name: 'tls.change_cipher_spec', type: 'none', label: 'Change Cipher Spec Message' },
  { name: 'tls.decrypted', type: 'boolean', label: 'Decrypted with lab keys' },
  { name: '_ws.malformed', type: 'string', label: 'Malformed packet' },
];

/** RFC 5246 §6.2.3: a protected record's fragment is at most 2^14 + 2048 bytes. */
const MAX_RECORD = 16384 + 2048;
const MAX_HANDSHAKE_BUFFER = 256 * 1024;
/** How many sequence numbers ahead a TLS 1.3 record may be tried, to step over unopened records. */
const MAX_RESYNC = 8;

/**
 * The 5-byte record header (RFC 5246 §6.2.1, RFC 8446 §5.1): a known content type (20-24), a
 * 3.x version and a length within bounds; anything else makes the rest of the direction opaque.
 */
function tlsHeader(header: Buffer): HeaderCheck {
  const type = header[0];
  const version = header.readUInt16BE(1);
  const length = header.readUInt16BE(3);
  if (type < 20 || type > 24 || version >> 8 !== 3 || length > MAX_RECORD) return { ok: false, why: 'not a TLS record' };
  return { ok: true, total: 5 + length };
}

interface DirState {
  framer: RecordFramer;
  hs: Buffer;
  /** Records in this direction are protected from now on. */
  encrypted: boolean;
  phase: 'handshake' | 'app';
  seq: bigint;
  /** Protected records seen in this direction (TLS 1.3), bounding the sequence numbers to try. */
  protectedSeen: number;
  innerOffset: number;
}

const freshDir = (): DirState => ({
  framer: new RecordFramer(5, tlsHeader), hs: Buffer.alloc(0), encrypted: false, phase: 'handshake', seq: 0n, protectedSeen: 0, innerOffset: 0,
});

export class TlsSession implements StreamDissector {
  readonly #ctx: SessionContext;
  readonly #innerFactory: (() => StreamDissector) | undefined;
  #inner: StreamDissector | undefined;
  #dirs: Record<Direction, DirState> = { c2s: freshDir(), s2c: freshDir() };
  #client: HelloFacts = {};
  #server: HelloFacts = {};
  #keyLog: KeyLog | undefined;
  #keyLogLines = 0;

  constructor(ctx: SessionContext, inner?: () => StreamDissector) {
    this.#ctx = ctx;
    this.#innerFactory = inner;
  }

  /** Negotiated version: supported_versions of the ServerHello, else its legacy version. */
  get #version(): number | undefined {
    return this.#server.version;
  }

  /** Before the ServerHello the record's own version names the column, as in tshark. */
  #recordVersion = 0x0303;

  get #column(): string {
    return VERSION_COLUMN[this.#version ?? this.#recordVersion] ?? 'TLS';
  }

  feed(dir: Direction, bytes: Buffer, offset: number): Pdu[] {
    const { frames, failure } = this.#dirs[dir].framer.push(bytes, offset);
    const out: Pdu[] = [];
    for (const f of frames) out.push(...this.#record(dir, f.bytes, f.range));
    // After the records before it, so the column names the version they set.
    if (failure) out.push(this.#pdu(node('Ignored Unknown Record', [field('_ws.malformed', failure.why)]), 'Ignored Unknown Record', failure.range));
    return out;
  }

  end(dir: Direction): Pdu[] {
    const out: Pdu[] = [];
    const rest = this.#dirs[dir].framer.end();
    if (rest) out.push(this.#pdu(node(`[Incomplete TLS record, ${rest.size} bytes]`), 'Incomplete record', rest.range));
    if (this.#inner) out.push(...this.#inner.end(dir).map((p) => ({ ...p, tree: retarget(p.tree, undefined) })));
    return out;
  }

  #pdu(tree: DetailNode, info: string, range: ByteRange, data?: Pdu['data']): Pdu {
    const t = { ...tree, byteRange: range };
    return data ? { layer: 'tls', protocol: this.#column, info, tree: t, depth: this.#ctx.depth, data } : { layer: 'tls', protocol: this.#column, info, tree: t, depth: this.#ctx.depth };
  }

  #record(dir: Direction, record: Buffer, range: ByteRange): Pdu[] {
    const d = this.#dirs[dir];
    const type = record[0];
    const version = record.readUInt16BE(1);
    this.#recordVersion = version;
    const body = record.subarray(5);
    const fields = [field('tls.record', true), field('tls.record.content_type', type), field('tls.record.version', version), field('tls.record.length', body.length)];
    const head = (what: string) => `${this.#column} Record Layer: ${what}`;
    const basics = [
      node(`Content Type: ${CONTENT_TYPES[type] ?? 'Unknown'} (${type})`),
      node(`Version: ${named(VERSIONS, version)}`),
      node(`Length: ${body.length}`),
    ];
    // TLS 1.3 protects everything after the ServerHello as type 23 (its CCS stays in clear);
    // TLS 1.2 protects every record after ChangeCipherSpec.
    const protectedRecord = d.encrypted && (this.#version === 0x0304 ? type === 23 : type !== 20);
    if (protectedRecord) return this.#protected(dir, record, range, fields, basics);
    switch (type) {
      case 22: {
        const { children, info } = this.#handshake(dir, body);
        return [this.#pdu(node(head(`Handshake Protocol: ${info}`), fields, [...basics, ...children]), info, range)];
      }
      case 20:
        if (this.#version !== 0x0304) {
          d.encrypted = true;
          d.seq = 0n;
        }
        return [this.#pdu(node(head('Change Cipher Spec Protocol'), [...fields, field('tls.change_cipher_spec', true)], basics), 'Change Cipher Spec', range)];
      case 21: {
        const { label, nodeOut } = alertNode(body);
        return [this.#pdu(node(head(`Alert (${label})`), fields, [...basics, nodeOut]), `Alert (${label})`, range)];
      }
      default:
        return [this.#pdu(node(head(CONTENT_TYPES[type] ?? 'Unknown'), [...fields, field('tls.app_data', body)], basics), CONTENT_TYPES[type] ?? 'Unknown Record', range)];
    }
  }

  #handshake(dir: Direction, body: Buffer): { children: DetailNode[]; info: string } {
    const d = this.#dirs[dir];
    d.hs = d.hs.length === 0 ? body : Buffer.concat([d.hs, body]);
    const { messages, rest } = splitHandshake(d.hs);
    d.hs = rest.length > MAX_HANDSHAKE_BUFFER ? Buffer.alloc(0) : Buffer.from(rest);
    const children: DetailNode[] = [];
    const names: string[] = [];
    for (const m of messages) {
      const facts: HelloFacts = {};
      children.push(handshakeNode(m, facts));
      names.push(handshakeName(m.type));
      if (m.type === 1 && dir === 'c2s') this.#client = facts;
      if (m.type === 2 && dir === 's2c') {
        this.#server = facts;
        if (facts.version === 0x0304) {
          // RFC 8446 §2: everything after the ServerHello is protected, both ways.
          this.#dirs.c2s.encrypted = true;
          this.#dirs.s2c.encrypted = true;
        }
      }
      if (m.type === 20 && this.#version === 0x0304 && d.phase === 'handshake') {
        // RFC 8446 §7.1: after its Finished a side switches to application traffic keys.
        d.phase = 'app';
        d.seq = 0n;
      }
    }
    if (rest.length > 0) names.push(messages.length > 0 ? 'Handshake fragment' : 'Encrypted Handshake Message');
    return { children, info: names.join(', ') };
  }

  #suite(): SuiteCrypto | undefined {
    return this.#server.suite === undefined ? undefined : DECRYPTABLE.get(this.#server.suite);
  }

  #trafficKeys(dir: Direction, phase: 'handshake' | 'app'): TrafficKeys | undefined {
    const keys: ConnectionKeys | undefined = this.#ctx.keys?.();
    const suite = this.#suite();
    if (!keys || !suite || !this.#client.random) return undefined;
    // Re-read the log when it grew: secrets are logged as the handshake goes.
    if (!this.#keyLog || this.#keyLogLines !== keys.tlsKeyLog.length) {
      this.#keyLog = parseKeyLog(keys.tlsKeyLog);
      this.#keyLogLines = keys.tlsKeyLog.length;
    }
    const entry = this.#keyLog.get(this.#client.random.toString('hex'));
    if (!entry) return undefined;
    if (this.#version === 0x0304) {
      const side = dir === 'c2s' ? 'CLIENT' : 'SERVER';
      const secret = entry.get(phase === 'handshake' ? `${side}_HANDSHAKE_TRAFFIC_SECRET` : `${side}_TRAFFIC_SECRET_0`);
      return secret ? tls13TrafficKeys(suite, secret) : undefined;
    }
    const master = entry.get('CLIENT_RANDOM');
    if (!master || !this.#server.random) return undefined;
    const both = tls12Keys(suite, master, this.#client.random, this.#server.random);
    return dir === 'c2s' ? both.client : both.server;
  }

  /** Try to open a protected record; in TLS 1.3 the phase decides which secret applies. */
  #open(dir: Direction, record: Buffer): { type: number; content: Buffer } | { error: string } {
    const d = this.#dirs[dir];
    const suite = this.#suite();
    if (!suite) return { error: 'cipher suite not supported for decryption' };
    const header = record.subarray(0, 5);
    const body = record.subarray(5);
    if (this.#version !== 0x0304) {
      const k = this.#trafficKeys(dir, 'app');
      if (!k) return { error: 'no master secret for this session in the key log' };
      const r = openTls12(suite, k, d.seq, record[0], record.readUInt16BE(1), body);
      if (!r.ok) return { error: r.error };
      d.seq++;
      return { type: record[0], content: r.plaintext };
    }
    d.protectedSeen++;
    const ak = this.#trafficKeys(dir, 'app');
    // Application records: the expected sequence number first, then a few more, so a record the
    // view could not open (keys logged late, a record missed) does not stall the rest (§5.3).
    const tryApp = (from: bigint, count: number) => {
      for (let i = 0; ak && i < count; i++) {
        const r = openTls13(suite, ak, from + BigInt(i), header, body);
        if (r.ok) {
          d.phase = 'app';
          d.seq = from + BigInt(i) + 1n;
          return r;
        }
      }
      return undefined;
    };
    if (d.phase === 'handshake') {
      const hk = this.#trafficKeys(dir, 'handshake');
      const r = hk ? openTls13(suite, hk, d.seq, header, body) : undefined;
      if (r?.ok) {
        d.seq++;
        return r;
      }
      // No handshake secret (or it does not fit): perhaps this is application data already.
      const a = tryApp(0n, Math.min(d.protectedSeen, MAX_RESYNC));
      if (a) return a;
      return { error: hk || ak ? 'authentication failed (wrong key or sequence number)' : 'no traffic secret for this session in the key log' };
    }
    if (!ak) return { error: 'no traffic secret for this session in the key log' };
    return tryApp(d.seq, MAX_RESYNC) ?? { error: 'authentication failed (wrong key or sequence number)' };
  }

  #protected(dir: Direction, record: Buffer, range: ByteRange, fields: ReturnType<typeof field>[], basics: DetailNode[]): Pdu[] {
    const body = record.subarray(5);
    // What an observer without keys can say (RFC 5246: a protected Finished still says type 22).
    const what = record[0] === 22 ? 'Encrypted Handshake Message' : record[0] === 21 ? 'Encrypted Alert' : 'Application Data';
    const label = `${this.#column} Record Layer: ${record[0] === 23 ? 'Application Data Protocol' : what}`;
    const cipher = node(`Encrypted Application Data: ${hexPreview(body)}`, [field('tls.app_data', body)]);
    if (!this.#ctx.decrypt) return [this.#pdu(node(label, fields, [...basics, cipher]), what, range)];
    const opened = this.#open(dir, record);
    if ('error' in opened) {
      return [this.#pdu(node(label, fields, [...basics, cipher, node(`[Not decrypted: ${opened.error}]`)]), what, range)];
    }
    const d = this.#dirs[dir];
    const decrypted = [...fields, field('tls.decrypted', true)];
    const innerType = CONTENT_TYPES[opened.type] ?? `Unknown (${opened.type})`;
    const data = { label: 'Decrypted TLS', bytes: opened.content, stream: opened.type === 23 };
    if (opened.type === 22) {
      const { children, info } = this.#handshake(dir, opened.content);
      return [this.#pdu(node(`${this.#column} Record Layer: Handshake Protocol (decrypted): ${info}`, decrypted, [...basics, cipher, ...children]), info, range, data)];
    }
    if (opened.type === 21) {
      const { label: what, nodeOut } = alertNode(opened.content);
      return [this.#pdu(node(`${this.#column} Record Layer: Alert (decrypted): ${what}`, decrypted, [...basics, cipher, nodeOut]), `Alert (${what})`, range, data)];
    }
    const out: Pdu[] = [this.#pdu(node(`${this.#column} Record Layer: ${innerType} (decrypted, ${opened.content.length} bytes)`, decrypted, [...basics, cipher]), innerType, range, data)];
    if (opened.type === 23 && this.#innerFactory) {
      this.#inner ??= this.#innerFactory();
      const inner = this.#inner.feed(dir, opened.content, d.innerOffset);
      d.innerOffset += opened.content.length;
      for (const p of inner) out.push({ ...p, tree: retarget(p.tree, range) });
    }
    return out;
  }
}

function alertNode(body: Buffer): { label: string; nodeOut: DetailNode } {
  if (body.length < 2) return { label: 'Encrypted Alert', nodeOut: node('Alert Message: Encrypted Alert') };
  const level = body[0] === 1 ? 'Warning' : body[0] === 2 ? 'Fatal' : `Unknown ${body[0]}`;
  const desc = ALERTS[body[1]] ?? `Unknown (${body[1]})`;
  const label = `Level: ${level}, Description: ${desc}`;
  return {
    label,
    nodeOut: node(`Alert Message`, [field('tls.alert_message.level', body[0]), field('tls.alert_message.desc', body[1])], [node(`Level: ${level} (${body[0]})`), node(`Description: ${desc} (${body[1]})`)]),
  };
}

export const tlsDissector: Dissector = {
  name: 'tls',
  title: 'Transport Layer Security',
  fields: tlsFields,
  // TLS first, nothing we read inside: HTTPS (MTA-STS policies) and the mail stores' implicit-TLS
  // ports, until a dissector claims them as its `implicitTls`.
  ports: { plain: [443, 993, 995] },
  open: (ctx) => new TlsSession(ctx),
};
