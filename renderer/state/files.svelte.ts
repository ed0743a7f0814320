/**
 * Scenario files in the UI (docs/authoring.md): open a file or folder from disk, show `validate`'s
 * errors at their line and column, react when the open file changes on disk, recent files, and
 * save the running lab as a scenario. The text of a browser-picked file goes to the engine through
 * `openScenarioText`; the desktop app's native dialogs run in main (lib/desktop.ts).
 */
import type { OpenedFile, PostcardApi, ScenarioErrorView, ScenarioView } from '../../app/api/contract.ts';
import { desktopApi } from '../lib/desktop.ts';

/** A file that did not validate: its errors, and its lines to show each error in place. */
export interface FileProblem {
  file: string;
  errors: ScenarioErrorView[];
  lines: string[];
}

/** One file of a picked folder, with the engine's verdict. */
export interface CheckedFile {
  name: string;
  text: string;
  id?: string;
  title?: string;
  errors: ScenarioErrorView[];
}

/** The open file changed on disk: what the user is told, or asked. */
export type DiskNotice = { kind: 'story-updated'; file: string } | { kind: 'lab-changed'; file: string };

export class FileState {
  #api: PostcardApi;
  problem = $state.raw<FileProblem | undefined>(undefined);
  checked = $state.raw<CheckedFile[]>([]);
  recent = $state.raw<{ file: string; name: string }[]>([]);
  notice = $state.raw<DiskNotice | undefined>(undefined);
  busy = $state(false);
  error = $state<string | undefined>(undefined);
  /** The last recording offered for download (browser). */
  saved = $state<string | undefined>(undefined);
  readonly desktop = desktopApi();

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  /**
   * Open one file's text; the scenario when it validates (the caller starts its lab), else its
   * errors shown in place.
   */
  async openText(name: string, text: string): Promise<ScenarioView | undefined> {
    return this.#guard(async () => {
      const r = await this.#api.openScenarioText({ name, text });
      return this.#settle(r, text);
    });
  }

  /** Files from the picker or a drop: one opens; several (a folder) are checked and listed. */
  async openFiles(files: File[]): Promise<ScenarioView | undefined> {
    const yaml = files.filter((f) => /\.ya?ml$/i.test(f.name));
    if (yaml.length === 0) {
      this.error = files.length ? `${files.map((f) => f.name).join(', ')}: not a scenario file (.yaml or .yml)` : undefined;
      return undefined;
    }
    if (yaml.length === 1) return this.openText(yaml[0].name, await yaml[0].text());
    await this.#guard(async () => {
      const checked: CheckedFile[] = [];
      for (const f of yaml.sort((a, b) => a.name.localeCompare(b.name))) {
        const text = await f.text();
        const r = await this.#api.checkScenarioText({ name: f.name, text });
        checked.push({ name: f.name, text, id: r.id, title: r.title, errors: r.errors });
      }
      this.checked = checked;
    });
    return undefined;
  }

  async loadRecent(): Promise<void> {
    try {
      this.recent = (await this.#api.listRecent({})).files;
    } catch {
      this.recent = [];
    }
  }

  async openRecent(file: string): Promise<ScenarioView | undefined> {
    return this.#guard(async () => this.#settle(await this.#api.openRecent({ file }), undefined));
  }

  /** The file on disk changed in a way the lab cannot absorb: the user said yes. */
  async reloadAndRestart(): Promise<ScenarioView | undefined> {
    return this.#guard(async () => {
      this.notice = undefined;
      const r = await this.#api.reloadScenario({ restart: true });
      return this.#settle(r, undefined);
    });
  }

  /** A `scenario.file` event. */
  onFileEvent(payload: { status: string; file: string; errors?: ScenarioErrorView[] }): void {
    if (payload.status === 'invalid' && payload.errors) this.problem = { file: payload.file, errors: payload.errors, lines: [] };
    else if (payload.status === 'story-updated' || payload.status === 'lab-changed') this.notice = { kind: payload.status, file: payload.file };
    if (payload.status === 'opened' || payload.status === 'story-updated') this.problem = undefined;
  }

  /** Save the running lab as a scenario: a download in the browser, a native Save dialog on the desktop. */
  async saveLab(): Promise<void> {
    if (this.desktop) {
      await this.#guard(() => this.desktop!.run('save-lab'));
      return;
    }
    await this.#guard(async () => {
      const r = await this.#api.recordScenario({});
      const url = URL.createObjectURL(new Blob([r.yaml], { type: 'application/yaml' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = r.fileName;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.saved = `${r.fileName}: ${r.summary}`;
    });
  }

  dismiss(): void {
    this.problem = undefined;
    this.notice = undefined;
    this.error = undefined;
  }

  #settle(r: OpenedFile, text: string | undefined): ScenarioView | undefined {
    if (r.scenario) {
      this.problem = undefined;
      this.checked = [];
      void this.loadRecent();
      return r.scenario;
    }
    this.problem = { file: r.file, errors: r.errors, lines: text?.split(/\r?\n/) ?? [] };
    return undefined;
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = undefined;
    try {
      return await fn();
    } catch (error) {
      this.error = (error as Error).message;
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}
