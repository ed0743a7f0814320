/**
 * What a lab tells its front-ends (docs/architecture.md, "Events"): past tense, typed, and a
 * subscription returns its own unsubscribe (app/base/emitter.ts). The engine never calls a
 * transport or the UI; they listen here.
 */
import type { MailEvent } from '../mta/events.ts';

export type LabEvent =
  | MailEvent
  | { type: 'clock.advanced'; now: number }
  | { type: 'lab.changed'; org: string; what: string }
  /** A tapped connection closed: its packets, tear-down included, are in the capture now. */
  | { type: 'capture.changed'; point: string; conn: string };
