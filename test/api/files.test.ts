// Scenario files through the contract (app/api/files.ts, session.ts): open from text with every
// validate error at its line and column, open by path and watch it, reload keeping the lab when
// only the story changed, recent files, and saving the running lab as a scenario.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { ApiSession } from '../../app/api/session.ts';
import { parseScenario } from '../../app/scenario/load.ts';
import { drive, SCENARIOS, type Driven } from './helpers.ts';

const POSTCARD = fs.readFileSync(path.join(SCENARIOS, 'postcard.yaml'), 'utf8');
/** The postcard scenario with three mistakes: a bad profile, an unknown key, an unknown outcome. */
const BROKEN = POSTCARD
  .replace('      profile: exchange-5.5\n      nt: { domain: INTELLINET', '      profile: exchange-9\n      nt: { domain: INTELLINET')
  .replace('      users: [sean]', '      users: [sean]\n      colour: blue')
  .replace('outcome: delivered, wire: cleartext', 'outcome: arrived, wire: cleartext');
/** 1-based line and column of `needle` in the broken file (the test finds them, not the code under test). */
function at(needle: string): { line: number; column: number } {
  const lines = BROKEN.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  return { line: line + 1, column: lines[line].indexOf(needle) + 1 };
}

const sessions: Driven[] = [];
afterEach(async () => {
  for (const d of sessions.splice(0)) await d.session.close();
});
function driven(dir?: string): Driven {
  const d = drive(dir);
  sessions.push(d);
  return d;
}
/** A folder for one test, removed when it ends (after its sessions have closed). */
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-files-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

describe('opening scenario text (the browser: file picker, drag and drop)', () => {
  it('opens a valid file and makes it the scenario the lab starts from', async () => {
    const d = driven();
    const r = await d.call('openScenarioText', { name: 'mine.yaml', text: POSTCARD.replace('title: Email between', 'title: My copy of email between') });
    expect(r.errors).toEqual([]);
    expect(r.scenario).toMatchObject({ id: 'postcard', title: 'My copy of email between servers travels like a postcard' });
    expect((await d.call('startLab', {})).status).toBe('running');
  });

  it('shows every error at its line and column, and changes nothing', async () => {
    const d = driven();
    await d.call('openScenario', { id: 'postcard' });
    const r = await d.call('openScenarioText', { name: 'broken.yaml', text: BROKEN });
    expect(r.scenario).toBeUndefined();
    expect(r.errors).toEqual([
      { ...at('exchange-9'), path: 'lab.orgs[0].profile', message: expect.stringMatching(/exchange-5\.5/) },
      { ...at('colour: blue'), path: 'lab.orgs[1].colour', message: 'unknown key "colour"' },
      { ...at('arrived'), path: 'steps[1].expect.outcome', message: expect.stringMatching(/delivered/) },
    ]);
    expect((await d.call('getSnapshot', {})).scenario?.id).toBe('postcard');
  });

  it('checks text without opening it (a picked folder lists each file with its verdict)', async () => {
    const d = driven();
    expect(await d.call('checkScenarioText', { name: 'a.yaml', text: POSTCARD })).toEqual({ file: 'a.yaml', id: 'postcard', title: 'Email between servers travels like a postcard', errors: [] });
    expect((await d.call('checkScenarioText', { name: 'b.yaml', text: BROKEN })).errors).toHaveLength(3);
  });

  it('refuses a name with folders and oversized text at the contract', async () => {
    const d = driven();
    expect(await d.fail('openScenarioText', { name: '../etc/passwd', text: '' })).toMatchObject({ code: 'invalid-payload', message: expect.stringContaining('without folders') });
    expect(await d.fail('openScenarioText', { name: 'big.yaml', text: 'x'.repeat(1024 * 1024 + 1) })).toMatchObject({ code: 'invalid-payload', message: expect.stringContaining('at most 1 MiB') });
  });
});

describe('a scenario file on disk', () => {
  it('reloads on change: a story edit keeps the running lab; a lab edit asks, then restarts', async () => {
    const dir = tmp();
    const file = path.join(dir, 'watched.yaml');
    fs.writeFileSync(file, POSTCARD);
    const d = driven();
    expect((await d.session.openFile(file)).scenario?.id).toBe('postcard');
    await d.call('startLab', {});
    await d.call('runNextStep', {});
    const lab = d.session.lab;

    const story = d.next((e) => e.event === 'scenario.file' && e.payload.status !== 'opened');
    fs.writeFileSync(file, POSTCARD.replace('Alice at Intellinet writes', 'Alice at Intellinet (edited) writes'));
    const updated = await story;
    expect(updated).toMatchObject({ event: 'scenario.file', payload: { status: 'story-updated', file } });
    expect(d.session.scenarioView().story).toContain('(edited)');
    expect(d.session.lab).toBe(lab);
    expect(d.session.snapshot().nextStep).toBe(1);

    const labChange = d.next((e) => e.event === 'scenario.file');
    fs.writeFileSync(file, POSTCARD.replace('users: [sean]', 'users: [sean, pat]'));
    expect(await labChange).toMatchObject({ payload: { status: 'lab-changed', file } });
    expect(d.session.lab).toBe(lab);
    const reloaded = await d.call('reloadScenario', { restart: true });
    expect(reloaded.outcome).toBe('reopened');
    expect(d.session.running).toBe(false);
    expect((await d.call('startLab', {})).orgs[1].users).toEqual(['sean', 'pat']);

    const invalid = d.next((e) => e.event === 'scenario.file');
    fs.writeFileSync(file, BROKEN);
    expect(await invalid).toMatchObject({ payload: { status: 'invalid', errors: [at('exchange-9'), at('colour: blue'), at('arrived')] } });
    expect(d.session.running).toBe(true);
  });

  it('keeps recent files (newest first, persisted) and opens only those by name from the renderer', async () => {
    const dir = tmp();
    const store = path.join(dir, 'recent.json');
    for (const name of ['a.yaml', 'b.yaml']) fs.writeFileSync(path.join(dir, name), POSTCARD);
    const session = new ApiSession({ scenariosDir: SCENARIOS, recentFile: store });
    await session.openFile(path.join(dir, 'a.yaml'));
    await session.openFile(path.join(dir, 'b.yaml'));
    await session.close();
    const d = drive();
    const again = new ApiSession({ scenariosDir: SCENARIOS, recentFile: store });
    expect(again.recent.list()).toEqual([path.join(dir, 'b.yaml'), path.join(dir, 'a.yaml')]);
    await again.close();
    // Through the contract, a path outside the list is refused.
    expect(await d.fail('openRecent', { file: '/etc/passwd' })).toMatchObject({ code: 'not-found' });
    await d.session.close();
  });

  it('lists another folder (Open Folder) and says so', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'only.yaml'), POSTCARD.replace('id: postcard', 'id: only-one'));
    const d = driven();
    expect(d.session.openFolder(dir).map((s) => s.id)).toEqual(['only-one']);
    expect(d.events.at(-1)).toEqual({ event: 'scenario.file', payload: { status: 'folder', file: dir } });
    expect(() => d.session.openFolder(path.join(dir, 'only.yaml'))).toThrow(/is not a folder/);
  });
});

describe('saving the lab as a scenario', () => {
  it('records what the user changed and sent; the YAML validates', async () => {
    const d = driven();
    await d.call('openScenario', { id: 'postcard' });
    expect(await d.fail('recordScenario', {})).toMatchObject({ code: 'no-lab' });
    await d.call('startLab', {});
    await d.call('applyAction', { org: 'ntsol', setInbound: { starttls: true } });
    await d.call('sendMessage', { id: 'u1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'From the UI', body: 'typed' });
    await d.session.lab.settle('u1', true);
    const r = await d.call('recordScenario', { title: 'What I reproduced' });
    expect(r).toMatchObject({ fileName: 'postcard-recorded.yaml', messages: 1, changes: 0, droppedMessages: 0, summary: '1 message, 0 changes after the first message (earlier changes are in its lab)' });
    expect(r.yaml).toContain('title: What I reproduced');
    const loaded = parseScenario(r.yaml, r.fileName);
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(loaded.scenario.lab.orgs[1].inbound.starttls).toBe(true);
    // The course level of the scenario it came from (postcard is a beginner's), not a fixed one.
    if (loaded.ok) expect(loaded.scenario.level).toBe('beginner');
  });
});
