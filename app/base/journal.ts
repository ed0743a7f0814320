/**
 * One organisation's durable store: an append-only journal with group commit (docs/decisions.md,
 * "Durable store: a journal per organisation").
 *
 * Every change to the queue or the mailboxes is one record appended to `orgs/<id>/journal.log`:
 *
 *   ┌ magic "PCJ1" ┬ payload length ┬ header length ┬ CRC-32 of payload ┬ header (JSON) ┬ body ┐
 *     4 octets       u32 BE           u32 BE          u32 BE                               (message bytes)
 *
 * An appended record is held in memory and written, with every other record of the same turn of
 * the event loop, by one `writev` at the end of that turn (the kernel's page cache: from there it
 * survives a killed process) — or earlier, just before a flush. A `commit()` resolves after the
 * `fdatasync` that covers it. Commits that arrive while a flush runs share the next one, so
 * concurrent messages pay one flush between them (group commit, as a database's transaction log
 * does). A server answers `250` only after `commit()` resolved, so nothing a client was told is
 * accepted can be among the records still in memory; the flush marker (`c`) is written at once,
 * before any waiter is released (docs/decisions.md, "Flush markers and duplicates after a crash").
 *
 * On open the journal is replayed: a record whose magic, length or checksum is wrong ends the
 * journal there (a torn or corrupt tail, from a crash in the middle of a write); the tail is cut
 * off and reported, never replayed as garbage. When most of the file is dead records (finished
 * queue entries' message copies, superseded entry states) it is compacted: the live records are
 * rewritten to a new file, flushed, and renamed over the old one.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** What the journal needs of a queue entry (app/mta/queue.ts owns the full shape). */
export interface QueueEntry {
  id: string;
  state: string;
  nextAttemptAt?: number;
  lastError?: string;
  /** Its delivery attempts, oldest first (a `u` record appends to them). */
  attempts: unknown[];
  refused?: unknown[];
  bounceId?: string;
}

/** What the journal needs of a mailbox item (app/mta/mailbox.ts owns the full shape). */
export interface MailboxItem {
  id: string;
  user: string;
}

const MAGIC = 0x50434a31; // "PCJ1"
const HEAD = 16;
/** Largest record accepted on replay: a corrupt length field must not make us read gigabytes. */
const MAX_RECORD = 1024 * 1024 * 1024;

/** What a record says. `n` is the server's id counter when it was written (ids never repeat). */
export type JournalRecord =
  | ({ k: 'q'; n: number; entry: QueueEntry } & Awaited) // a queued message; body: the message
  | { k: 'e'; n: number; entry: QueueEntry } // a queue entry's new state
  // A queue entry's attempts since its last record, from index `from` on, and its new state: a
  // deferred entry's record no longer repeats every earlier attempt and transcript (a message
  // retried for days once wrote hundreds of megabytes).
  | { k: 'u'; n: number; id: string; from: number; attempts: unknown[]; set: EntryChange }
  | { k: 'a'; n: number; id: string; at: number } // the remote server accepted the message (final 250 after DATA)
  | ({ k: 'm'; n: number; item: MailboxItem } & Awaited) // a message stored in a mailbox; body: the message
  | { k: 'c'; n: number; upto: number } // everything before offset `upto` is on disk (written after the flush)
  | { k: 'd'; n: number; id: string; user?: string }; // an unacknowledged copy discarded on recovery

/** The fields of a queue entry a delivery attempt changes; `null` clears one. */
export interface EntryChange {
  state: string;
  nextAttemptAt: number | null;
  lastError: string | null;
  refused: unknown[] | null;
  bounceId: string | null;
}

/**
 * A record an SMTP client is waiting for: its `250` goes out only after the flush, and the flush's
 * `c` record follows it in the file. Without one after it, the process died before the `250`.
 */
interface Awaited {
  w?: 1;
  /** The lab server and queue entry that sent it (when a lab server did), to reconcile on recovery. */
  src?: MessageSource;
}

export interface MessageSource {
  org: string;
  id: string;
}

/** A message record whose `250` never went out (no flush record after it). */
export interface Unacknowledged {
  kind: 'q' | 'm';
  id: string;
  user?: string;
  src?: MessageSource;
}

/** Where a body lies in the file. */
interface Loc {
  offset: number;
  length: number;
}

export interface JournalRecovery {
  file: string;
  records: number;
  /** Octets cut off the end: a torn or corrupt tail. */
  cutBytes: number;
  /** Why the tail was cut, when it was. */
  cutReason?: string;
  /**
   * The cut was not a record cut short at the end (a kill mid-write, or a write still in progress
   * for a reader) but bytes that are no record at all: a bad magic, checksum or header. What they
   * held is lost.
   */
  damaged?: boolean;
  /** The journal was rewritten with only its live records. */
  compacted?: { before: number; after: number };
}

/** Flushes to disk since the process started, across every journal and atomic write (for `bench`). */
export const flushStats = { fsyncs: 0 };

export interface JournalOptions {
  /** Open to look, never to change: no cut, no compaction, no writes (`postcard-lab queue`). */
  readOnly?: boolean;
  /** Compact when the file is at least this large and dead records are more than half of it. */
  compactAbove?: number;
}

export class Journal {
  readonly file: string;
  readonly recovery: JournalRecovery;
  /** The highest id counter any record carried. */
  counter = 0;
  readonly entries = new Map<string, { entry: QueueEntry; body?: Loc }>();
  readonly mailboxes = new Map<string, Map<string, { item: MailboxItem; body: Loc }>>();
  /** Records found on open whose sender never got its `250` (see `Awaited`). */
  unacknowledged: Unacknowledged[] = [];
  /** Lab senders of records whose `250` went out (or was about to: the flush marker is written first). */
  acknowledged: MessageSource[] = [];
  #pendingAck: (Unacknowledged & { offset: number })[] = [];
  #markerEnd = 0;
  #fd: number;
  /** Logical end of the journal: what is on the file plus the records still in `#pending`. */
  #size = 0;
  /** End of what is written to the file; `#pending` holds the frames from here to `#size`, in order. */
  #written = 0;
  #pending: Buffer[] = [];
  #writeScheduled = false;
  #synced = 0;
  #flushing = false;
  #waiters: { upto: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  #lazy: (() => void) | undefined;
  #readOnly: boolean;
  #closed = false;

  constructor(file: string, options: JournalOptions = {}) {
    this.file = file;
    this.#readOnly = options.readOnly ?? false;
    const existed = fs.existsSync(file);
    if (!existed && this.#readOnly) {
      this.#fd = -1;
      this.recovery = { file, records: 0, cutBytes: 0 };
      return;
    }
    if (!existed) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.closeSync(fs.openSync(file, 'a'));
      syncDir(path.dirname(file));
    }
    this.#fd = fs.openSync(file, this.#readOnly ? 'r' : 'r+');
    const replay = this.#replay();
    this.recovery = { file, records: replay.records, cutBytes: replay.size - replay.good, cutReason: replay.reason, ...(replay.damaged ? { damaged: true } : {}) };
    this.unacknowledged = this.#pendingAck.map(({ offset: _, ...u }) => u);
    this.#pendingAck = [];
    this.#size = replay.good;
    if (!this.#readOnly && replay.good < replay.size) {
      fs.ftruncateSync(this.#fd, replay.good);
      fs.fsyncSync(this.#fd);
      flushStats.fsyncs++;
    }
    this.#synced = this.#size;
    this.#written = this.#size;
    const compactAbove = options.compactAbove ?? 4 * 1024 * 1024;
    if (!this.#readOnly && this.#size >= compactAbove && replay.live * 2 < this.#size) {
      const before = this.#size;
      this.#compact();
      this.recovery.compacted = { before, after: this.#size };
    }
  }

  /** Read every record in order, indexing bodies by position; stop at the first bad one. */
  #replay(): { records: number; good: number; size: number; live: number; reason?: string; damaged?: boolean } {
    const size = fs.fstatSync(this.#fd).size;
    const head = Buffer.alloc(HEAD);
    let pos = 0;
    let records = 0;
    let reason: string | undefined;
    let damaged = false;
    while (pos < size) {
      if (size - pos < HEAD) {
        reason = `a record header cut short at offset ${pos}`;
        break;
      }
      fs.readSync(this.#fd, head, 0, HEAD, pos);
      const length = head.readUInt32BE(4);
      const headerLength = head.readUInt32BE(8);
      if (head.readUInt32BE(0) !== MAGIC || headerLength > length || length > MAX_RECORD) {
        reason = `no valid record at offset ${pos}`;
        damaged = true;
        break;
      }
      if (pos + HEAD + length > size) {
        reason = `a record of ${length} octets cut short at offset ${pos}`;
        break;
      }
      const payload = Buffer.alloc(length);
      fs.readSync(this.#fd, payload, 0, length, pos + HEAD);
      if (zlib.crc32(payload) !== head.readUInt32BE(12)) {
        reason = `checksum mismatch in the record at offset ${pos}`;
        damaged = true;
        break;
      }
      let record: JournalRecord;
      try {
        record = JSON.parse(payload.subarray(0, headerLength).toString('utf8')) as JournalRecord;
      } catch {
        reason = `unreadable record header at offset ${pos}`;
        damaged = true;
        break;
      }
      this.#index(record, { offset: pos + HEAD + headerLength, length: length - headerLength });
      if ((record.k === 'q' || record.k === 'm') && record.w) {
        this.#pendingAck.push({ kind: record.k, id: record.k === 'q' ? record.entry.id : record.item.id, user: record.k === 'm' ? record.item.user : undefined, src: record.src, offset: pos });
      } else if (record.k === 'c') {
        for (const r of this.#pendingAck) if (r.offset < record.upto && r.src) this.acknowledged.push(r.src);
        this.#pendingAck = this.#pendingAck.filter((r) => r.offset >= record.upto);
      }
      records++;
      pos += HEAD + length;
    }
    return { records, good: pos, size, live: this.#liveBytes(), reason, damaged };
  }

  #index(record: JournalRecord, body: Loc): void {
    this.counter = Math.max(this.counter, record.n);
    switch (record.k) {
      case 'q':
        this.entries.set(record.entry.id, { entry: record.entry, body });
        break;
      case 'e': {
        const known = this.entries.get(record.entry.id);
        const done = record.entry.state === 'delivered' || record.entry.state === 'bounced';
        this.entries.set(record.entry.id, { entry: record.entry, body: done ? undefined : known?.body });
        break;
      }
      case 'u': {
        const known = this.entries.get(record.id);
        if (!known) break;
        const e = known.entry;
        // On replay the entry holds the attempts recorded before; live, it already holds these.
        if (e.attempts.length !== record.from + record.attempts.length) {
          e.attempts.length = Math.min(e.attempts.length, record.from);
          e.attempts.push(...record.attempts);
        }
        const s = record.set;
        e.state = s.state;
        if (s.nextAttemptAt === null) delete e.nextAttemptAt;
        else e.nextAttemptAt = s.nextAttemptAt;
        if (s.lastError === null) delete e.lastError;
        else e.lastError = s.lastError;
        if (s.refused === null) delete e.refused;
        else e.refused = s.refused;
        if (s.bounceId === null) delete e.bounceId;
        else e.bounceId = s.bounceId;
        if (s.state === 'delivered' || s.state === 'bounced') known.body = undefined;
        break;
      }
      case 'a': {
        // The remote server took the message; the session's own record may not have followed.
        const known = this.entries.get(record.id);
        if (known && known.entry.state !== 'delivered' && known.entry.state !== 'bounced') {
          known.entry = { ...known.entry, state: 'delivered', nextAttemptAt: undefined, lastError: undefined };
          known.body = undefined;
        }
        break;
      }
      case 'm': {
        const user = record.item.user.toLowerCase();
        const box = this.mailboxes.get(user) ?? new Map();
        box.set(record.item.id, { item: record.item, body });
        this.mailboxes.set(user, box);
        break;
      }
      case 'd':
        if (record.user) this.mailboxes.get(record.user)?.delete(record.id);
        else this.entries.delete(record.id);
        break;
      case 'c':
        break;
    }
  }

  #liveBytes(): number {
    let n = 0;
    for (const { entry, body } of this.entries.values()) n += HEAD + 200 + JSON.stringify(entry).length + (body?.length ?? 0);
    for (const box of this.mailboxes.values()) for (const { item, body } of box.values()) n += HEAD + 200 + JSON.stringify(item).length + body.length;
    return n;
  }

  /** Rewrite only what is live, then swap the files (rename is atomic; the folder is flushed). */
  #compact(): void {
    const tmp = `${this.file}.compact`;
    const out = fs.openSync(tmp, 'w');
    let pos = 0;
    const put = (record: JournalRecord, body?: Buffer): Loc => {
      const frame = encode(record, body);
      fs.writeSync(out, frame);
      const loc = { offset: pos + frame.length - (body?.length ?? 0), length: body?.length ?? 0 };
      pos += frame.length;
      return loc;
    };
    const entries = [...this.entries.values()];
    for (const e of entries) e.body = e.body ? put({ k: 'q', n: this.counter, entry: e.entry }, this.readAt(e.body)) : (put({ k: 'e', n: this.counter, entry: e.entry }), undefined);
    for (const box of this.mailboxes.values()) for (const m of box.values()) m.body = put({ k: 'm', n: this.counter, item: m.item }, this.readAt(m.body));
    fs.fsyncSync(out);
    flushStats.fsyncs++;
    fs.closeSync(out);
    fs.closeSync(this.#fd);
    fs.renameSync(tmp, this.file);
    syncDir(path.dirname(this.file));
    this.#fd = fs.openSync(this.file, 'r+');
    this.#size = pos;
    this.#synced = pos;
    this.#written = pos;
  }

  /**
   * Append a record: in the file by the end of this turn of the event loop (or before the next
   * flush, if that comes first), durable after the next flush. Returns the body's place.
   */
  append(record: JournalRecord, body?: Buffer): Loc {
    if (this.#readOnly || this.#closed) throw new Error(`journal ${this.file} is ${this.#closed ? 'closed' : 'read-only'}`);
    this.counter = Math.max(this.counter, record.n);
    const frame = encode(record, body);
    this.#pending.push(frame);
    const loc = { offset: this.#size + frame.length - (body?.length ?? 0), length: body?.length ?? 0 };
    this.#size += frame.length;
    this.#index(record, loc);
    if (!this.#writeScheduled) {
      // One write per turn instead of one per record: the turn's records (a session's queue entry,
      // another's mailbox copy, a delivery's outcome) go down together. setImmediate runs after the
      // poll phase has run every I/O callback that was ready, so the batch is the whole turn.
      this.#writeScheduled = true;
      setImmediate(() => {
        this.#writeScheduled = false;
        if (this.#closed) return;
        try {
          this.#writePending();
        } catch {
          // Kept in memory; the next commit writes them again and its waiters hear of a failure.
        }
      });
    }
    return loc;
  }

  /**
   * Write every record still in memory, in order, at the end of the file. Throws when the write
   * fails; the records then stay in memory and the next write tries them again at the same offset.
   */
  #writePending(): void {
    if (this.#pending.length === 0) return;
    let chunks = this.#pending;
    let at = this.#written;
    while (chunks.length > 0) {
      // A short write (a full disk, a signal) leaves the rest for the next round, at its offset.
      let n = chunks.length === 1 ? fs.writeSync(this.#fd, chunks[0], 0, chunks[0].length, at) : fs.writevSync(this.#fd, chunks, at);
      if (n === 0) throw new Error(`no progress writing ${this.file} at offset ${at}`);
      at += n;
      this.#written = at;
      let i = 0;
      while (i < chunks.length && n >= chunks[i].length) n -= chunks[i++].length;
      chunks = i < chunks.length ? [chunks[i].subarray(n), ...chunks.slice(i + 1)] : [];
      this.#pending = chunks;
    }
  }

  /**
   * Discard a copy whose `250` never went out and that its sender will send again (recovery;
   * app/lab/lab.ts decides). Recorded, so the next replay agrees.
   */
  discard(u: Unacknowledged): void {
    this.append({ k: 'd', n: this.counter, id: u.id, ...(u.kind === 'm' ? { user: u.user } : {}) });
    this.unacknowledged = this.unacknowledged.filter((x) => x !== u);
  }

  /**
   * Resolves once everything appended so far is on disk. Callers that arrive while a flush runs
   * wait for the next one, which covers them all.
   */
  commit(): Promise<void> {
    const upto = this.#size;
    if (this.#synced >= upto) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ upto, resolve, reject });
      this.#kick();
    });
  }

  /**
   * Flush soon, with no one waiting: records whose loss costs at most a duplicate (a delivery's
   * outcome) ride on the next commit, or on this timer if none comes.
   */
  commitLazily(): void {
    if (this.#lazy || this.#closed) return;
    const handle = setTimeout(() => {
      this.#lazy = undefined;
      if (this.#size > this.#markerEnd) this.#kick();
    }, 50);
    handle.unref?.();
    this.#lazy = () => clearTimeout(handle);
  }

  #kick(): void {
    if (this.#flushing || this.#closed) return;
    this.#flushing = true;
    // Let the sessions whose data is already in this turn of the event loop append first.
    setImmediate(() => {
      const upto = this.#size;
      try {
        // The flush covers what is in the file: everything appended so far goes there first.
        this.#writePending();
      } catch (error) {
        this.#flushing = false;
        this.#release(error as Error);
        return;
      }
      fs.fdatasync(this.#fd, (error) => {
        flushStats.fsyncs++;
        this.#flushing = false;
        let failed: Error | null = error;
        if (!error && !this.#closed) {
          this.#synced = Math.max(this.#synced, upto);
          // Before any 250 goes out: say that the flush happened, in the file now (not at the end of
          // the turn). A record awaiting its 250 with no such marker after it was never acknowledged
          // (the process died first).
          this.append({ k: 'c', n: this.counter, upto });
          this.#markerEnd = this.#size;
          try {
            this.#writePending();
          } catch (e) {
            failed = e as Error;
          }
        }
        this.#release(failed);
      });
    });
  }

  /** After a flush: resolve the commits it covers (reject all on an error); kick the next for the rest. */
  #release(error: Error | null): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (error) w.reject(new Error(`flush of ${this.file} failed: ${error.message}`));
      else if (w.upto <= this.#synced) w.resolve();
      else this.#waiters.push(w);
    }
    if (this.#waiters.length > 0) this.#kick();
  }

  /** The body at a place in the file (a copy: from memory while its record waits to be written). */
  readAt(loc: Loc): Buffer {
    const buf = Buffer.alloc(loc.length);
    if (loc.length === 0) return buf;
    if (loc.offset >= this.#written) {
      let at = this.#written;
      for (const frame of this.#pending) {
        if (loc.offset < at + frame.length) {
          frame.copy(buf, 0, loc.offset - at, loc.offset - at + loc.length);
          return buf;
        }
        at += frame.length;
      }
    }
    fs.readSync(this.#fd, buf, 0, loc.length, loc.offset);
    return buf;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#size;
  }

  /** Flush what is left and close the file. */
  async close(): Promise<void> {
    if (this.#closed || this.#fd < 0) return;
    this.#lazy?.();
    if (!this.#readOnly) await this.commit();
    this.#closed = true;
    fs.closeSync(this.#fd);
  }
}

function encode(record: JournalRecord, body?: Buffer): Buffer {
  // The JSON goes straight into the frame (no Buffer of its own to copy from); the body is copied,
  // so the record cannot change after its checksum was taken.
  const json = JSON.stringify(record);
  const headerLength = Buffer.byteLength(json, 'utf8');
  const bodyLength = body?.length ?? 0;
  const frame = Buffer.allocUnsafe(HEAD + headerLength + bodyLength);
  frame.write(json, HEAD, 'utf8');
  if (body) body.copy(frame, HEAD + headerLength);
  const payload = frame.subarray(HEAD);
  frame.writeUInt32BE(MAGIC, 0);
  frame.writeUInt32BE(payload.length, 4);
  frame.writeUInt32BE(headerLength, 8);
  frame.writeUInt32BE(zlib.crc32(payload), 12);
  return frame;
}

function syncDir(dir: string): void {
  // Windows cannot open a folder to flush it; there the rename is as durable as NTFS makes it.
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
    flushStats.fsyncs++;
  } finally {
    fs.closeSync(fd);
  }
}
