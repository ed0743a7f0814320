/**
 * The dissector registry: every dissector by name, the field table the display filter checks
 * names against, and the choice of the first dissector of a connection by the server's port.
 *
 * Every session handed out here is wrapped so that an exception — a bug, never expected, since
 * decoders return errors instead of throwing — ends that direction's dissection with a
 * malformed-PDU note rather than breaking the capture store.
 */
import type { Direction } from '../tap.ts';
import type { Dissector, FieldDef, Pdu, SessionContext, StreamDissector } from './types.ts';
import { field, node } from './types.ts';
import { smtpDissector } from './smtp.ts';
import { imfDissector } from './imf.ts';
import { TlsSession, tlsDissector } from './tls.ts';
import { ntlmsspDissector } from './ntlmssp.ts';
import { saslDissector } from './sasl.ts';
import { tcpipFields } from './tcpip.ts';

export const dissectors: readonly Dissector[] = [smtpDissector, imfDissector, tlsDissector, ntlmsspDissector, saslDissector];

const byName = new Map(dissectors.map((d) => [d.name, d]));

export function dissector(name: string): Dissector | undefined {
  return byName.get(name);
}

/** Every field name a filter may use, with its type (protocol names have type `none`). */
export const fieldTable: ReadonlyMap<string, FieldDef> = (() => {
  const table = new Map<string, FieldDef>();
  for (const f of tcpipFields) table.set(f.name, f);
  for (const d of dissectors) {
    table.set(d.name, { name: d.name, type: 'none', label: d.title });
    for (const f of d.fields) if (!table.has(f.name)) table.set(f.name, f);
  }
  table.set('_ws.malformed', { name: '_ws.malformed', type: 'string', label: 'Malformed Packet' });
  table.set('_ws', { name: '_ws', type: 'none', label: 'Wireshark internal' });
  return table;
})();

/** Ports that speak TLS from the first byte (RFC 8314 §3.3: submissions over implicit TLS). */
const IMPLICIT_TLS = new Set([465, 443, 993, 995]);

class Guarded implements StreamDissector {
  #broken: Record<Direction, boolean> = { c2s: false, s2c: false };
  constructor(readonly inner: StreamDissector, readonly depth: number) {}

  #call(dir: Direction, f: () => Pdu[]): Pdu[] {
    if (this.#broken[dir]) return [];
    try {
      return f();
    } catch (e) {
      this.#broken[dir] = true;
      const why = e instanceof Error ? e.message : String(e);
      return [{ layer: '_ws', protocol: 'TCP', info: '[Dissector error]', depth: this.depth, tree: node(`[Dissector error: ${why}]`, [field('_ws.malformed', why)]) }];
    }
  }

  feed(dir: Direction, bytes: Buffer, offset: number): Pdu[] {
    return this.#call(dir, () => this.inner.feed(dir, bytes, offset));
  }

  end(dir: Direction): Pdu[] {
    return this.#call(dir, () => this.inner.end(dir));
  }
}

/** The dissection of one TCP connection: SMTP (with STARTTLS, AUTH, sealing) or implicit TLS. */
export function openConnection(ctx: SessionContext): StreamDissector {
  const port = ctx.serverPort ?? 25;
  const session = IMPLICIT_TLS.has(port)
    ? new TlsSession(ctx, port === 465 ? () => smtpDissector.open({ ...ctx, depth: ctx.depth + 1 }) : undefined)
    : smtpDissector.open(ctx);
  return new Guarded(session, ctx.depth);
}
