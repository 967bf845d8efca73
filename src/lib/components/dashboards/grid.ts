import type { GridRect } from '$lib/types/dashboard';

/** The dashboard grid: columns across, and the largest widget in rows. */
export const GridDefaults = { columns: 12, maxRows: 12, minW: 2, minH: 2 } as const;

export interface Placed {
  id: string;
  rect: GridRect;
}

const overlaps = (a: GridRect, b: GridRect) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** `rect` kept on the grid: at least the minimum size, never past the right edge or above row 0. */
export function clampRect(rect: GridRect): GridRect {
  const { columns, maxRows, minW, minH } = GridDefaults;
  const w = Math.min(columns, Math.max(minW, Math.round(rect.w)));
  const h = Math.min(maxRows, Math.max(minH, Math.round(rect.h)));
  const x = Math.min(columns - w, Math.max(0, Math.round(rect.x)));
  const y = Math.max(0, Math.round(rect.y));
  return { x, y, w, h };
}

/**
 * Packs widgets upward, top to bottom: each goes as high as it can without overlapping one
 * already placed (the gravity react-grid-layout and Grafana's grid use), so a layout has no
 * holes a widget could fill. O(n² · rows).
 */
export function compactLayout(items: readonly Placed[]): Placed[] {
  const order = [...items].sort((a, b) => a.rect.y - b.rect.y || a.rect.x - b.rect.x);
  const placed: Placed[] = [];
  for (const item of order) {
    const rect = clampRect(item.rect);
    while (placed.some((p) => overlaps(p.rect, rect))) rect.y++;
    while (rect.y > 0 && !placed.some((p) => overlaps(p.rect, { ...rect, y: rect.y - 1 })))
      rect.y--;
    placed.push({ id: item.id, rect });
  }
  const at = new Map(placed.map((p) => [p.id, p.rect]));
  return items.map((i) => ({ id: i.id, rect: at.get(i.id)! }));
}

/**
 * Moves or resizes one widget to `rect`, then packs everything upward. A widget in the way
 * swaps places when the moved one goes down (it takes the place the moved one left, as in
 * react-grid-layout), and goes below it otherwise, so one arrow press is always a visible move.
 *
 * @example
 * moveWidget([{ id: 'a', rect: { x: 0, y: 0, w: 6, h: 3 } }], 'a', { x: 6, y: 0, w: 6, h: 3 })
 * // → [{ id: 'a', rect: { x: 6, y: 0, w: 6, h: 3 } }]
 */
export function moveWidget(items: readonly Placed[], id: string, rect: GridRect): Placed[] {
  const old = items.find((i) => i.id === id)?.rect;
  if (!old) return [...items];
  const target = clampRect(rect);
  const down = target.y > old.y;
  const others = items
    .filter((i) => i.id !== id)
    .sort((a, b) => a.rect.y - b.rect.y || a.rect.x - b.rect.x);
  const swapped = (r: GridRect) => down && r.y >= old.y && overlaps(r, target);
  const placed: Placed[] = [];
  const place = (pid: string, r: GridRect) => {
    while (placed.some((p) => overlaps(p.rect, r))) r.y++;
    placed.push({ id: pid, rect: r });
  };
  for (const item of others.filter((i) => swapped(i.rect)))
    place(item.id, { ...item.rect, y: old.y });
  place(id, { ...target });
  for (const item of others.filter((i) => !swapped(i.rect))) place(item.id, { ...item.rect });
  const at = new Map(compactLayout(placed).map((p) => [p.id, p.rect]));
  return items.map((i) => ({ id: i.id, rect: at.get(i.id)! }));
}

/** Where a new widget of `w`×`h` goes: under everything else. */
export function placeNew(items: readonly Placed[], w: number, h: number): GridRect {
  const bottom = items.reduce((m, i) => Math.max(m, i.rect.y + i.rect.h), 0);
  return clampRect({ x: 0, y: bottom, w, h });
}

/** What a key does to a focused widget in arrange mode: arrows move, Shift+arrows resize. */
export function rectAfterKey(rect: GridRect, key: string, shift: boolean): GridRect | null {
  const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
  if (!d) return null;
  const [dx, dy] = d;
  return clampRect(
    shift
      ? { ...rect, w: rect.w + dx, h: rect.h + dy }
      : { ...rect, x: rect.x + dx, y: rect.y + dy }
  );
}
