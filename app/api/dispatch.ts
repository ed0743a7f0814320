/**
 * The single entry for every transport: check the command against the allow-list, validate its
 * payload, call its handler, and turn any exception into a typed error. Nothing that arrives from
 * outside reaches a handler without passing `validateRequest`, and nothing leaves as a stack trace.
 */
import { validateRequest, type ApiError, type CommandName, type ParsedRequestOf, type Result } from './contract.ts';
import type { Handlers } from './handlers.ts';
import { ApiFailure } from './session.ts';

export type Dispatch = (command: unknown, payload: unknown) => Promise<Result<unknown>>;

export function errorOf(error: unknown): ApiError {
  if (error instanceof ApiFailure) return { code: error.code, message: error.message };
  return { code: 'failed', message: error instanceof Error ? error.message : String(error) };
}

export function createDispatch(handlers: Handlers): Dispatch {
  return async (command, payload) => {
    const checked = validateRequest(command, payload);
    if (!checked.ok) return checked;
    // The schema for `checked.command` produced `checked.payload`; the handler of that name takes it.
    const handler = handlers[checked.command] as (request: ParsedRequestOf<CommandName>) => Promise<unknown>;
    try {
      return { ok: true, result: await handler(checked.payload) };
    } catch (error) {
      return { ok: false, error: errorOf(error) };
    }
  };
}
