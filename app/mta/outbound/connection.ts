/**
 * The thin socket adapter for one outbound SMTP session: it connects, feeds bytes to the reply
 * parser and events to the sans-IO session, and carries out the session's commands. The only
 * place where the sending side touches a socket.
 *
 *   net.Socket ──bytes──► ReplyParser ──reply──► SmtpClientSession ──commands──► socket writes,
 *                                                                     TLS upgrade, seal install
 *
 * It also anchors every transcript line in the TCP stream (`TranscriptLine.at`): the raw socket
 * counts the bytes that crossed it even after TLS or the seal took over (`bytesWritten`,
 * `bytesRead`), so a line sent starts at the count before its write, and a reply line received
 * in clear starts at its own offset; inside TLS or the seal, whose records hide the line, it is
 * the last byte received when the plaintext came out (the end of the record that carried it).
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
  /** Called with the local port as soon as it is known (the tap uses it to link keys to a capture). */
  onConnected?(localPort: number): void;
  /** The server accepted the message (the final 250 after DATA), before QUIT. */
  onAccepted?(): void;
}

export function runClientSession(session: SmtpClientSession, options: ConnectOptions): Promise<SessionResult> {
  return new Promise((resolve) => {
    const parser = new ReplyParser();
    let stream: Duplex;
    // TCP stream anchors (see the header): whether bytes read are the raw bytes (no TLS, no seal),
    // a generation bumped when the layer changes, where the line being read started, and where
    // the complete lines of the reply being read started.
    let clear = true;
    let generation = 0;
    let lineAt: number | undefined;
    let replyLines: number[] = [];
    let outCursor = 0;
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
    const dispatch = (event: ClientEvent, anchors: number[] = []) => {
      if (finished) return;
      const before = session.transcript.length;
      const commands = session.handle(event);
      // The reply's lines are the first ones the session logged for this event.
      anchors.forEach((offset, k) => {
        const line = session.transcript[before + k];
        if (line?.dir === 'in') line.at = { dir: 's2c', offset };
      });
      execute(commands);
      if (session.result) finish();
      else armTimer();
    };
    const execute = (commands: ClientCommand[]) => {
      for (const command of commands) {
        switch (command.type) {
          case 'send':
            anchorOut();
            stream.write(`${command.line}\r\n`);
            break;
          case 'send-message':
            anchorOut();
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
            newLayer();
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
      newLayer();
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
    /** The next line the session logged as sent starts at the raw stream's current length. */
    const anchorOut = () => {
      const lines = session.transcript;
      while (outCursor < lines.length && !(lines[outCursor].dir === 'out' && !lines[outCursor].at)) outCursor++;
      if (outCursor < lines.length) lines[outCursor++].at = { dir: 'c2s', offset: socket.bytesWritten };
    };
    const newLayer = () => {
      clear = false;
      generation++;
      lineAt = undefined;
      replyLines = [];
    };
    const onData = (chunk: Buffer) => {
      if (busy) return;
      const layer = generation;
      const end = socket.bytesRead;
      // Line by line, so each reply's lines have their offsets (the parser is fed the same bytes).
      for (let from = 0; from < chunk.length;) {
        // Once the handshake starts, whatever else came in cleartext is discarded (RFC 3207 §4.2,
        // CVE-2011-0411): a reply injected after `220` must not be read as if it came over TLS;
        // the same holds for bytes after `235` when the seal goes up.
        if (finished || busy || layer !== generation) return;
        const nl = chunk.indexOf(0x0a, from);
        const to = nl < 0 ? chunk.length : nl + 1;
        lineAt ??= clear ? end - (chunk.length - from) : end - 1;
        if (nl >= 0) {
          replyLines.push(lineAt);
          lineAt = undefined;
        }
        const parsed = parser.push(chunk.subarray(from, to));
        from = to;
        for (const reply of parsed.replies) {
          if (finished || busy) return;
          const anchors = replyLines.splice(0, reply.lines.length);
          dispatch({ type: 'reply', reply }, anchors);
        }
        if (parsed.error) {
          if (!busy) dispatch({ type: 'protocol-error', error: parsed.error });
          return;
        }
      }
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
    // The source port is known once Node has issued connect(2), a tick after net.connect for an
    // address (no lookup); 'connect' may never come: a relay whose host refused it resets the
    // connection at once, and under load that reset can arrive before Node reports the connect,
    // which then fails with ECONNRESET. The port still names the tapped connection that says why.
    let known = false;
    const noteLocalPort = () => {
      const port = socket.localPort;
      if (known || !port) return;
      known = true;
      options.onConnected?.(port);
    };
    process.nextTick(noteLocalPort);
    socket.once('connect', noteLocalPort);
    attach(socket);
    armTimer();
  });
}
