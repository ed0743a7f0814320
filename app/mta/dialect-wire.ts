/**
 * Makes smtp-server speak a product's dialect (app/products/) on the wire. smtp-server keeps its
 * state machine — EHLO resets, the envelope, PIPELINING, STARTTLS's upgrade — and we replace only
 * its words, at the one place it writes a reply: `SMTPConnection.send`.
 *
 *   client ──► smtp-server _onCommand (verb noted) ──► handler_VERB ──► send(code, its own text)
 *                                                                         │ LIBRARY_TEXTS match?
 *                                                                         ▼
 *                                                     the product's reply (dialect.replies.*) ──► socket
 *
 * `LIBRARY_TEXTS` lists every smtp-server text (3.21.6) we replace. test/products/dialects.test.ts
 * checks each one is still in smtp-server's source and that every dialect reply reaches the wire,
 * so an upgrade that rewords the library fails a test instead of letting its words leak through.
 * Verbs smtp-server does not run, but a product advertises (ETRN, XEXCH50), and HELP and STARTTLS
 * without TLS get handlers of their own. docs/products.md describes the patch.
 */
import type { Dialect, EhloOffer, Said } from '../products/types.ts';
import { fill } from '../products/types.ts';

/** The private surface of smtp-server's connection this module relies on. */
export interface SpeakingConnection {
  send(code: number, data: string | string[], context?: unknown): void;
  _onCommand(command: Buffer, callback?: () => void): void;
  _nextHandler: unknown;
  _server: { options: { hideSTARTTLS?: boolean; size?: number } };
  session: { user?: unknown; envelope: { mailFrom?: { address: string; args?: Record<string, string> | false } | false; rcptTo: { address: string }[] } };
  name: string;
  clientHostname: string;
  secure: boolean;
  [handler: `handler_${string}`]: unknown;
}

/**
 * smtp-server's own texts that a dialect replaces: `code text` → which reply of the dialect.
 * (Its EHLO reply, an array, and its HELO reply, built from `heloResponse`, are matched by verb.)
 */
export const LIBRARY_TEXTS = {
  '250 Accepted@MAIL': 'mailOk',
  '250 Accepted@RCPT': 'rcptOk',
  '354 End data with <CR><LF>.<CR><LF>': 'data',
  '221 Bye': 'quit',
  '250 OK@NOOP': 'noop',
  '250 Flushed': 'rset',
  '214 See https://tools.ietf.org/html/rfc5321 for details': 'help',
  '500 Error: command not recognized': 'unknown',
  '220 Ready to start TLS': 'readyToStartTls',
} as const;

function toLines(said: Said | Said[]): { code: number; lines: string[] } {
  const all = Array.isArray(said) ? said : [said];
  return { code: all[0].code, lines: all.map((s) => (s.status ? `${s.status} ${s.text}` : s.text)) };
}

/** The features smtp-server built for EHLO, as facts the dialect words. */
function offerOf(features: string[], conn: SpeakingConnection): EhloOffer {
  const auth = features.find((f) => f.startsWith('AUTH '));
  return {
    starttls: features.includes('STARTTLS'),
    auth: auth ? auth.split(' ').slice(1) : [],
    requireTls: features.includes('REQUIRETLS'),
    size: conn._server.options.size ?? 0,
    authenticated: !!conn.session.user,
  };
}

/** Install the dialect on one connection. `dialect` is read per reply, so a changed profile applies at once. */
export function speak(conn: SpeakingConnection, dialect: () => Dialect): void {
  const send = conn.send.bind(conn);
  const onCommand = conn._onCommand.bind(conn);
  let verb = '';

  conn._onCommand = (command, callback) => {
    // A continuation line of AUTH is not a verb (smtp-server's own rule, _redactCredentials).
    if (!conn._nextHandler) verb = (command || '').toString().split(' ')[0].toUpperCase();
    onCommand(command, callback);
  };

  const translate = (code: number, data: string | string[], context: unknown): Said | Said[] | undefined => {
    const d = dialect();
    const r = d.replies;
    if (Array.isArray(data)) {
      // RFC 5321 §4.1.1.1: the EHLO reply, greeting line first, then one keyword per line.
      if (code !== 250 || verb !== 'EHLO') return undefined;
      const greeting = fill(d.ehloGreeting, conn.name, conn.clientHostname);
      return [greeting, ...d.ehlo(offerOf(data.slice(1), conn))].map((text) => ({ code: 250, text }));
    }
    if (code === 250 && verb === 'HELO' && context === false) return { code: 250, text: fill(d.heloGreeting, conn.name, conn.clientHostname) };
    // The text alone, or with the verb it answers; no helper closure: this runs for every reply.
    const text = `${code} ${data}`;
    const which = LIBRARY_TEXTS[`${text}@${verb}` as keyof typeof LIBRARY_TEXTS] ?? LIBRARY_TEXTS[text as keyof typeof LIBRARY_TEXTS];
    switch (which) {
      case 'mailOk': {
        const from = conn.session.envelope.mailFrom;
        const size = from && from.args ? Number(from.args.SIZE) : NaN;
        return Number.isSafeInteger(size) && size >= 0 ? r.mailOk(from ? from.address : '', size) : r.mailOk(from ? from.address : '');
      }
      case 'rcptOk':
        return r.rcptOk(conn.session.envelope.rcptTo.at(-1)?.address ?? '');
      case 'quit':
        return r.quit(conn.name);
      case 'unknown':
        return r.unknown(verb);
      case 'data':
      case 'noop':
      case 'rset':
      case 'help':
      case 'readyToStartTls':
        return r[which];
      case undefined:
        return undefined;
    }
  };

  conn.send = (code, data, context) => {
    const said = translate(code, data, context);
    if (!said) return send(code, data, context);
    const { code: c, lines } = toLines(said);
    send(c, lines.length === 1 ? lines[0] : lines, false);
  };

  // STARTTLS on a server that offers no TLS: smtp-server would run it anyway (hideSTARTTLS only
  // hides the keyword), with its built-in certificate. A product answers in its own words.
  const starttls = conn.handler_STARTTLS as (this: SpeakingConnection, command: Buffer, callback: () => void) => void;
  conn.handler_STARTTLS = function (this: SpeakingConnection, command: Buffer, callback: () => void) {
    if (this._server.options.hideSTARTTLS && !this.secure) {
      const { code, lines } = toLines(dialect().replies.starttlsNotOffered);
      send(code, lines[0], false);
      return callback();
    }
    return starttls.call(this, command, callback);
  };
  const reply = (pick: (d: Dialect) => Said | Said[] | undefined) => function (this: SpeakingConnection, _command: Buffer, callback: () => void) {
    const said = pick(dialect()) ?? dialect().replies.unknown(verb);
    const { code, lines } = toLines(said);
    send(code, lines.length === 1 ? lines[0] : lines, false);
    callback();
  };
  conn.handler_HELP = reply((d) => d.replies.help);
  // RFC 1985 ETRN and Exchange's XEXCH50: only products that advertise them answer them.
  conn.handler_ETRN = reply((d) => d.replies.etrn);
  conn.handler_XEXCH50 = reply((d) => d.replies.xexch50);
}
