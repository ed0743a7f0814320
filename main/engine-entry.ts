// The utilityProcess entry (built to out/main/engine.js): wait for main's hello with the session's
// options and the MessagePort, then serve the engine on it (engine-host.ts). No electron import:
// a utility process is plain Node plus `process.parentPort`.
import type { EngineHello } from './engine-client.ts';
import { serveEngine, type PortLike } from './engine-host.ts';
import { setRelayWorkerEntry } from '../app/path/relay-thread.ts';

// The lab's relay thread is bundled beside this file (main/build.ts).
setRelayWorkerEntry(new URL('./relay-worker.js', import.meta.url));

interface ParentPort {
  once(event: 'message', listener: (message: { data: unknown; ports: PortLike[] }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) {
  console.error('engine.js runs as an Electron utilityProcess (main/engine-client.ts), not on its own');
  process.exit(2);
}
parentPort.once('message', ({ data, ports }) => {
  const hello = data as EngineHello;
  if (hello?.type !== 'connect' || ports.length !== 1) {
    console.error('engine: the first message must be { type: "connect", options } with one port');
    process.exit(2);
  }
  serveEngine(ports[0], hello.options);
});
