import { parsePromFloat } from '../fast-number';
import { parseDateTime, parseEpoch } from '../time';
import type { CsvTimeFormat } from '../types';

/**
 * One CSV cell's value: numbers (with the NaN/±Inf spellings), times, and the formula guard
 * spreadsheet exports put before text that starts like a formula.
 */

/** First characters a spreadsheet reads as a formula; a leading `'` guards them. */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r', "'"]);

/**
 * A text cell without the guarding `'` a spreadsheet export put before a formula-like text
 * (when `strip`); anything else unchanged.
 *
 * Complexity O(1) (a slice when stripped).
 * @example
 * cleanCell("'=1+2", true) // '=1+2'
 */
export function cleanCell(cell: string, strip: boolean): string {
  return strip && cell.length > 1 && cell[0] === "'" && FORMULA_START.has(cell[1])
    ? cell.slice(1)
    : cell;
}

/**
 * Parses a numeric cell: a float, or the NaN/±Inf spellings Prometheus and JS use.
 *
 * Empty or non-numeric input: undefined. Complexity O(length).
 * @example
 * parseCsvNumber(' -Inf ') // -Infinity
 */
export function parseCsvNumber(cell: string): number | undefined {
  const s = cell.trim();
  if (s === '') return undefined;
  const special = parsePromFloat(s);
  if (special !== undefined) return special;
  if (s === 'Infinity' || s === '+Infinity') return Infinity;
  if (s === '-Infinity') return -Infinity;
  if (s === 'nan' || s === 'NAN') return NaN;
  return undefined;
}

/**
 * Converts one time cell to epoch ms.
 *
 * Empty or unparsable input: NaN. Complexity O(length).
 * @example
 * parseCsvTime('1795357559304000000', { format: 'epoch-ns', timeZone: 'UTC' }) // 1795357559304
 */
export function parseCsvTime(
  cell: string,
  options: { format: CsvTimeFormat; timeZone: string }
): number {
  const s = cell.trim();
  switch (options.format) {
    case 'epoch-s': {
      const v = +s;
      return Number.isSafeInteger(v) && s !== '' ? v * 1000 : parseEpoch(s, 's');
    }
    case 'epoch-ms': {
      const v = +s;
      return Number.isSafeInteger(v) && s !== '' ? v : parseEpoch(s, 'ms');
    }
    case 'epoch-us':
      return parseEpoch(s, 'us');
    case 'epoch-ns':
      return parseEpoch(s, 'ns');
    default:
      return parseDateTime(s, options.timeZone);
  }
}
