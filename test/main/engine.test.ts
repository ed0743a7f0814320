// The engine off Electron's main thread (main/engine-*.ts): main forks it as a utilityProcess and
// speaks the contract's envelopes over a MessagePort. Electron is mocked; the host and the client
// are joined here by a real MessageChannel (node:worker_threads), with a real session behind it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventMessage, ScenarioSummary } from '../../app/api/contract.ts';
import { SCENARIOS } from '../api/helpers.ts';

vi.mock('electron', () => import('./electron-mock.ts'));
const { FakePort, FakeUtilityProcess, resetElectronMock, utilityProcess } = await import('./electron-mock.ts');
const { connectEngine, startEngine } = await import('../../main/engine-client.ts');
const { serveEngine } = await import('../../main/engine-host.ts');

/** A Node MessagePort with Electron's MessagePortMain shape (`message` events carry `{ data }`). */
function electronShaped(port: MessagePort) {
  return {
    postMessage: (m: unknown) => port.postMessage(m),
    on: (_event: 'message', fn: (e: { data: unknown }) => void) => port.on('message', (data: unknown) => fn({ data })),
    start: () => port.start(),
    close: () => port.close(),
  };
}

const closers: (() => Promise<void>)[] = [];
beforeEach(() => resetElectronMock());
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function joined() {
  const { port1, port2 } = new MessageChannel();
  const session = serveEngine(electronShaped(port2), { scenariosDir: SCENARIOS });
  const exits: ((code: number) => void)[] = [];
  const kill = vi.fn();
  const engine = connectEngine(electronShaped(port1) as never, kill, (fn) => exits.push(fn));
  closers.push(async () => {
    await engine.close();
    port2.close();
  });
  return { engine, session, kill, exit: (code: number) => exits.forEach((fn) => fn(code)) };
}

describe('starting the engine', () => {
  it('forks out/main/engine.js as a utilityProcess and hands it one end of a MessageChannelMain with the options', () => {
    startEngine('/opt/postcard-lab/out/main/engine.js', { scenariosDir: '/opt/postcard-lab/scenarios', recentFile: '/home/u/.config/recent.json' });
    expect(utilityProcess.fork).toHaveBeenCalledWith('/opt/postcard-lab/out/main/engine.js', [], expect.objectContaining({ serviceName: 'Postcard Lab engine' }));
    const child = FakeUtilityProcess.instances[0];
    expect(child.hello?.message).toEqual({ type: 'connect', options: { scenariosDir: '/opt/postcard-lab/scenarios', recentFile: '/home/u/.config/recent.json' } });
    expect(child.hello?.ports).toHaveLength(1);
    const [port] = child.hello!.ports;
    expect(port).toBeInstanceOf(FakePort);
    expect(port.other?.started).toBe(true); // main listens on the other end
  });

  it('main itself never loads the engine: main/ imports only types from app/ (the engine is in engine.js)', () => {
    const mainDir = path.resolve(import.meta.dirname, '../../main');
    for (const file of ['main.ts', 'engine-client.ts', 'ipc.ts', 'menu.ts', 'window.ts', 'security.ts']) {
      const source = fs.readFileSync(path.join(mainDir, file), 'utf8');
      const valueImports = [...source.matchAll(/^import (?!type )[^;]*from '(\.\.\/app\/[^']+)'/gm)].map((m) => m[1]);
      expect(valueImports, file).toEqual([]);
    }
  });
});

describe('the contract over the engine port', () => {
  it('answers commands with the same results as the socket and IPC, and forwards events', async () => {
    const { engine } = joined();
    const events: EventMessage[] = [];
    engine.subscribe((e) => events.push(e));
    const list = await engine.dispatch('listScenarios', {});
    expect(list.ok && (list.result as { scenarios: ScenarioSummary[] }).scenarios.map((s) => s.id)).toContain('postcard');
    expect(await engine.dispatch('openScenario', { id: 'postcard' })).toMatchObject({ ok: true, result: { id: 'postcard' } });
    expect(events).toContainEqual({ event: 'session.changed', payload: { scenario: 'postcard', status: 'stopped' } });
  });

  it('refuses unknown commands, invalid payloads and garbage with typed errors, and keeps serving', async () => {
    const { engine } = joined();
    expect(await engine.dispatch('shell.openExternal', {})).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await engine.dispatch('openScenario', { id: 7 })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(await engine.desktop({ desktop: 'rm-rf' as never })).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await engine.desktop({ desktop: 'openFile' })).toMatchObject({ ok: false, error: { code: 'failed', message: 'openFile needs a path' } });
    expect(await engine.dispatch('getSnapshot', {})).toMatchObject({ ok: true, result: { status: 'stopped' } });
  });

  it('answers a message without an id with a bad-message error', async () => {
    const { port1, port2 } = new MessageChannel();
    const session = serveEngine(electronShaped(port2), { scenariosDir: SCENARIOS });
    const reply = new Promise((resolve) => port1.once('message', resolve));
    port1.postMessage({ command: 'listScenarios' });
    expect(await reply).toMatchObject({ id: null, ok: false, error: { code: 'bad-message' } });
    await session.close();
    port1.close();
    port2.close();
  });

  it('opens a file main chose in a dialog; an invalid one is announced with its errors', async () => {
    const { engine } = joined();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-engine-'));
    closers.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'title: x\nlab: { orgs: [] }\n');
    const events: EventMessage[] = [];
    engine.subscribe((e) => events.push(e));
    const r = await engine.desktop({ desktop: 'openFile', path: bad });
    expect(r).toMatchObject({ ok: true, result: { file: bad, errors: [{ line: 2, path: 'lab.orgs' }] } });
    expect(events.at(-1)).toMatchObject({ event: 'scenario.file', payload: { status: 'invalid', file: bad } });
    const good = await engine.desktop({ desktop: 'openFile', path: path.join(SCENARIOS, 'postcard.yaml') });
    expect(good).toMatchObject({ ok: true, result: { scenario: { id: 'postcard' }, errors: [] } });
    expect(await engine.dispatch('listRecent', {})).toMatchObject({ ok: true, result: { files: [{ name: 'postcard.yaml' }] } });
  });

  it('fails waiting and later calls with a clear message when the engine process exits', async () => {
    const { engine, exit } = joined();
    exit(1);
    expect(await engine.dispatch('listScenarios', {})).toEqual({ ok: false, error: { code: 'failed', message: 'the lab engine stopped (exit code 1); restart Postcard Lab' } });
  });
});
