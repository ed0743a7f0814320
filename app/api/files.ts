/**
 * Scenario files for the front-ends (docs/authoring.md): where the open scenario came from, the
 * watch that notices when its file changes on disk, and the recent-files list.
 *
 *   a file on disk (the scenarios folder, Electron's Open dialog, Open Recent)
 *        └─ watched: its folder, so an editor that saves by rename is still seen
 *   text the browser sent (file picker, drag and drop): no path, nothing to watch
 *
 * On a change the session is told the new text; it decides (app/api/session.ts): only the story or
 * title changed → keep the running lab; the lab or the steps changed → ask the user; the file no
 * longer validates → show the errors, keep what runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ScenarioError } from '../scenario/load.ts';
import type { ScenarioErrorView } from './contract.ts';

export const RECENT_LIMIT = 10;

export function errorView(e: ScenarioError): ScenarioErrorView {
  return { line: e.line, column: e.column, path: e.path, message: e.message };
}

/** Watches one file through its folder; calls `onText` with the new text when its content changes. */
export class FileWatch {
  readonly file: string;
  #text: string;
  #watcher?: fs.FSWatcher;

  constructor(file: string, text: string, onText: (text: string) => void) {
    this.file = file;
    this.#text = text;
    const base = path.basename(file);
    try {
      this.#watcher = fs.watch(path.dirname(file), { persistent: false }, (_event, name) => {
        if (name !== null && name !== base) return;
        let next: string;
        try {
          next = fs.readFileSync(file, 'utf8');
        } catch {
          return; // mid-rename or deleted: the next event (or none) decides
        }
        if (next === this.#text) return;
        this.#text = next;
        onText(next);
      });
      this.#watcher.on('error', () => this.close());
    } catch {
      this.#watcher = undefined; // a folder that cannot be watched: the file still opens
    }
  }

  /** The text last seen (and handed on). */
  get text(): string {
    return this.#text;
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}

/** Recently opened scenario files, newest first, kept in a JSON file when one is given. */
export class RecentFiles {
  #store?: string;
  #files: string[] = [];

  constructor(store?: string) {
    this.#store = store;
    if (!store) return;
    try {
      const saved: unknown = JSON.parse(fs.readFileSync(store, 'utf8'));
      if (Array.isArray(saved)) this.#files = saved.filter((f): f is string => typeof f === 'string' && path.isAbsolute(f)).slice(0, RECENT_LIMIT);
    } catch {
      this.#files = []; // none yet, or unreadable: start a new list
    }
  }

  list(): string[] {
    return [...this.#files];
  }

  has(file: string): boolean {
    return this.#files.includes(file);
  }

  add(file: string): void {
    this.#files = [file, ...this.#files.filter((f) => f !== file)].slice(0, RECENT_LIMIT);
    if (!this.#store) return;
    fs.mkdirSync(path.dirname(this.#store), { recursive: true });
    const tmp = `${this.#store}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.#files, null, 2)}\n`);
    fs.renameSync(tmp, this.#store);
  }
}
