/**
 * The durable workspace (docs/lab.md, "Quality bars": nothing accepted is lost). Queues and mailboxes live in one
 * journal per organisation (app/base/journal.ts, group commit). The few other files (the lab
 * clock, caches) are written atomically: the bytes go to a temporary file in the same folder, are
 * flushed to disk, then renamed over the target, so a process killed at any instant leaves either
 * the old file or the new one, never half of one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Journal, flushStats, type JournalOptions, type JournalRecovery } from './journal.ts';

export interface WorkspaceRecovery {
  /** Leftovers of writes a killed process never finished (temporary files), removed on open. */
  removed: string[];
  /** What replaying each journal found (only journals with something to say). */
  journals: JournalRecovery[];
  /** Files that were there but could not be read as what they should be: ignored, and said so. */
  corrupt: { file: string; reason: string }[];
}

/** An absent file or folder is an answer (`undefined`, `[]`); any other failure to read is not. */
const absent = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

export class Workspace {
  readonly root: string;
  readonly recovery: WorkspaceRecovery = { removed: [], journals: [], corrupt: [] };
  #seq = 0;
  #journals = new Map<string, Journal>();
  #readOnly: boolean;

  /** `readOnly`: inspect a workspace another process may be using: no clean-up, no writes. */
  constructor(root: string, options: { readOnly?: boolean } = {}) {
    this.root = path.resolve(root);
    this.#readOnly = options.readOnly ?? false;
    if (this.#readOnly) return;
    fs.mkdirSync(this.root, { recursive: true });
    this.#removeOrphans(this.root);
  }

  /** Temporary files of atomic writes and compactions cut short by a kill: never renamed, never needed. */
  #removeOrphans(dir: string): void {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        this.#removeOrphans(full);
      } else if ((entry.name.startsWith('.') && entry.name.endsWith('.tmp')) || entry.name.endsWith('.log.compact')) {
        fs.rmSync(full, { force: true });
        this.recovery.removed.push(path.relative(this.root, full));
      }
    }
  }

  /** The organisation's journal, opened (and replayed, its tail cut if torn) on first use. */
  journal(org: string, options: JournalOptions = {}): Journal {
    let journal = this.#journals.get(org);
    if (!journal) {
      journal = new Journal(this.path('orgs', org, 'journal.log'), { ...options, readOnly: this.#readOnly });
      this.#journals.set(org, journal);
      const r = journal.recovery;
      if (r.cutBytes > 0 || r.compacted) this.recovery.journals.push(r);
    }
    return journal;
  }

  /** Flush and close every journal. */
  async close(): Promise<void> {
    await Promise.all([...this.#journals.values()].map((j) => j.close()));
    this.#journals.clear();
  }

  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  /** Write atomically: temp file + fsync + rename (+ fsync of the folder, so the rename survives). */
  write(rel: string, data: Buffer | string): void {
    if (this.#readOnly) throw new Error(`workspace ${this.root} is open read-only`);
    const target = this.path(rel);
    const dir = path.dirname(target);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${this.#seq++}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fs.fsyncSync(fd);
      flushStats.fsyncs++;
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
      flushStats.fsyncs++;
    } finally {
      fs.closeSync(dfd);
    }
  }

  writeJson(rel: string, value: unknown): void {
    this.write(rel, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** A file's bytes, or undefined when there is none. Fails, naming the file, when it is there but unreadable. */
  read(rel: string): Buffer | undefined {
    try {
      return fs.readFileSync(this.path(rel));
    } catch (error) {
      if (absent(error)) return undefined;
      throw new Error(`workspace ${this.root}: cannot read ${rel}: ${(error as Error).message}`);
    }
  }

  /**
   * A JSON file's value, or undefined when there is none. One that does not parse (a disk that
   * lied, a hand edit) is ignored and reported in `recovery.corrupt` — `postcard-lab up` prints it —
   * so the caller starts from its defaults knowingly, never from a silently dropped file.
   */
  readJson<T>(rel: string): T | undefined {
    const data = this.read(rel);
    if (!data) return undefined;
    try {
      return JSON.parse(data.toString('utf8')) as T;
    } catch (error) {
      this.recovery.corrupt.push({ file: rel, reason: `not JSON (${(error as Error).message})` });
      return undefined;
    }
  }

  /** Files in a folder (not temporary ones), sorted; [] when there is no such folder. Fails on one it cannot read. */
  list(rel: string): string[] {
    try {
      return fs.readdirSync(this.path(rel)).filter((name) => !name.startsWith('.')).sort();
    } catch (error) {
      if (absent(error)) return [];
      throw new Error(`workspace ${this.root}: cannot list ${rel}: ${(error as Error).message}`);
    }
  }

  remove(rel: string): void {
    fs.rmSync(this.path(rel), { force: true });
  }
}
