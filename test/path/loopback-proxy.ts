/**
 * A minimal socket adapter for tests: a TCP proxy on 127.0.0.1 port 0 that drives a Pipeline
 * between a real client and a real server. (The lab's own proxy, with taps and delays, is
 * app/path's relay; this one only proves the stages against real SMTP implementations.)
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Pipeline, PipelineOutput } from '../../app/path/pipeline.ts';

export interface TestProxy {
  port: number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number, makePipeline: () => Pipeline): Promise<TestProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    const pipeline = makePipeline();
    const carry = (outputs: PipelineOutput[]): void => {
      for (const o of outputs) {
        if (o.type === 'close') {
          client.destroy();
          upstream.destroy();
          return;
        }
        if (o.bytes.length > 0) (o.dir === 'c2s' ? upstream : client).write(o.bytes);
      }
    };
    carry(pipeline.open());
    client.on('data', (b) => carry(pipeline.push('c2s', b)));
    upstream.on('data', (b) => carry(pipeline.push('s2c', b)));
    client.on('end', () => { carry(pipeline.end('c2s')); upstream.end(); });
    upstream.on('end', () => { carry(pipeline.end('s2c')); client.end(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
