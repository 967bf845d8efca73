import { describe, expect, it } from 'vitest';
import { parseInline, parseNote } from './markdown';

describe('dashboard note markdown', () => {
  it('parses headings, paragraphs and lists', () => {
    expect(parseNote('# Ops\nline one\nline two\n\n- a\n- **b**\n1. first')).toEqual([
      { kind: 'heading', level: 1, inline: [{ kind: 'text', text: 'Ops' }] },
      { kind: 'paragraph', inline: [{ kind: 'text', text: 'line one line two' }] },
      {
        kind: 'list',
        ordered: false,
        items: [[{ kind: 'text', text: 'a' }], [{ kind: 'strong', text: 'b' }]]
      },
      { kind: 'list', ordered: true, items: [[{ kind: 'text', text: 'first' }]] }
    ]);
  });

  it('keeps markup as plain text', () => {
    const blocks = parseNote('<img src=x onerror=alert(1)> <script>x</script>');
    expect(blocks).toEqual([
      {
        kind: 'paragraph',
        inline: [{ kind: 'text', text: '<img src=x onerror=alert(1)> <script>x</script>' }]
      }
    ]);
  });

  it.each([
    ['a *b* c', ['text', 'em', 'text']],
    ['`x*y`', ['code']],
    ['2 * 3 * 4', ['text']],
    ['_under_ **bold**', ['em', 'text', 'strong']]
  ])('splits %s into runs', (line, kinds) => {
    expect(parseInline(line).map((r) => r.kind)).toEqual(kinds);
  });

  it('has no blocks for empty text', () => {
    expect(parseNote('')).toEqual([]);
    expect(parseNote('\n \n')).toEqual([]);
  });
});
