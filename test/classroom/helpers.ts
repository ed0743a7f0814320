// Drive a class as browsers would: start `postcard-lab classroom` (the real command, or the room
// and server in-process), read its links, and talk over real WebSockets with the page's Origin.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCENARIOS = path.join(ROOT, 'scenarios');

export interface Links {
  origin: string;
  port: number;
  code: string;
  trainerToken: string;
}

export interface RunningClass extends Links {
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Read the join and trainer links a class prints. */
export function parseLinks(out: string): Links | undefined {
  const join = /Join link \(for learners\): (http:\/\/[\d.]+:(\d+))\/#\/join\?code=([\w-]+)/.exec(out);
  const trainer = /Trainer link \(yours alone; shown once\): http:\/\/[\d.]+:\d+\/#\/board\?token=([\w-]+)/.exec(out);
  if (!join || !trainer) return undefined;
  return { origin: join[1], port: Number(join[2]), code: join[3], trainerToken: trainer[1] };
}

/** `postcard-lab classroom --listen 127.0.0.1:0 --no-qr …` as a trainer starts it. */
export function startClass(args: string[] = []): Promise<RunningClass> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'postcard-lab.mjs'), 'classroom', '--listen', '127.0.0.1:0', '--no-qr', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const stop = () => new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const links = /Press Ctrl\+C/.test(out) ? parseLinks(out) : undefined;
      if (links) resolve({ ...links, child, output: () => out, stop });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.once('exit', (code) => reject(new Error(`classroom exited with ${code} before printing its links:\n${out}`)));
  });
}

export interface Message {
  id?: number | string | null;
  ok?: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  event?: string;
  payload?: unknown;
}

/** A socket speaking the envelopes: `call` waits for the response of its own id; events are kept. */
export class Client {
  readonly events: Message[] = [];
  #seq = 0;
  #pending = new Map<number, (m: Message) => void>();
  #watchers: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Message;
      if (typeof m.id === 'number' && this.#pending.has(m.id)) {
        this.#pending.get(m.id)!(m);
        this.#pending.delete(m.id);
      } else if (m.event) {
        this.events.push(m);
        for (const w of [...this.#watchers]) w();
      }
    });
  }

  /** Send a command; the whole response (ok or not). */
  send(command: string, payload: unknown = {}): Promise<Message> {
    const id = ++this.#seq;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, command, payload }));
    });
  }

  /** Send a command that must succeed; its result. */
  async call<T = any>(command: string, payload: unknown = {}): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await this.send(command, payload);
    if (!r.ok) throw new Error(`${command}: ${r.error?.code}: ${r.error?.message}`);
    return r.result as T;
  }

  /** Resolves when `test` holds over the events seen so far (checked again on every event). */
  until(test: (events: Message[]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!test(this.events)) return;
        this.#watchers = this.#watchers.filter((w) => w !== check);
        resolve();
      };
      this.#watchers.push(check);
      check();
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Open `ws://127.0.0.1:P/ws?query` with the page's Origin (or the one given). */
export function connect(port: number, query: string, origin = `http://127.0.0.1:${port}`): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}`, { origin });
  ws.on('error', () => undefined);
  const client = new Client(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
  });
}

/** The HTTP status an upgrade is refused with, and its body (101 when it is accepted). */
export function upgrade(url: string, options: WebSocket.ClientOptions): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url, options);
  ws.on('error', () => undefined);
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

/** Join with a display name; the seat id and its token. */
export async function join(port: number, code: string, name: string): Promise<{ seat: string; token: string }> {
  const c = await connect(port, `join=${code}`);
  try {
    return await c.call('join', { name });
  } finally {
    c.close();
  }
}
