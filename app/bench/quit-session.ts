/**
 * The smallest SMTP session there is, for the `sessions` figure: wait for the greeting, say QUIT,
 * read the goodbye. Sans-IO: replies in, lines out; `openAndQuit` is the socket adapter.
 *
 *   connect ─► 220 greeting ─► QUIT ─► 221 ─► close          (RFC 5321 §3.1, §4.1.1.10)
 */
import net from 'node:net';
import { ReplyParser, type Reply } from '../smtp/wire.ts';

export type QuitPhase = 'greeting' | 'quit' | 'done' | 'failed';

export type QuitEvent = { type: 'reply'; reply: Reply } | { type: 'protocol-error'; error: string } | { type: 'closed' };

export type QuitCommand = { type: 'send'; line: string } | { type: 'close' };

export class QuitSession {
  #phase: QuitPhase = 'greeting';
  #error: string | undefined;

  get phase(): QuitPhase { return this.#phase; }
  /** Why the session failed, once it has. */
  get error(): string | undefined { return this.#error; }

  handle(event: QuitEvent): QuitCommand[] {
    switch (this.#phase) {
      case 'done':
      case 'failed':
        return [];
      case 'greeting':
      case 'quit':
        break;
    }
    if (event.type === 'closed') return this.#fail(`connection closed while waiting for ${this.#phase === 'greeting' ? 'the greeting' : 'the reply to QUIT'}`);
    if (event.type === 'protocol-error') return this.#fail(event.error);
    const { code } = event.reply;
    if (this.#phase === 'greeting') {
      // RFC 5321 §3.1: 220 opens the session; 554 (or anything else) means no service here.
      if (code !== 220) return this.#fail(`greeting was ${code}`);
      this.#phase = 'quit';
      return [{ type: 'send', line: 'QUIT' }];
    }
    // RFC 5321 §4.1.1.10: QUIT is answered with 221, then the server closes.
    if (code !== 221) return this.#fail(`QUIT was answered with ${code}`);
    this.#phase = 'done';
    return [{ type: 'close' }];
  }

  #fail(error: string): QuitCommand[] {
    this.#phase = 'failed';
    this.#error = error;
    return [{ type: 'close' }];
  }
}

/** One session against 127.0.0.1:`port`; true when it got its 221. */
export function openAndQuit(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const session = new QuitSession();
    const parser = new ReplyParser();
    const socket = net.connect({ host: '127.0.0.1', port });
    const run = (event: QuitEvent) => {
      for (const command of session.handle(event)) {
        if (command.type === 'send') socket.write(`${command.line}\r\n`);
        else socket.destroy();
      }
      if (session.phase === 'done' || session.phase === 'failed') resolve(session.phase === 'done');
    };
    socket.on('data', (chunk: Buffer) => {
      const parsed = parser.push(chunk);
      for (const reply of parsed.replies) run({ type: 'reply', reply });
      if (parsed.error) run({ type: 'protocol-error', error: parsed.error });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => run({ type: 'closed' }));
  });
}
