/**
 * The Terminal tab's state: the listeners a session can reach, the open session, and its output.
 * Keys go to the engine through the contract (terminalSend) — one call per keystroke in character
 * mode, one per line in line mode; the renderer never holds a socket. Output arrives as
 * `terminal.output` events and is handed to whoever draws it (the xterm in TerminalPanel).
 */
import type { CertificateView, PostcardApi, TerminalSessionView, TerminalTargetView } from '../../app/api/contract.ts';

export type Mode = 'character' | 'line';

export class TerminalState {
  #api: PostcardApi;
  #sink: ((text: string) => void) | undefined;
  /** Output that came before a sink was attached (the panel mounts after the session opens). */
  #backlog: string[] = [];
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
    for (const text of this.#backlog.splice(0)) sink(text);
    return () => {
      if (this.#sink === sink) this.#sink = undefined;
    };
  }

  async open(): Promise<void> {
    if (!this.target) return;
    if (this.session && this.connected) await this.close();
    this.certificate = undefined;
    this.transcript = '';
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
    if (this.#sink) this.#sink(text);
    else this.#backlog.push(text);
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
    this.#backlog = [];
    this.error = undefined;
  }
}
