/**
 * The Terminal tab's state: the listeners a session can reach, the open session, and its output.
 * Keys go to the engine through the contract (terminalSend) — one call per keystroke in character
 * mode, one per line in line mode; the renderer never holds a socket. Output arrives as
 * `terminal.output` events and is handed to whoever draws it (the xterm in TerminalPanel).
 */
import type { CertificateView, PostcardApi, TerminalSessionView, TerminalTargetView } from '../../app/api/contract.ts';

export type Mode = 'character' | 'line';

const SCREEN_KEPT = 100_000;

export class TerminalState {
  #api: PostcardApi;
  #sink: ((text: string) => void) | undefined;
  /**
   * All the terminal has shown — the sessions' output and the local echo of what was typed — so a
   * panel that mounts again (the tab left and reopened, "Show its packets" and back) draws the same
   * screen, and one that mounts after the session opened misses nothing. The newest SCREEN_KEPT
   * characters, cut at a line.
   */
  #screen = '';
  /** Line mode: the line typed so far, edited here and sent whole on Enter. */
  #line = '';
  #sending: Promise<unknown> = Promise.resolve();

  targets = $state.raw<TerminalTargetView[]>([]);
  target = $state<string | undefined>(undefined);
  mode = $state<Mode>('line');
  session = $state.raw<TerminalSessionView | undefined>(undefined);
  connected = $state(false);
  certificate = $state.raw<CertificateView | undefined>(undefined);
  /** Everything the session printed, for screen readers and tests (the xterm canvas is not text). */
  transcript = $state('');
  error = $state<string | undefined>(undefined);

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  async loadTargets(): Promise<void> {
    try {
      this.targets = (await this.#api.terminalTargets({})).targets;
      if (!this.target || !this.targets.some((t) => t.id === this.target)) this.target = this.targets[0]?.id;
      this.error = undefined;
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  /**
   * The lab started, stopped or was replaced: the listeners the list offers change with it. A list
   * loaded while no lab ran (the tab opened during a restart) would otherwise stay empty, with
   * "the lab is not running" under it, after the lab is up.
   */
  onSessionChanged(): void {
    if (!this.connected) void this.loadTargets();
  }

  attach(sink: (text: string) => void): () => void {
    this.#sink = sink;
    if (this.#screen) sink(this.#screen);
    return () => {
      if (this.#sink === sink) this.#sink = undefined;
    };
  }

  async open(): Promise<void> {
    if (!this.target) return;
    if (this.session && this.connected) await this.close();
    this.certificate = undefined;
    this.transcript = '';
    this.#line = '';
    try {
      this.session = await this.#api.terminalOpen({ target: this.target, mode: this.mode });
      this.connected = true;
      this.error = undefined;
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  /** Send what the user typed; calls are chained so keystrokes keep their order. */
  send(data: string): void {
    const s = this.session;
    if (!s || !this.connected) return;
    this.#sending = this.#sending.then(() => this.#api.terminalSend({ session: s.id, data })).catch((error: Error) => {
      this.error = error.message;
    });
  }

  async close(): Promise<void> {
    const s = this.session;
    if (!s || !this.connected) return;
    try {
      await this.#api.terminalClose({ session: s.id });
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  onOutput(session: string, text: string): void {
    if (session !== this.session?.id) return;
    this.transcript = (this.transcript + text).slice(-20_000);
    this.echo(text);
  }

  /**
   * A key from the xterm, in telnet's two modes: character mode sends each key at once (one
   * segment each), line mode edits the line here (Backspace; control keys ignored) and sends it
   * whole, with CR LF, on Enter. Either way the key is echoed, as telnet's local echo does.
   */
  key(data: string): void {
    if (!this.connected) return;
    const enter = data === '\r';
    if (this.mode === 'character') {
      this.echo(enter ? '\r\n' : data === '\x7f' ? '\b \b' : data);
      this.send(enter ? '\r\n' : data);
    } else if (enter) {
      this.echo('\r\n');
      this.send(`${this.#line}\r\n`);
      this.#line = '';
    } else if (data === '\x7f') {
      if (!this.#line) return;
      this.#line = this.#line.slice(0, -1);
      this.echo('\b \b');
    } else if (!/[\x00-\x1f]/.test(data)) {
      this.#line += data;
      this.echo(data);
    }
  }

  /** Show `text` on the terminal (the local echo of a key, and every output). */
  echo(text: string): void {
    this.#screen += text;
    if (this.#screen.length > SCREEN_KEPT) {
      const cut = this.#screen.indexOf('\n', this.#screen.length - SCREEN_KEPT);
      this.#screen = cut < 0 ? '' : this.#screen.slice(cut + 1);
    }
    this.#sink?.(text);
  }

  onTls(session: string, certificate: CertificateView): void {
    if (session === this.session?.id) this.certificate = certificate;
  }

  onClosed(session: string, reason: string): void {
    if (session !== this.session?.id) return;
    this.connected = false;
    this.onOutput(session, `\r\n[connection ended: ${reason}]\r\n`);
  }

  clear(): void {
    this.session = undefined;
    this.connected = false;
    this.certificate = undefined;
    this.transcript = '';
    this.targets = [];
    this.target = undefined;
    this.#screen = '';
    this.#line = '';
    this.error = undefined;
  }
}
