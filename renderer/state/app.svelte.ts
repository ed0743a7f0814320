/**
 * Composes the per-domain states and routes the engine's events to them. It holds no lab logic:
 * every change goes through the API, every view is refreshed from it.
 */
import type { EventMessage, PostcardApi, ScenarioView, SessionTranscriptView } from '../../app/api/contract.ts';
import type { MenuAction } from '../lib/desktop.ts';
import { FileState } from './files.svelte.ts';
import { LabState } from './lab.svelte.ts';
import { MailState } from './mail.svelte.ts';
import { ScenarioState } from './scenario.svelte.ts';
import { TranscriptState, type TranscriptFocus } from './transcript.svelte.ts';
import { CaptureState } from './capture.svelte.ts';
import { TopologyState } from './topology.svelte.ts';
import { FirewallState, LogsState } from './firewall.svelte.ts';
import { TerminalState } from './terminal.svelte.ts';
import { ThemeState } from './theme.svelte.ts';
import type { Place } from '../lib/place.ts';
import { GridState } from './grid.svelte.ts';

export type Tab = 'topology' | 'queue' | 'mail' | 'transcript' | 'packets' | 'rehearse' | 'terminal' | 'firewall' | 'logs';
/** The desktop menu's tab items (main/channels.ts `MENU_ACTIONS`), one per tab: a compile error otherwise. */
type TabAction = Extract<MenuAction, `tab:${string}`>;
type MenuTab = TabAction extends `tab:${infer T}` ? T : never;
const everyTabInTheMenu: [Tab] extends [MenuTab] ? ([MenuTab] extends [Tab] ? true : false) : false = true;
void everyTabInTheMenu;
const isTabAction = (action: MenuAction): action is TabAction => action.startsWith('tab:');

export class AppState {
  readonly scenario: ScenarioState;
  readonly lab: LabState;
  readonly mail: MailState;
  readonly transcript: TranscriptState;
  readonly capture: CaptureState;
  readonly topology: TopologyState;
  readonly firewall: FirewallState;
  readonly logs: LogsState;
  readonly terminal: TerminalState;
  readonly theme: ThemeState;
  readonly files: FileState;
  tab = $state<Tab>('topology');
  /** The story column is shown; off, the views take the whole width (a wide packet list on a small screen). */
  showStory = $state(true);
  readonly grid: GridState;
  /** The compatibility grid replaces the main area while shown (it needs no scenario). */
  showGrid = $state(false);
  /**
   * A lab is being started (open, restart, a file): the status says so until the new lab answers,
   * rather than "Lab running" for the lab it replaces while that one is stopped and the new one built.
   */
  starting = $state(false);
  /**
   * Why the page's lab is gone for good (a classroom seat the trainer freed): the status says
   * "Lab closed" and the controls that would reach the lab are off (docs/classroom.md).
   */
  closed = $state<string | undefined>(undefined);

  /** `theme`: the page's own, when this state is one view among others (a seat on the class board). */
  constructor(api: PostcardApi, theme?: ThemeState) {
    this.theme = theme ?? new ThemeState();
    this.scenario = new ScenarioState(api);
    this.lab = new LabState(api);
    this.mail = new MailState(api);
    this.transcript = new TranscriptState(api);
    this.capture = new CaptureState(api);
    this.topology = new TopologyState(api);
    this.firewall = new FirewallState(api);
    this.logs = new LogsState(api);
    this.terminal = new TerminalState(api);
    this.files = new FileState(api);
    this.grid = new GridState(api);
    api.onEvent((event) => this.#route(event));
    this.files.desktop?.onMenu((action) => void this.menu(action));
  }

  /**
   * First load, or a reload: the session may already hold the running scenario the address names
   * (it outlives the page), so resume it; otherwise open that scenario (renderer/lib/place.ts).
   */
  async start(place: Place = {}): Promise<void> {
    await Promise.all([this.scenario.load(), this.lab.refresh(), this.files.loadRecent()]);
    // Only the address that names the scenario resumes it (a reload, a bookmark); a bare address shows the list.
    if (place.scenario && await this.scenario.resume(place.scenario)) {
      await this.lab.refresh();
      this.capture.onLabEvent();
      return;
    }
    if (place.scenario && this.scenario.list.some((s) => s.id === place.scenario && !s.errors)) await this.open(place.scenario);
  }

  /** View ▸ Toggle Dark Theme and the File bar's button: the other of light and dark, remembered. */
  toggleTheme(): void {
    this.theme.set(this.theme.effective === 'dark' ? 'light' : 'dark');
  }

  /** A scenario opened from a file (picker, drop, recent, the desktop menu): show it, start its lab. */
  async openedFile(view: ScenarioView | undefined): Promise<void> {
    if (view) await this.#fresh(() => this.scenario.adopt(view));
  }

  /** Everything that showed the old lab. */
  #clearViews(): void {
    this.mail.clear();
    this.transcript.clear();
    this.capture.clear();
    this.topology.clear();
    this.firewall.clear();
    this.logs.clear();
    this.terminal.clear();
  }

  /** Another lab is about to run: the views of the old one go, the topology shows first. */
  async #fresh(start: () => Promise<void>): Promise<void> {
    this.#clearViews();
    this.tab = 'topology';
    await this.#starting(async () => {
      await start();
      await this.lab.refresh();
    });
  }

  async #starting(fn: () => Promise<void>): Promise<void> {
    this.starting = true;
    try {
      await fn();
    } finally {
      this.starting = false;
    }
  }

  /** The desktop menu's page actions: the same code as the buttons. */
  async menu(action: MenuAction): Promise<void> {
    if (isTabAction(action)) {
      this.tab = action.slice(4) as MenuTab;
      return;
    }
    switch (action) {
      case 'theme:toggle':
        return this.toggleTheme();
      case 'lab:start': case 'lab:restart':
        if (this.scenario.current) await this.restart();
        return;
      case 'lab:stop':
        await this.scenario.stop();
        return;
      case 'lab:next':
        if (this.scenario.current) await this.scenario.runNext();
        return;
      case 'lab:all':
        if (this.scenario.current) await this.scenario.runAll();
        return;
      default: {
        const never: never = action;
        void never;
      }
    }
  }

  async open(id: string): Promise<void> {
    await this.#fresh(() => this.scenario.open(id));
  }

  async restart(keepChanges = false): Promise<void> {
    this.#clearViews();
    await this.#starting(async () => {
      await this.scenario.restart(keepChanges);
      await this.lab.refresh();
    });
  }

  /** What the header's status says of the lab. */
  get labStatus(): 'starting' | 'running' | 'stopped' | 'closed' {
    if (this.closed) return 'closed';
    return this.starting ? 'starting' : this.lab.running ? 'running' : 'stopped';
  }

  /** The lab went for good (`reason`, as the server said it): nothing on the page reaches for it again. */
  close(reason: string): void {
    this.closed = reason;
    this.lab.closed = true;
  }

  async toggleGrid(): Promise<void> {
    this.showGrid = !this.showGrid;
    if (this.showGrid) await this.grid.load();
  }

  /** A queue entry's transcript, with a line highlighted (the one given, or the failure's cause). */
  async showTranscript(org: string, id: string, focus?: TranscriptFocus): Promise<void> {
    this.tab = 'transcript';
    await this.transcript.show(org, id, focus);
  }

  /** A session from outside: the receiving server's transcript of it (from a packet's detail). */
  showSession(session: SessionTranscriptView): void {
    this.tab = 'transcript';
    this.transcript.showSession(session);
  }

  /** A line of a session from outside: the packet that carried it, at the session's point. */
  openSessionLine(session: SessionTranscriptView, line: number): void {
    const at = session.packets[line];
    if (!at) return;
    this.transcript.focus = { attempt: 0, line };
    this.capture.reveal(session.point, at.no, at.index);
    this.tab = 'packets';
  }

  /** A transcript line's packet, selected in the packet view at the point on screen when it has the connection. */
  async openLinePacket(org: string, id: string, attempt: number, line: number): Promise<void> {
    const found = await this.transcript.packetOf({ org, id }, { attempt, line }, this.capture.point);
    if (!found) return;
    this.capture.reveal(found.point, found.no, found.index);
    this.tab = 'packets';
  }

  /** A link on the topology: its capture point in the packet view. */
  openPoint(point: string): void {
    this.capture.setPoint(point);
    this.tab = 'packets';
  }

  /** A packet the replay, a syslog line or a log line points at. */
  openPacket(point: string, no: number): void {
    this.capture.setPoint(point);
    this.capture.select(no);
    this.tab = 'packets';
  }

  openFirewall(path: string): void {
    this.firewall.show(path);
    this.tab = 'firewall';
  }

  openLogs(org: string): void {
    this.logs.show(org);
    this.tab = 'logs';
  }

  /** Views that read the lab's taps and queues refresh on its events while they are on screen. */
  #observers(): void {
    this.capture.onLabEvent();
    this.topology.onLabEvent();
    this.firewall.onLabEvent();
    this.logs.onLabEvent();
  }

  #route(event: EventMessage): void {
    switch (event.event) {
      case 'lab.event': {
        const e = event.payload;
        if (e.type === 'capture.changed') {
          // Only the views of the taps care about new packets; the lab snapshot did not change.
          this.#observers();
          break;
        }
        if (e.type === 'mail.received') this.mail.onReceived(e.org, e.item.user);
        if (e.type !== 'mail.received' && e.type !== 'clock.advanced' && e.type !== 'lab.changed' && this.transcript.target?.id === e.entry.id) void this.transcript.reload();
        void this.lab.refresh();
        this.#observers();
        break;
      }
      case 'step.result':
        this.scenario.onStepResult(event.payload.result, event.payload.next);
        this.#observers();
        break;
      case 'session.changed':
        void this.lab.refresh();
        this.terminal.onSessionChanged();
        this.#observers();
        break;
      case 'terminal.output':
        this.terminal.onOutput(event.payload.session, event.payload.text);
        break;
      case 'terminal.tls':
        this.terminal.onTls(event.payload.session, event.payload.certificate);
        break;
      case 'terminal.closed':
        this.terminal.onClosed(event.payload.session, event.payload.reason);
        break;
      case 'scenario.file': {
        const p = event.payload;
        this.files.onFileEvent(p);
        if (p.status === 'opened') void this.openedFile(p.scenario);
        else if (p.status === 'story-updated' && p.scenario) this.scenario.updateStory(p.scenario);
        else if (p.status === 'folder') {
          this.scenario.close();
          void this.scenario.load();
        }
        break;
      }
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
