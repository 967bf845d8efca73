/**
 * The small Markdown subset of a dashboard note, parsed into tokens the note component
 * renders as Svelte elements and text nodes. There is no HTML string anywhere on the way
 * (no `{@html}`), so a note can never inject markup or script: `<b>` stays the text "<b>".
 * Written here rather than taken from a Markdown library because those produce HTML that
 * would then need a sanitiser; the subset (headings, lists, paragraphs, **bold**, *italic*,
 * `code`) is what a note needs.
 */

export type Inline = { kind: 'text' | 'strong' | 'em' | 'code'; text: string };

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; inline: Inline[] }
  | { kind: 'paragraph'; inline: Inline[] }
  | { kind: 'list'; ordered: boolean; items: Inline[][] };

const InlinePattern = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*\s][^*]*\*|_[^_\s][^_]*_)/g;

/** Splits one line into text, **strong**, *em* / _em_ and `code` runs. */
export function parseInline(line: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const m of line.matchAll(InlinePattern)) {
    if (m.index > last) out.push({ kind: 'text', text: line.slice(last, m.index) });
    const s = m[0];
    if (s.startsWith('**')) out.push({ kind: 'strong', text: s.slice(2, -2) });
    else if (s.startsWith('`')) out.push({ kind: 'code', text: s.slice(1, -1) });
    else out.push({ kind: 'em', text: s.slice(1, -1) });
    last = m.index + s.length;
  }
  if (last < line.length) out.push({ kind: 'text', text: line.slice(last) });
  return out;
}

/**
 * Blocks of a note: `#`–`###` headings, `-`/`*` and `1.` lists, and paragraphs (lines
 * joined with a space until a blank line). Empty input: no blocks. O(length).
 *
 * @example
 * parseNote('# Ops\nCPU *high*') // → [heading "Ops", paragraph "CPU " + em "high"]
 */
export function parseNote(text: string): Block[] {
  const blocks: Block[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: Inline[][] } | null = null;
  const flush = () => {
    if (para.length) blocks.push({ kind: 'paragraph', inline: parseInline(para.join(' ')) });
    para = [];
    if (list) blocks.push({ kind: 'list', ...list });
    list = null;
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const item = /^([-*]|\d+[.)])\s+(.*)$/.exec(line);
    if (line === '') flush();
    else if (heading) {
      flush();
      const level = heading[1].length as 1 | 2 | 3;
      blocks.push({ kind: 'heading', level, inline: parseInline(heading[2]) });
    } else if (item) {
      const ordered = /^\d/.test(item[1]);
      if (para.length || (list && list.ordered !== ordered)) flush();
      list ??= { ordered, items: [] };
      list.items.push(parseInline(item[2]));
    } else {
      if (list) flush();
      para.push(line);
    }
  }
  flush();
  return blocks;
}
