/**
 * A bare TCP relay, for the bench's reference figures (docs/bench.md, "The ceiling of one more
 * hop"): a listener on 127.0.0.1 that opens a second connection to `targetPort` for each client
 * and pipes the two sockets into each other. Nothing else: no taps, no pipeline, no bookkeeping.
 *
 * Every message between organisations crosses the lab's recording relay (docs/lab.md, "Paths and
 * capture points"), so part of what the lab costs is the hop itself: a second TCP connection, and
 * each chunk read and written once more. Measured through this relay in the same run, a baseline
 * shows what any relay written on Node's `net` module would cost, and so the best ratio a lab with
 * one relay per hop could reach — and how much of the rest is the lab's own.
 *
 * Like the lab's relay (app/path/relay.ts) it leaves Nagle's algorithm as the socket has it and
 * passes a FIN on as a FIN, keeping the other direction open (half-open sockets; `pipe` ends the
 * far side when the near one ends).
 */
import net from 'node:net';
import { closeListener, listenLoopback } from '../base/loopback.ts';

export interface PipeRelay {
  port: number;
  close(): Promise<void>;
}

export async function startPipeRelay(targetPort: number): Promise<PipeRelay> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    track(client);
    track(upstream);
    // A reset or a refused connection on one side takes the other down with it.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.end());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.on('error', () => undefined);
  const port = await listenLoopback(server);
  return { port, close: () => closeListener(server, sockets) };
}
