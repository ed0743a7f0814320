// Test helpers for the API: a session on a scenarios folder, driven through `dispatch` as a
// transport would, and a way to wait for an event without sleeping.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import type { CommandName, EventMessage, RequestOf, ResponseOf, ApiError } from '../../app/api/contract.ts';
import { ApiSession } from '../../app/api/session.ts';
import { createHandlers } from '../../app/api/handlers.ts';
import { createDispatch, type Dispatch } from '../../app/api/dispatch.ts';

export const SCENARIOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');

export interface Driven {
  session: ApiSession;
  dispatch: Dispatch;
  events: EventMessage[];
  call<K extends CommandName>(command: K, request: RequestOf<K>): Promise<ResponseOf<K>>;
  fail(command: CommandName, request: unknown): Promise<ApiError>;
  next(predicate: (e: EventMessage) => boolean): Promise<EventMessage>;
}

export function drive(scenariosDir = SCENARIOS): Driven {
  const session = new ApiSession({ scenariosDir });
  const dispatch = createDispatch(createHandlers(session));
  const events: EventMessage[] = [];
  session.events.subscribe((e) => events.push(e));
  return {
    session, dispatch, events,
    async call(command, request) {
      const r = await dispatch(command, request);
      if (!r.ok) throw new Error(`${command} failed: ${r.error.code}: ${r.error.message}`);
      return r.result as never;
    },
    async fail(command, request) {
      const r = await dispatch(command, request);
      if (r.ok) throw new Error(`${command} unexpectedly succeeded`);
      return r.error;
    },
    next: (predicate) => new Promise((resolve) => {
      const off = session.events.subscribe((e) => {
        if (!predicate(e)) return;
        off();
        resolve(e);
      });
    }),
  };
}

/** A scenarios folder holding `files`, removed when the test that made it ends. */
export function tempScenarios(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-api-test-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

export { closedPort } from '../helpers/lab.ts';

/**
 * `open(id)`: a driven session with scenario `id` open and its lab started; every one is closed
 * after each test (call this at the top of a test file).
 */
export function scenarioSessions(afterEachHook: (fn: () => Promise<void>) => void): (id: string) => Promise<Driven> {
  const open: Driven[] = [];
  afterEachHook(async () => {
    await Promise.all(open.splice(0).map((d) => d.session.close()));
  });
  return async (id) => {
    const d = drive();
    open.push(d);
    await d.call('openScenario', { id });
    await d.call('startLab', {});
    return d;
  };
}
