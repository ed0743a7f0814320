/**
 * Does a replay reproduce a capture? Two dialogues agree when their readable shape agrees: the
 * greeting's code, each command's verb with the code that answered it, and where the readable
 * part ended (TLS, a seal). Host names, dates and queue ids differ between any two runs; the
 * shape is what the middlebox and the policies decide. A last `QUIT` nothing answered is left out:
 * a sender giving up says it and closes at once (app/mta/outbound/client.ts), so whether a capture
 * holds it depends only on when the capture stopped.
 */
import { verbOf, type Dialogue } from './smtp.ts';

export function dialogueShape(d: Dialogue): string[] {
  const shape = [`greeting ${d.greeting?.partial ? 'unfinished' : d.greeting?.code ?? 'none'}`];
  for (const [i, x] of d.exchanges.entries()) {
    // After 235 an NTLM session is sealed (docs/ntlm.md): what follows is ciphertext, or ciphertext a
    // box garbled — its line breaks fall where the random bytes put them, so it has no shape.
    if (shape.at(-1) === 'auth-response 235') {
      shape.push('then sealed');
      return shape;
    }
    if (i === d.exchanges.length - 1 && !x.reply && x.kind === 'command' && verbOf(x.line.text) === 'QUIT') break;
    const what = x.kind === 'auth-response' ? 'auth-response' : x.line.text === '.' ? 'end-of-data' : verbOf(x.line.text) || JSON.stringify(x.line.text.slice(0, 8));
    shape.push(`${what} ${x.reply ? x.reply.code : 'no reply'}`);
  }
  if (d.opaque) shape.push(shape.at(-1) === 'auth-response 235' ? 'then sealed' : `then ${d.opaque.from}`);
  return shape;
}

export interface ShapeDiff {
  session: number;
  expected: string[];
  got: string[];
}

/** Compare sessions in order; returns the sessions whose shapes differ. */
export function compareShapes(original: Dialogue[], replay: Dialogue[]): ShapeDiff[] {
  const diffs: ShapeDiff[] = [];
  original.forEach((d, i) => {
    const expected = dialogueShape(d), got = replay[i] ? dialogueShape(replay[i]) : [];
    if (expected.join('|') !== got.join('|')) diffs.push({ session: i + 1, expected, got });
  });
  return diffs;
}
