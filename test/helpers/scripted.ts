/**
 * A scripted SMTP peer for cases no real server produces on demand (a 500 to AUTH, a CHALLENGE
 * without SEAL). It answers each command line with what `answer` returns; no lab code inside.
 */
import net from 'node:net';

export interface ScriptedServer {
  port: number;
  /** Every line the peer received. */
  lines: string[];
  close(): Promise<void>;
}

export async function scriptedSmtp(answer: (line: string, state: { inData: boolean }) => string | undefined, greeting = '220 scripted.example ESMTP'): Promise<ScriptedServer> {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(`${greeting}\r\n`);
    let buffer = '';
    const state = { inData: false };
    socket.on('data', (d) => {
      buffer += d.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        lines.push(line);
        if (state.inData) {
          if (line === '.') {
            state.inData = false;
            socket.write('250 2.0.0 accepted\r\n');
          }
          continue;
        }
        const reply = answer(line, state);
        if (reply === undefined) continue;
        socket.write(`${reply}\r\n`);
        if (/^221/.test(reply)) socket.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    lines,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
