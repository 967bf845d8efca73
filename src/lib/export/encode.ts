/**
 * Number and time spellings shared by the writers, chosen so the ingest parsers read back
 * exactly what was written: JSON has no NaN/Infinity and drops the sign of -0, so those
 * travel as strings; Prometheus/OpenMetrics spell them NaN, +Inf, -Inf.
 */

/**
 * A number as a JSON value that survives JSON: finite non-zero numbers as numbers, the rest
 * as "NaN", "+Inf", "-Inf" or "-0".
 *
 * Empty input: not applicable. Complexity O(1).
 * @example
 * encodeJsonNumber(-Infinity) // '-Inf'
 */
export function encodeJsonNumber(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0 && Object.is(v, -0)) return '-0';
  return v;
}

/**
 * A number as a Prometheus/OpenMetrics value token; `String` gives the shortest text that
 * parses back to the same double.
 *
 * Empty input: not applicable. Complexity O(1).
 * @example
 * formatPromValue(NaN) // 'NaN'
 */
export function formatPromValue(v: number): string {
  const j = encodeJsonNumber(v);
  return typeof j === 'string' ? j : String(j);
}

/**
 * Epoch ms as a decimal seconds string without floating-point division, so the parser's
 * decimal shift gives back the same ms exactly (1234567 → '1234.567').
 *
 * Empty input: not applicable. Complexity O(digits).
 * @example
 * formatMsAsSeconds(1700000000123) // '1700000000.123'
 */
export function formatMsAsSeconds(ms: number): string {
  let s = String(ms);
  // Exponent notation only appears far outside epoch ranges; toFixed spells it out.
  if (/e/i.test(s) && Math.abs(ms) < 1e21) s = ms.toFixed(20);
  const neg = s.startsWith('-');
  if (neg) s = s.slice(1);
  const dot = s.indexOf('.');
  let int = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  int = int.padStart(4, '0');
  const head = int.slice(0, -3).replace(/^0+(?=\d)/, '');
  const tail = (int.slice(-3) + frac).replace(/0+$/, '');
  return `${neg ? '-' : ''}${head}${tail === '' ? '' : '.' + tail}`;
}
