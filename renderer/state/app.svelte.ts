/**
 * Composes the per-domain states and routes the engine's events to them. It holds no lab logic:
 * every change goes through the API, every view is refreshed from it.
 */
import type { EventMessage, PostcardApi } from '../../app/api/contract.ts';
import { LabState } from './lab.svelte.ts';
import { MailState } from './mail.svelte.ts';
import { ScenarioState } from './scenario.svelte.ts';
import { TranscriptState } from './transcript.svelte.ts';
import { CaptureState } from './capture.svelte.ts';
import { GridState } from './grid.svelte.ts';

export type Tab = 'topology' | 'queue' | 'mail' | 'transcript' | 'packets';

export class AppState {
  readonly scenario: ScenarioState;
  readonly lab: LabState;
  readonly mail: MailState;
  readonly transcript: TranscriptState;
  readonly capture: CaptureState;
  readonly grid: GridState;
  tab = $state<Tab>('topology');
  /** The compatibility grid replaces the main area while shown (it needs no scenario). */
  showGrid = $state(false);

  constructor(api: PostcardApi) {
    this.scenario = new ScenarioState(api);
    this.lab = new LabState(api);
    this.mail = new MailState(api);
    this.transcript = new TranscriptState(api);
    this.capture = new CaptureState(api);
    this.grid = new GridState(api);
    api.onEvent((event) => this.#route(event));
  }

  async start(): Promise<void> {
    await Promise.all([this.scenario.load(), this.lab.refresh()]);
  }

  async open(id: string): Promise<void> {
    this.mail.clear();
    this.transcript.clear();
    this.capture.clear();
    this.tab = 'topology';
    await this.scenario.open(id);
    await this.lab.refresh();
  }

  async restart(): Promise<void> {
    this.mail.clear();
    this.transcript.clear();
    this.capture.clear();
    await this.scenario.restart();
    await this.lab.refresh();
  }

  async toggleGrid(): Promise<void> {
    this.showGrid = !this.showGrid;
    if (this.showGrid) await this.grid.load();
  }

  async showTranscript(org: string, id: string): Promise<void> {
    this.tab = 'transcript';
    await this.transcript.show(org, id);
  }

  #route(event: EventMessage): void {
    switch (event.event) {
      case 'lab.event': {
        const e = event.payload;
        if (e.type === 'capture.changed') {
          // Only the packet view cares about new packets; the lab snapshot did not change.
          this.capture.onLabEvent();
          break;
        }
        if (e.type === 'mail.received') this.mail.onReceived(e.org, e.item.user);
        if (e.type !== 'mail.received' && e.type !== 'clock.advanced' && e.type !== 'lab.changed' && this.transcript.target?.id === e.entry.id) void this.transcript.reload();
        void this.lab.refresh();
        this.capture.onLabEvent();
        break;
      }
      case 'step.result':
        this.scenario.onStepResult(event.payload.result, event.payload.next);
        this.capture.onLabEvent();
        break;
      case 'session.changed':
        void this.lab.refresh();
        this.capture.onLabEvent();
        break;
      case 'grid.progressed':
        this.grid.onProgress(event.payload.done, event.payload.total, event.payload.cell);
        break;
      default: {
        const never: never = event;
        void never;
      }
    }
  }
}
