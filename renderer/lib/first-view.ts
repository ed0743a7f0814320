/**
 * What the Mailboxes and Transcript tabs open on when the user has chosen nothing there (docs/ui.md,
 * "Mailboxes and transcripts"): what the lesson is about, not an empty pane.
 */
import type { LabSnapshot } from '../../app/api/contract.ts';

/** The first mailbox holding anything, mail or a bounce, in the snapshot's order. */
export function firstMailboxWithMail(snapshot: LabSnapshot | undefined): { org: string; user: string } | undefined {
  for (const org of snapshot?.orgs ?? []) {
    const box = org.mailboxes.find((m) => m.messages + m.bounces > 0);
    if (box) return { org: org.id, user: box.user };
  }
  return undefined;
}

/**
 * The entry queued last among those tried at least once (an untried one has no transcript yet):
 * the message a lesson's last step sent. Ties on the lab clock go to the later entry in the
 * snapshot's order (each organisation's queue in order of arrival).
 */
export function latestTried(snapshot: LabSnapshot | undefined): { org: string; id: string } | undefined {
  let best: { org: string; id: string; at: number } | undefined;
  for (const org of snapshot?.orgs ?? []) {
    for (const e of org.queue) {
      if (e.attempts > 0 && (!best || e.arrivedAt >= best.at)) best = { org: e.org, id: e.id, at: e.arrivedAt };
    }
  }
  return best && { org: best.org, id: best.id };
}
