/**
 * Listeners on 127.0.0.1 only (docs/security.md: no listener of the lab is reachable from another
 * machine), on a port the kernel picks.
 */
import net from 'node:net';

/** Start `server` listening on 127.0.0.1; resolves with its port, rejects when it cannot listen. */
export async function listenLoopback(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** Stop listening and drop every socket still open (a relay's both sides); resolves once closed. */
export function closeListener(server: net.Server, sockets: Iterable<net.Socket>): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
}
