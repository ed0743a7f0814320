/**
 * The bridge's message layer, sans-IO: a text frame in, the response frame out. The socket adapter
 * (server.ts) only moves frames. Every frame is checked here — JSON, the envelope
 * (`{ id, command, payload }`), then the command and its payload (app/api/dispatch.ts) — and every
 * failure is answered with a typed error, so a client that sends garbage learns why and keeps its
 * connection.
 */
import { requestMessage, describeIssues, type ResponseMessage, type ServerMessage } from '../api/contract.ts';
import type { Dispatch } from '../api/dispatch.ts';

/** The `id` of a frame that parsed as JSON but failed the envelope check, when it has a usable one. */
function salvageId(value: unknown): ResponseMessage['id'] {
  if (!value || typeof value !== 'object' || !('id' in value)) return null;
  const id = (value as { id: unknown }).id;
  return (typeof id === 'number' && Number.isInteger(id) && id >= 0) || (typeof id === 'string' && id.length > 0 && id.length <= 64) ? id : null;
}

export async function handleFrame(text: string, dispatch: Dispatch): Promise<ResponseMessage> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { id: null, ok: false, error: { code: 'bad-json', message: `not JSON: ${(error as Error).message}` } };
  }
  const envelope = requestMessage.safeParse(value);
  if (!envelope.success) {
    const detail = describeIssues(envelope.error.issues, 'message');
    return { id: salvageId(value), ok: false, error: { code: 'bad-message', message: `expected { id, command, payload }: ${detail}` } };
  }
  const { id, command, payload } = envelope.data;
  return { id, ...(await dispatch(command, payload)) };
}

export function encode(message: ServerMessage): string {
  return JSON.stringify(message);
}
