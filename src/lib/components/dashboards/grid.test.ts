import { describe, expect, it } from 'vitest';
import { clampRect, compactLayout, moveWidget, placeNew, rectAfterKey, type Placed } from './grid';

const r = (x: number, y: number, w: number, h: number) => ({ x, y, w, h });
const rects = (items: Placed[]) => Object.fromEntries(items.map((i) => [i.id, i.rect]));
const overlapFree = (items: Placed[]) =>
  items.every((a, i) =>
    items.every(
      (b, j) =>
        i === j ||
        a.rect.x >= b.rect.x + b.rect.w ||
        b.rect.x >= a.rect.x + a.rect.w ||
        a.rect.y >= b.rect.y + b.rect.h ||
        b.rect.y >= a.rect.y + a.rect.h
    )
  );

describe('dashboard grid', () => {
  it.each([
    [r(-3, -1, 4, 3), r(0, 0, 4, 3)],
    [r(10, 0, 6, 3), r(6, 0, 6, 3)],
    [r(0, 0, 1, 1), r(0, 0, 2, 2)],
    [r(0, 0, 40, 40), r(0, 0, 12, 12)]
  ])('keeps %o on the grid as %o', (input, expected) => {
    expect(clampRect(input)).toEqual(expected);
  });

  it('packs widgets upward into holes', () => {
    const out = compactLayout([
      { id: 'a', rect: r(0, 5, 6, 3) },
      { id: 'b', rect: r(6, 9, 6, 2) }
    ]);
    expect(rects(out)).toEqual({ a: r(0, 0, 6, 3), b: r(6, 0, 6, 2) });
  });

  it('swaps with the widget below when moved down one row', () => {
    const items = [
      { id: 'a', rect: r(0, 0, 12, 3) },
      { id: 'b', rect: r(0, 3, 12, 3) }
    ];
    expect(rects(moveWidget(items, 'a', r(0, 1, 12, 3)))).toEqual({
      a: r(0, 3, 12, 3),
      b: r(0, 0, 12, 3)
    });
  });

  it('swaps with the widget above when moved up one row', () => {
    const items = [
      { id: 'a', rect: r(0, 0, 12, 3) },
      { id: 'b', rect: r(0, 3, 12, 2) }
    ];
    expect(rects(moveWidget(items, 'b', r(0, 2, 12, 2)))).toEqual({
      a: r(0, 2, 12, 3),
      b: r(0, 0, 12, 2)
    });
  });

  it('pushes others down when a widget grows, and never overlaps', () => {
    const items = [
      { id: 'a', rect: r(0, 0, 6, 3) },
      { id: 'b', rect: r(6, 0, 6, 3) },
      { id: 'c', rect: r(0, 3, 12, 2) }
    ];
    const out = moveWidget(items, 'a', r(0, 0, 8, 4));
    expect(rects(out).a).toEqual(r(0, 0, 8, 4));
    expect(overlapFree(out)).toBe(true);
    expect(out.map((i) => i.id)).toEqual(['a', 'b', 'c']);
  });

  it('leaves the layout alone for an unknown id', () => {
    const items = [{ id: 'a', rect: r(0, 0, 6, 3) }];
    expect(moveWidget(items, 'x', r(0, 0, 2, 2))).toEqual(items);
  });

  it('places a new widget below the rest', () => {
    expect(placeNew([{ id: 'a', rect: r(0, 0, 6, 3) }], 4, 2)).toEqual(r(0, 3, 4, 2));
    expect(placeNew([], 4, 2)).toEqual(r(0, 0, 4, 2));
  });

  it.each([
    ['ArrowRight', false, r(3, 2, 4, 3)],
    ['ArrowUp', false, r(2, 1, 4, 3)],
    ['ArrowRight', true, r(2, 2, 5, 3)],
    ['ArrowDown', true, r(2, 2, 4, 4)],
    ['Enter', false, null]
  ])('%s (shift %s) turns the rect into %o', (key, shift, expected) => {
    expect(rectAfterKey(r(2, 2, 4, 3), key as string, shift as boolean)).toEqual(expected);
  });
});
