import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, EVENT_NAMES, isCommandName, MAX_SCENARIO_TEXT_BYTES, requestSchemas, validateRequest } from '../../app/api/contract.ts';
import { MAX_SCENARIO_BYTES } from '../../app/scenario/input.ts';

describe('the contract', () => {
  it('has one allow-list: every command name has a request schema and nothing else does', () => {
    expect(Object.keys(requestSchemas).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(new Set(COMMAND_NAMES).size).toBe(COMMAND_NAMES.length);
    expect(EVENT_NAMES).toEqual(['lab.event', 'step.result', 'session.changed', 'terminal.output', 'terminal.tls', 'terminal.closed', 'scenario.file', 'grid.progressed']);
  });

  it('refuses names that are not commands, including inherited object keys', () => {
    for (const name of ['deleteEverything', 'constructor', 'toString', '__proto__', '', 42, null, undefined]) {
      expect(isCommandName(name), String(name)).toBe(false);
      const r = validateRequest(name, {});
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('unknown-command');
    }
    const r = validateRequest('deleteEverything', {});
    if (!r.ok) expect(r.error.message).toMatch(/^unknown command "deleteEverything" \(known: listScenarios, openScenario, /);
  });

  it('accepts a well-formed payload and fills in the schema defaults', () => {
    const r = validateRequest('sendMessage', { id: 'm9', from: 'alice@intellinet.example', to: 'sean@ntsol.example' });
    expect(r).toEqual({ ok: true, command: 'sendMessage', payload: { id: 'm9', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: '', body: '' } });
    expect(validateRequest('listScenarios', undefined)).toEqual({ ok: true, command: 'listScenarios', payload: {} });
  });

  it.each([
    ['openScenario', {}, 'openScenario: payload.id: required: expected text'],
    ['openScenario', { id: '' }, 'openScenario: payload.id: must not be empty'],
    ['openScenario', { id: 'postcard', extra: 1 }, 'openScenario: payload: Unrecognized key: "extra" (extra)'],
    ['listMailbox', { org: 'ntsol' }, 'listMailbox: payload.user: required: expected text'],
    ['sendMessage', { id: 'm1', from: 'not an address', to: 'sean@ntsol.example' }, 'sendMessage: payload.from: expected a mail address such as alice@intellinet.example'],
    ['sendMessage', { id: 'm1', from: 'alice@intellinet.example', to: [] }, 'sendMessage: payload.to'],
    ['applyAction', { org: 'ntsol' }, 'applyAction: payload: an action makes exactly one change (found none)'],
    ['applyAction', { org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls' } }, 'applyAction: payload.setSecurity.level: method tls needs a level'],
    ['retryEntry', 'INT00001', 'retryEntry: payload: expected a mapping (key: value), found the text "INT00001"'],
    ['getTranscripts', { org: 'x'.repeat(500), id: 'Q1' }, 'getTranscripts: payload.org: is too long'],
    ['pagePackets', { locate: 3 }, 'pagePackets: payload.locate: needs a point: frame numbers are per capture point'],
    ['pagePackets', { point: 'p1', locate: 0 }, 'pagePackets: payload.locate: must be a frame number (1 or more)'],
  ])('rejects %s %j with a message naming the field', (command, payload, message) => {
    const r = validateRequest(command, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid-payload');
      expect(r.error.message).toContain(message);
    }
  });
});

describe('scenario text from the browser', () => {
  it('is held to the file loader\'s 1 MiB, counted in UTF-8 bytes, so the UI opens nothing validate refuses', () => {
    expect(MAX_SCENARIO_TEXT_BYTES).toBe(MAX_SCENARIO_BYTES);
    const message = `is too long (a scenario file is at most 1 MiB, ${MAX_SCENARIO_BYTES} bytes)`;
    for (const command of ['openScenarioText', 'checkScenarioText']) {
      expect(validateRequest(command, { name: 'big.yaml', text: '#'.repeat(MAX_SCENARIO_BYTES) }).ok).toBe(true);
      expect(validateRequest(command, { name: 'big.yaml', text: '#'.repeat(MAX_SCENARIO_BYTES + 1) })).toEqual({ ok: false, error: { code: 'invalid-payload', message: `${command}: payload.text: ${message}` } });
      // Two bytes a character: half as many characters already fill the limit.
      expect(validateRequest(command, { name: 'big.yaml', text: 'é'.repeat(MAX_SCENARIO_BYTES / 2 + 1) })).toEqual({ ok: false, error: { code: 'invalid-payload', message: `${command}: payload.text: ${message}` } });
    }
  });
});

describe('the grid commands', () => {
  it('validate their axes against the registries: an unknown firewall or method names itself', () => {
    const ok = validateRequest('runGrid', { senders: ['postfix'], receivers: ['generic'], firewalls: ['asa'], methods: ['may'] });
    expect(ok.ok).toBe(true);
    const bad = validateRequest('runGrid', { senders: ['postfix'], receivers: ['generic'], firewalls: ['pix-9'], methods: ['maybe'] });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/payload\.firewalls\[0\].*payload\.methods\[0\]/);
    expect(validateRequest('runGrid', { senders: [], receivers: ['generic'], firewalls: ['asa'], methods: ['may'] }).ok).toBe(false);
  });
});
