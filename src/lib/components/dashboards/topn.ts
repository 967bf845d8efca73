import { formatAnswerCell } from '../answer-cells';

export interface TopItem {
  label: string;
  value: number;
  /** value / the largest value, for the bar. */
  share: number;
  text: string;
}

/**
 * A top-N list from answer rows: labelled by the first text column, ranked by `field` (or
 * the first numeric column), largest first, at most `limit`. Widgets and reports both show
 * this, so a report's "Top problems" matches the page's.
 */
export function rankTop(
  rows: readonly Record<string, unknown>[],
  options: { limit: number; field?: string }
): { labelColumn: string; field: string; items: TopItem[] } {
  if (rows.length === 0) return { labelColumn: '', field: '', items: [] };
  const keys = Object.keys(rows[0]);
  const labelColumn = keys.find((k) => typeof rows[0][k] === 'string') ?? keys[0];
  const field =
    options.field && options.field in rows[0]
      ? options.field
      : (keys.find((k) => typeof rows[0][k] === 'number') ?? keys[0]);
  const list = rows
    .map((r) => ({ label: String(r[labelColumn] ?? '—'), value: Number(r[field]) }))
    .filter((r) => Number.isFinite(r.value))
    .sort((a, b) => b.value - a.value)
    .slice(0, options.limit);
  const max = Math.max(1e-12, ...list.map((r) => r.value));
  return {
    labelColumn,
    field,
    items: list.map((r) => ({ ...r, share: r.value / max, text: formatAnswerCell(field, r.value) }))
  };
}
