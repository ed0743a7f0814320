/**
 * The dissector registry: every dissector by name, the field table the display filter checks
 * names against, and the choice of the first dissector of a connection by the ports each declares
 * (`Dissector.ports`; `registerDissector` adds one, as the fixture in test/extension.test.ts does).
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

const registered: Dissector[] = [smtpDissector, imfDissector, tlsDissector, ntlmsspDissector, saslDissector];

/** Every registered dissector, built-in ones first (the live list: a registration shows here). */
export const dissectors: readonly Dissector[] = registered;

export function dissector(name: string): Dissector | undefined {
  return registered.find((d) => d.name === name);
}

/**
 * Every field name a filter may use, with its type (protocol names have type `none`). One map,
 * rebuilt in place when a dissector is registered, so the filter's default table sees it.
 */
export const fieldTable: ReadonlyMap<string, FieldDef> = new Map<string, FieldDef>();

function rebuildFieldTable(): void {
  const table = fieldTable as Map<string, FieldDef>;
  table.clear();
  for (const f of tcpipFields) table.set(f.name, f);
  for (const d of registered) {
    table.set(d.name, { name: d.name, type: 'none', label: d.title });
    for (const f of d.fields) if (!table.has(f.name)) table.set(f.name, f);
  }
  table.set('_ws.malformed', { name: '_ws.malformed', type: 'string', label: 'Malformed Packet' });
  table.set('_ws', { name: '_ws', type: 'none', label: 'Wireshark internal' });
}
rebuildFieldTable();

/**
 * Add a dissector: its fields join the filter's table and its ports pick it for new connections.
 * Fails on a name taken, a port another dissector already claims the same way (an `implicitTls`
 * claim may take a port that TLS alone had: that is what "decode as" means), or a field name
 * another dissector defines with another type. Returns the function that removes it again.
 */
export function registerDissector(d: Dissector): () => void {
  if (registered.some((x) => x.name === d.name)) throw new Error(`dissector ${d.name} is already registered`);
  for (const kind of ['plain', 'implicitTls'] as const) {
    for (const port of d.ports?.[kind] ?? []) {
      const owner = registered.find((x) => x.ports?.[kind]?.includes(port));
      if (owner) throw new Error(`dissector ${d.name}: port ${port} (${kind}) is ${owner.name}'s`);
    }
  }
  for (const f of d.fields) {
    const known = fieldTable.get(f.name);
    if (known && known.type !== f.type) throw new Error(`dissector ${d.name}: field ${f.name} is already a ${known.type}, not a ${f.type}`);
  }
  registered.push(d);
  rebuildFieldTable();
  return () => {
    const at = registered.indexOf(d);
    if (at >= 0) registered.splice(at, 1);
    rebuildFieldTable();
  };
}

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

/**
 * The dissection of one TCP connection, by the server's port: a dissector that speaks inside TLS
 * there (TLS first, the dissector inside it), else the one that is first there, else SMTP (the
 * lab's connections are mail; a terminal session to any port reads as SMTP).
 */
export function openConnection(ctx: SessionContext): StreamDissector {
  const port = ctx.serverPort ?? 25;
  const inside = registered.find((d) => d.ports?.implicitTls?.includes(port));
  const session = inside
    ? new TlsSession(ctx, () => inside.open({ ...ctx, depth: ctx.depth + 1 }))
    : (registered.find((d) => d.ports?.plain?.includes(port)) ?? smtpDissector).open(ctx);
  return new Guarded(session, ctx.depth);
}
