/**
 * A small Markdown reader for scenario stories: paragraphs, `#` headings, `-` / `*` / `1.` lists,
 * and inline `code`, **strong** and *emphasis*. It returns a tree the Svelte component renders as
 * text nodes, so a story can never inject markup (no {@html}); links keep only their text, since the
 * app loads nothing remote.
 */
export type Inline = { kind: 'text' | 'code' | 'strong' | 'em'; text: string };
export type Block =
  | { kind: 'p'; inline: Inline[] }
  | { kind: 'h'; level: 2 | 3 | 4; inline: Inline[] }
  | { kind: 'ul' | 'ol'; items: Inline[][] };

const INLINE = /`([^`]+)`|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|\[([^\]]+)\]\([^)]*\)/g;

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push({ kind: 'text', text: text.slice(last, m.index) });
    if (m[1] !== undefined) out.push({ kind: 'code', text: m[1] });
    else if (m[2] !== undefined || m[3] !== undefined) out.push({ kind: 'strong', text: m[2] ?? m[3] });
    else if (m[4] !== undefined || m[5] !== undefined) out.push({ kind: 'em', text: m[4] ?? m[5] });
    else out.push({ kind: 'text', text: m[6] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}

export function parseMarkdown(source: string): Block[] {
  const blocks: Block[] = [];
  let para: string[] = [];
  let list: { kind: 'ul' | 'ol'; items: string[] } | undefined;
  const flush = () => {
    if (para.length) blocks.push({ kind: 'p', inline: parseInline(para.join(' ')) });
    if (list) blocks.push({ kind: list.kind, items: list.items.map(parseInline) });
    para = [];
    list = undefined;
  };
  for (const raw of source.replace(/\r\n/g, '\n').split('\n')) {
    const line = raw.trim();
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    const bullet = /^[-*]\s+(.*)$/.exec(line);
    const numbered = /^\d+[.)]\s+(.*)$/.exec(line);
    if (!line) flush();
    else if (heading) {
      flush();
      blocks.push({ kind: 'h', level: Math.min(4, heading[1].length + 1) as 2 | 3 | 4, inline: parseInline(heading[2]) });
    } else if (bullet || numbered) {
      const kind = bullet ? 'ul' : 'ol';
      if (para.length || (list && list.kind !== kind)) flush();
      list ??= { kind, items: [] };
      list.items.push((bullet ?? numbered)![1]);
    } else if (list && /^\s{2,}/.test(raw)) list.items[list.items.length - 1] += ` ${line}`;
    else {
      if (list) flush();
      para.push(line);
    }
  }
  flush();
  return blocks;
}
