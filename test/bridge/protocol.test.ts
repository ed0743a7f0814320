import { describe, expect, it } from 'vitest';
import { handleFrame } from '../../app/bridge/protocol.ts';
import type { Dispatch } from '../../app/api/dispatch.ts';
import { validateRequest } from '../../app/api/contract.ts';

// A dispatch that validates like the real one and echoes the command it would have run.
const dispatch: Dispatch = async (command, payload) => {
  const checked = validateRequest(command, payload);
  return checked.ok ? { ok: true, result: { ran: checked.command } } : checked;
};

describe('bridge frames (sans-IO)', () => {
  it.each([
    ['not JSON', '{"id":1,', { id: null, ok: false, error: { code: 'bad-json', message: expect.stringMatching(/^not JSON: /) } }],
    ['an empty frame', '', { id: null, ok: false, error: { code: 'bad-json', message: expect.stringMatching(/^not JSON: /) } }],
    ['JSON that is not an object', '[1,2]', { id: null, ok: false, error: { code: 'bad-message', message: expect.stringContaining('expected { id, command, payload }') } }],
    ['a request without an id', '{"command":"listScenarios"}', { id: null, ok: false, error: { code: 'bad-message', message: expect.stringContaining('message.id') } }],
    ['a request without a command, keeping its id', '{"id":7}', { id: 7, ok: false, error: { code: 'bad-message', message: expect.stringContaining('message.command') } }],
    ['an unknown key', '{"id":8,"command":"listScenarios","sudo":true}', { id: 8, ok: false, error: { code: 'bad-message', message: expect.stringContaining('sudo') } }],
    ['an unknown command', '{"id":9,"command":"rm -rf","payload":{}}', { id: 9, ok: false, error: { code: 'unknown-command', message: expect.stringMatching(/^unknown command "rm -rf"/) } }],
    ['a bad payload', '{"id":"a","command":"openScenario","payload":{"id":5}}', { id: 'a', ok: false, error: { code: 'invalid-payload', message: expect.stringContaining('payload.id') } }],
    ['a good request', '{"id":10,"command":"openScenario","payload":{"id":"postcard"}}', { id: 10, ok: true, result: { ran: 'openScenario' } }],
    ['a good request without payload', '{"id":11,"command":"listScenarios"}', { id: 11, ok: true, result: { ran: 'listScenarios' } }],
  ])('answers %s', async (_name, frame, expected) => {
    expect(await handleFrame(frame, dispatch)).toEqual(expected);
  });

  it('never echoes an unusable id back', async () => {
    expect((await handleFrame(JSON.stringify({ id: { evil: true }, command: 'listScenarios' }), dispatch)).id).toBeNull();
    expect((await handleFrame(JSON.stringify({ id: 'x'.repeat(65), command: 'listScenarios' }), dispatch)).id).toBeNull();
  });
});
