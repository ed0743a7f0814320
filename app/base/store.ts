/**
 * The durable workspace (SPEC §11 "Nothing accepted is lost"). Every write is atomic: the bytes go
 * to a temporary file in the same folder, are flushed to disk, then renamed over the target, so a
 * process killed at any instant leaves either the old file or the new one, never half of one.
 */
import fs from 'node:fs';
import path from 'node:path';

export class Workspace {
  readonly root: string;
  #seq = 0;

  constructor(root: string) {
    this.root = path.resolve(root);
    fs.mkdirSync(this.root, { recursive: true });
  }

  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  /** Write atomically: temp file + fsync + rename (+ fsync of the folder, so the rename survives). */
  write(rel: string, data: Buffer | string): void {
    const target = this.path(rel);
    const dir = path.dirname(target);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${this.#seq++}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  }

  writeJson(rel: string, value: unknown): void {
    this.write(rel, `${JSON.stringify(value, null, 2)}\n`);
  }

  read(rel: string): Buffer | undefined {
    try {
      return fs.readFileSync(this.path(rel));
    } catch {
      return undefined;
    }
  }

  readJson<T>(rel: string): T | undefined {
    const data = this.read(rel);
    if (!data) return undefined;
    try {
      return JSON.parse(data.toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Files in a folder (not temporary ones), sorted. */
  list(rel: string): string[] {
    try {
      return fs.readdirSync(this.path(rel)).filter((name) => !name.startsWith('.')).sort();
    } catch {
      return [];
    }
  }

  remove(rel: string): void {
    fs.rmSync(this.path(rel), { force: true });
  }
}
