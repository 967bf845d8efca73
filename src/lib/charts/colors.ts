/**
 * Series colours: a series keeps its colour everywhere (DESIGN.md), so the colour is a
 * function of its key. The palette is mid-tone so lines read on both themes' panels.
 */

/** Eight hues with at least 3:1 contrast against both the light and the dark panel. */
export const SeriesPalette = [
  '#0e8a7e',
  '#d9480f',
  '#5f6fd6',
  '#b0388f',
  '#8a7a00',
  '#2b8ac4',
  '#c2410c',
  '#6c8a2b'
] as const;

/** A stable colour for a series key (FNV-1a hash into the palette). */
export function pickSeriesColor(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return SeriesPalette[(h >>> 0) % SeriesPalette.length];
}

/** `#rrggbb` with an alpha, for bands and fills. */
export function withAlpha(hex: string, alpha: number): string {
  const a = Math.round(Math.min(1, Math.max(0, alpha)) * 255)
    .toString(16)
    .padStart(2, '0');
  return `${hex}${a}`;
}

/**
 * Colours for series drawn together: each keeps its own colour (pickSeriesColor) unless an
 * earlier one already has it, then it takes the first palette colour not yet used, so lines
 * on one chart can be told apart (up to the palette's eight; then colours repeat).
 */
export function distinctSeriesColors(keys: string[]): string[] {
  const used = new Set<string>();
  return keys.map((key) => {
    let color = pickSeriesColor(key);
    if (used.has(color)) color = SeriesPalette.find((c) => !used.has(c)) ?? color;
    used.add(color);
    return color;
  });
}
