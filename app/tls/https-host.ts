/**
 * The partner's `mta-sts.<domain>` web host (RFC 8461 §3.2) and the sender's policy fetch (§3.3).
 *
 * The host is a real HTTPS listener on 127.0.0.1, port 0, with a certificate from the lab PKI.
 * The fetch connects with `rejectUnauthorized: false` and judges the certificate itself, on the
 * LAB clock, against the lab trust store and the name `mta-sts.<domain>` (§3.3: "valid for the
 * mta-sts host … chain to a root CA that is trusted … non-expired"), before one byte of HTTP is
 * sent. Only a 200 with `text/plain` counts (§3.2, §3.3: redirects are not followed).
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { listenLoopback } from '../base/loopback.ts';
import { parseStsPolicy, type StsPolicy } from './mta-sts.ts';
import { collectServerKeyLog, peerChainDer } from './session.ts';
import type { Timers } from '../base/timers.ts';
import type { TlsRptResultType } from './tlsrpt.ts';
import { verifyChain } from './verify.ts';

export const POLICY_PATH = '/.well-known/mta-sts.txt';
/** §3.3: senders SHOULD limit the response size; 64 KiB is the RFC's suggestion. */
export const MAX_POLICY_BYTES = 64 * 1024;

/** A canned answer, to rehearse a policy host that misbehaves (a redirect, HTML, a 500). */
export interface CannedResponse {
  status: number;
  contentType?: string;
  body?: string;
  location?: string;
}

export interface MtaStsHostOptions {
  /** The host's certificate chain and key (PKI `issue('mta-sts.<domain>', variant)`). */
  chainPem: string;
  keyPem: string;
  /** The policy text served, or null for 404. */
  policy: string | null;
  /** NSS key log lines of every session the host accepts. */
  onKeyLog?: (line: string) => void;
}

export interface MtaStsHost {
  readonly port: number;
  /** Serve another policy (or none: 404). */
  setPolicy(text: string | null): void;
  /** Answer every policy request with this instead (null: back to the policy). */
  setCanned(response: CannedResponse | null): void;
  close(): Promise<void>;
}

export async function startMtaStsHost(options: MtaStsHostOptions): Promise<MtaStsHost> {
  let policy = options.policy;
  let canned: CannedResponse | null = null;
  const server = https.createServer({ cert: options.chainPem, key: options.keyPem }, (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== POLICY_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } else if (canned) {
      const headers: Record<string, string> = { 'content-type': canned.contentType ?? 'text/plain' };
      if (canned.location) headers.location = canned.location;
      res.writeHead(canned.status, headers).end(canned.body ?? '');
    } else if (policy === null) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no policy\n');
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(policy);
    }
  });
  if (options.onKeyLog) {
    const sink = options.onKeyLog;
    collectServerKeyLog(server, (line) => sink(line));
  }
  const port = await listenLoopback(server);
  return {
    port,
    setPolicy: (text) => {
      policy = text;
    },
    setCanned: (response) => {
      canned = response;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FetchErrorKind = 'connect' | 'tls' | 'certificate' | 'http' | 'http-status' | 'content-type' | 'too-large' | 'policy-invalid' | 'timeout';

export type FetchPolicyResult =
  | { ok: true; policy: StsPolicy; text: string }
  | { ok: false; error: FetchErrorKind; detail: string; resultType: TlsRptResultType };

export interface FetchPolicyOptions {
  host: string;
  port: number;
  /** `mta-sts.<policy domain>`: SNI, Host header and the name the certificate must carry. */
  servername: string;
  /** PEM trust store (the lab CA). */
  trust: readonly string[];
  /** Lab time, ms since epoch. */
  now: number;
  timer?: Timers;
  /** Real milliseconds; §3.3 suggests a minute. Needs `timer`. */
  timeoutMs?: number;
}

/** RFC 8460 §4.3.2.2: how each fetch failure is reported. */
function resultTypeOf(kind: FetchErrorKind): TlsRptResultType {
  switch (kind) {
    case 'certificate':
      return 'sts-webpki-invalid';
    case 'content-type':
    case 'policy-invalid':
      return 'sts-policy-invalid';
    case 'connect':
    case 'tls':
    case 'http':
    case 'http-status':
    case 'too-large':
    case 'timeout':
      return 'sts-policy-fetch-error';
  }
}

export function fetchPolicy(options: FetchPolicyOptions): Promise<FetchPolicyResult> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = tls.connect({ host: options.host, port: options.port, servername: options.servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const cancel = options.timer?.setTimeout(() => fail('timeout', 'no complete answer in time'), options.timeoutMs ?? 60_000);
    function finish(result: FetchPolicyResult): void {
      if (settled) return;
      settled = true;
      cancel?.();
      socket.destroy();
      resolve(result);
    }
    function fail(error: FetchErrorKind, detail: string): void {
      finish({ ok: false, error, detail, resultType: resultTypeOf(error) });
    }
    let tcpUp = false;
    let handshaken = false;
    let responding = false;
    socket.once('connect', () => (tcpUp = true));
    socket.on('error', (err) => fail(handshaken ? 'http' : tcpUp ? 'tls' : 'connect', err.message));
    // Once a response is being read, its own 'end' or 'error' settles the fetch.
    socket.once('close', () => responding || fail(handshaken ? 'http' : 'tls', 'connection closed'));
    socket.once('secureConnect', () => {
      handshaken = true;
      const check = verifyChain(peerChainDer(socket), { trust: options.trust, now: options.now, name: options.servername });
      if (!check.ok) return fail('certificate', `${check.reason}: ${check.detail}`);
      const req = http.request({
        createConnection: () => socket,
        method: 'GET',
        path: POLICY_PATH,
        headers: { host: options.servername, connection: 'close' },
      });
      req.on('error', (err) => fail('http', err.message));
      req.on('response', (res) => {
        responding = true;
        res.on('error', (err) => fail('http', err.message));
        res.on('close', () => res.complete || fail('http', 'connection closed before the whole policy arrived'));
        if (res.statusCode !== 200) return fail('http-status', `HTTP ${res.statusCode}${res.headers.location ? ` → ${res.headers.location} (not followed)` : ''}`);
        const type = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (type !== 'text/plain') return fail('content-type', `content type "${type}" is not text/plain`);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_POLICY_BYTES) return fail('too-large', `policy larger than ${MAX_POLICY_BYTES} bytes`);
          chunks.push(chunk);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed = parseStsPolicy(text);
          if (parsed.ok) finish({ ok: true, policy: parsed.value, text });
          else fail('policy-invalid', parsed.error);
        });
      });
      req.end();
    });
  });
}
