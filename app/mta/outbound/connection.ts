/**
 * The thin socket adapter for one outbound SMTP session: it connects, feeds bytes to the reply
 * parser and events to the sans-IO session, and carries out the session's commands. The only
 * place where the sending side touches a socket.
 *
 *   net.Socket ──bytes──► ReplyParser ──reply──► SmtpClientSession ──commands──► socket writes,
 *                                                                     TLS upgrade, seal install
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { ReplyParser } from '../../smtp/wire.ts';
import { SmtpClientSession, type ClientCommand, type ClientEvent, type SessionResult, type TlsInfo } from './client.ts';
import type { Timers } from '../../base/timers.ts';

/** How to turn the plain socket into a TLS one, and the sealed layer; supplied by the security plan. */
export interface StreamUpgrades {
  startTls?(socket: Duplex): Promise<{ stream: Duplex; info: TlsInfo }>;
  startSeal?(socket: Duplex): Duplex;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Idle timeout per read, real milliseconds (a lab setting). */
  timeoutMs: number;
  timers: Timers;
  upgrades?: StreamUpgrades;
  /** Called with the local port once connected (the tap uses it to link keys to a capture). */
  onConnected?(localPort: number): void;
  /** The server accepted the message (the final 250 after DATA), before QUIT. */
  onAccepted?(): void;
}

export function runClientSession(session: SmtpClientSession, options: ConnectOptions): Promise<SessionResult> {
  return new Promise((resolve) => {
    const parser = new ReplyParser();
    let stream: Duplex;
    let cancelTimer: (() => void) | undefined;
    let finished = false;
    let busy = false; // a TLS handshake is in progress: ignore the plain socket's events

    const finish = () => {
      if (finished) return;
      finished = true;
      cancelTimer?.();
      stream.destroy();
      resolve(session.result!);
    };
    const armTimer = () => {
      cancelTimer?.();
      cancelTimer = options.timers.setTimeout(() => dispatch({ type: 'timeout' }), options.timeoutMs);
    };
    const dispatch = (event: ClientEvent) => {
      if (finished) return;
      execute(session.handle(event));
      if (session.result) finish();
      else armTimer();
    };
    const execute = (commands: ClientCommand[]) => {
      for (const command of commands) {
        switch (command.type) {
          case 'send':
            stream.write(`${command.line}\r\n`);
            break;
          case 'send-message':
            stream.write(command.data);
            break;
          case 'close':
            stream.end();
            break;
          case 'accepted':
            options.onAccepted?.();
            break;
          case 'start-tls':
            upgradeTls();
            break;
          case 'start-seal': {
            const seal = options.upgrades?.startSeal;
            if (!seal) {
              queueMicrotask(() => dispatch({ type: 'protocol-error', error: 'no NTLM security layer available' }));
              break;
            }
            detach(stream);
            parser.reset();
            stream = seal(stream);
            attach(stream);
            queueMicrotask(() => dispatch({ type: 'seal-ready' }));
            break;
          }
        }
      }
    };
    const upgradeTls = () => {
      const start = options.upgrades?.startTls;
      if (!start) {
        queueMicrotask(() => dispatch({ type: 'tls-failed', reason: 'TLS is not available to this sender' }));
        return;
      }
      busy = true;
      detach(stream);
      // RFC 3207 §4.2 / CVE-2011-0411: nothing received in cleartext after 220 carries over.
      parser.reset();
      start(stream).then(
        ({ stream: tlsStream, info }) => {
          busy = false;
          stream = tlsStream;
          attach(stream);
          dispatch({ type: 'tls-ready', info });
        },
        (error: Error) => {
          busy = false;
          dispatch({ type: 'tls-failed', reason: error.message });
        },
      );
    };
    const onData = (chunk: Buffer) => {
      if (busy) return;
      const parsed = parser.push(chunk);
      for (const reply of parsed.replies) {
        // Once the handshake starts, whatever else came in cleartext is discarded (RFC 3207 §4.2,
        // CVE-2011-0411): a reply injected after `220` must not be read as if it came over TLS.
        if (finished || busy) return;
        dispatch({ type: 'reply', reply });
      }
      if (parsed.error && !busy) dispatch({ type: 'protocol-error', error: parsed.error });
    };
    const onClose = () => {
      if (!busy) dispatch({ type: 'closed' });
    };
    const onError = () => {
      /* 'close' follows every 'error' on a socket; the close carries the outcome */
    };
    const attach = (s: Duplex) => {
      s.on('data', onData);
      s.on('close', onClose);
      s.on('end', onClose);
      s.on('error', onError);
    };
    const detach = (s: Duplex) => {
      s.off('data', onData);
      s.off('close', onClose);
      s.off('end', onClose);
      // Keep swallowing errors of the old layer: the new one reports what matters.
    };

    const socket = net.connect({ host: options.host, port: options.port });
    stream = socket;
    socket.once('connect', () => options.onConnected?.(socket.localPort ?? 0));
    attach(socket);
    armTimer();
  });
}
