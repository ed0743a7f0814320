/**
 * A server's outbound queue (SPEC §3 "A deferred message stays in the queue…"). Entries live in
 * the workspace as `<id>.eml` + `<id>.json`, both written atomically before the `250` that accepted
 * them; a finished entry moves to `done/`. After a kill and restart, every entry that was queued,
 * deferred or in flight is queued again: nothing accepted is lost (a message may be sent twice if
 * the process died between the remote 250 and our record of it — SMTP's at-least-once, RFC 5321 §6.1).
 */
import type { Workspace } from '../base/store.ts';
import type { TranscriptLine, TlsInfo } from './outbound/client.ts';

export type QueueState = 'queued' | 'in-flight' | 'deferred' | 'delivered' | 'bounced';

export interface Attempt {
  /** Lab time the attempt started. */
  at: number;
  host?: string;
  conn?: string;
  result: 'delivered' | 'deferred' | 'bounced' | 'next-mx';
  reason?: string;
  /** The remote reply that decided it, e.g. `535 5.7.3 Authentication unsuccessful`. */
  diagnostic?: string;
  status?: string;
  tls?: Omit<TlsInfo, 'peerChainDer'>;
  sealed?: boolean;
  keyBits?: number;
  downgraded?: string;
  transcript: TranscriptLine[];
}

export interface QueueEntry {
  id: string;
  org: string;
  from: string;
  to: string[];
  /** The recipient domain this entry delivers to (one entry per domain). */
  domain: string;
  /** The scenario's message id (`m1`), when the message came from a `send` step. */
  ref?: string;
  state: QueueState;
  arrivedAt: number;
  nextAttemptAt?: number;
  lastError?: string;
  attempts: Attempt[];
  /** Recipients refused permanently while others were delivered. */
  refused?: { address: string; diagnostic: string; status: string }[];
  bounceId?: string;
  requireTls?: boolean;
}

export class QueueStore {
  #ws: Workspace;
  #dir: string;

  constructor(ws: Workspace, org: string) {
    this.#ws = ws;
    this.#dir = `orgs/${org}/queue`;
  }

  /** Persist message and entry; the message bytes first, so an entry never points at nothing. */
  add(entry: QueueEntry, message: Buffer): void {
    this.#ws.write(`${this.#dir}/${entry.id}.eml`, message);
    this.save(entry);
  }

  save(entry: QueueEntry): void {
    if (entry.state === 'delivered' || entry.state === 'bounced') {
      this.#ws.writeJson(`${this.#dir}/done/${entry.id}.json`, entry);
      this.#ws.remove(`${this.#dir}/${entry.id}.json`);
    } else {
      this.#ws.writeJson(`${this.#dir}/${entry.id}.json`, entry);
    }
  }

  message(id: string): Buffer | undefined {
    return this.#ws.read(`${this.#dir}/${id}.eml`);
  }

  /** Entries still to deliver, as left by a previous process. */
  pending(): QueueEntry[] {
    return this.#ws
      .list(this.#dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => this.#ws.readJson<QueueEntry>(`${this.#dir}/${f}`))
      .filter((e): e is QueueEntry => !!e && this.message(e.id) !== undefined);
  }

  finished(): QueueEntry[] {
    return this.#ws
      .list(`${this.#dir}/done`)
      .map((f) => this.#ws.readJson<QueueEntry>(`${this.#dir}/done/${f}`))
      .filter((e): e is QueueEntry => !!e);
  }
}
