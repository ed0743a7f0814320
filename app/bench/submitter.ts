/**
 * A bare SMTP submitter for the load figures (app/bench/load.ts) and the kill tests: one connection, EHLO once, then MAIL/RCPT/DATA per
 * message, reporting each message's final reply. Small on purpose: the tests count exactly which
 * messages got `250`, and a connection that dies mid-message says so instead of retrying.
 */
import net from 'node:net';

export class Submitter {
  #socket: net.Socket;
  #buffer = '';
  #waiters: ((line: string | undefined) => void)[] = [];
  #lines: string[] = [];
  #closed = false;
  /** A message's data was sent and its reply has not come yet (a kill now lands mid-commit). */
  awaitingData = false;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let i;
      while ((i = this.#buffer.indexOf('\r\n')) >= 0) {
        const line = this.#buffer.slice(0, i);
        this.#buffer = this.#buffer.slice(i + 2);
        const w = this.#waiters.shift();
        if (w) w(line);
        else this.#lines.push(line);
      }
    });
    const end = () => {
      this.#closed = true;
      for (const w of this.#waiters.splice(0)) w(undefined);
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  static async open(port: number, helo = 'client.intellinet.example'): Promise<Submitter> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const s = new Submitter(socket);
    if (!(await s.#reply())?.startsWith('220')) throw new Error('no greeting');
    if (!(await s.#command(`EHLO ${helo}`))?.startsWith('250')) throw new Error('EHLO refused');
    return s;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #line(): Promise<string | undefined> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The last line of a (possibly multi-line) reply, or undefined when the connection died. */
  async #reply(): Promise<string | undefined> {
    for (;;) {
      const line = await this.#line();
      if (line === undefined || line[3] !== '-') return line;
    }
  }

  #command(line: string): Promise<string | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    this.#socket.write(`${line}\r\n`);
    return this.#reply();
  }

  /** Send one message; resolves with the final reply to its data, or undefined if the connection died. */
  async send(from: string, to: string, data: string): Promise<string | undefined> {
    for (const [line, ok] of [[`MAIL FROM:<${from}>`, '250'], [`RCPT TO:<${to}>`, '250'], ['DATA', '354']] as const) {
      const r = await this.#command(line);
      if (!r?.startsWith(ok)) return r;
    }
    this.awaitingData = true;
    this.#socket.write(`${data.replace(/\r?\n/g, '\r\n')}\r\n.\r\n`);
    const r = await this.#reply();
    this.awaitingData = false;
    return r;
  }

  close(): void {
    if (!this.#closed) this.#socket.end('QUIT\r\n');
  }
}
