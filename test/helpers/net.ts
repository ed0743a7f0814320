/** Small socket helpers for tests: a line-oriented raw SMTP client on 127.0.0.1. */
import net from 'node:net';

export interface RawClient {
  socket: net.Socket;
  /** Resolves with the next complete reply (all lines up to the one with a space after the code). */
  reply(): Promise<string>;
  send(line: string): void;
  /** Everything received so far. */
  received(): string;
  closed: Promise<void>;
}

export function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffer = '';
    let all = '';
    let waiting: ((r: string) => void) | undefined;
    const pump = () => {
      if (!waiting) return;
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(buffer);
      if (!m) return;
      buffer = buffer.slice(m[0].length);
      const w = waiting;
      waiting = undefined;
      w(m[0].replace(/\r?\n$/, ''));
    };
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (d) => {
      buffer += d.toString('latin1');
      all += d.toString('latin1');
      pump();
    });
    socket.on('error', reject);
    socket.on('connect', () =>
      resolve({
        socket,
        reply: () => new Promise((r) => { waiting = r; pump(); }),
        send: (line) => socket.write(`${line}\r\n`),
        received: () => all,
        closed,
      }),
    );
  });
}

/** The next complete SMTP reply (its last line `ddd text`) on a plain or TLS socket, read as it arrives. */
export function nextReply(socket: net.Socket | import('node:tls').TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (b: Buffer) => {
      text += b.toString('latin1');
      if (/^\d{3} .*\r\n/m.test(text)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}
