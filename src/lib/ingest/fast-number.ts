/**
 * Allocation-free decimal parsing straight from a line, for the hot paths. Clinger's fast path:
 * when the digits form an integer m < 2^53 and the fraction has k ≤ 22 digits, m and 10^k
 * are exact doubles and IEEE division rounds m / 10^k correctly, so the result equals
 * `Number(text)`. Anything else (exponents, long mantissas, NaN/Inf) returns NaN and the
 * caller falls back to `Number(slice)`.
 */
const POW10 = Array.from({ length: 23 }, (_v, i) => 10 ** i);
const MAX_EXACT = 2 ** 53;
/** `parseDecimalBytes`' range for the token reader (the parsers are single-threaded). */
const scratch = { start: 0, end: 0 };

/**
 * Parses `text[start, end)` as a plain decimal (`-12.5`, `7`, `.5`), exactly as `Number` would.
 *
 * Empty range or anything outside the fast path: NaN. Complexity O(end - start).
 * @example
 * parseDecimalAt('v=12.5 x', { start: 2, end: 6 }) // 12.5
 */
export function parseDecimalAt(text: string, range: { start: number; end: number }): number {
  let i = range.start;
  const end = range.end;
  if (i >= end) return NaN;
  let negative = false;
  const first = text.charCodeAt(i);
  if (first === 45 || first === 43) {
    negative = first === 45;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else return NaN;
  }
  if (digits === 0 || m >= MAX_EXACT || frac > 22) return NaN;
  const v = frac > 0 ? m / POW10[frac] : m;
  return negative ? -v : v;
}

/**
 * Parses the bytes `bytes[start, end)` (ASCII digits, sign, one '.') as a plain decimal,
 * exactly as `Number` parses the same text: the same Clinger fast path as `parseDecimalAt`,
 * read straight from the file's bytes so a number never becomes a string first.
 *
 * Empty range or anything outside the fast path (exponents, more than 2^53 in the digits,
 * more than 22 fraction digits, NaN/Inf spellings, blanks, non-ASCII): NaN — the caller
 * decodes the text and falls back. Complexity O(end - start).
 * @example
 * parseDecimalBytes(new TextEncoder().encode('v=12.5 x'), { start: 2, end: 6 }) // 12.5
 */
export function parseDecimalBytes(
  bytes: Uint8Array,
  range: { start: number; end: number }
): number {
  // The token reader with nothing allowed after the number: it stops at a blank or line end,
  // which this range must not hold either.
  const end = range.end;
  scratch.start = range.start;
  scratch.end = end;
  const v = parseDecimalToken(bytes, scratch);
  return scratch.end === end ? v : NaN;
}

/**
 * The plain decimal that starts at `range.start` and ends at the first blank (space or tab),
 * line end (CR or LF) or at `range.end`, read in one pass by `parseDecimalBytes`' rules; sets
 * `range.end` to the token's end. The line formats' hot paths read a value and find where it
 * ends at once.
 *
 * Empty token or anything outside the fast path: NaN (and `range.end` is then unspecified).
 * Complexity O(token length).
 * @example
 * const r = { start: 3, end: 12 };
 * parseDecimalToken(new TextEncoder().encode('up 12.5 170'), r); // 12.5, r.end === 7
 */
export function parseDecimalToken(
  bytes: Uint8Array,
  range: { start: number; end: number }
): number {
  let i = range.start;
  const end = range.end;
  let negative = false;
  const first = bytes[i];
  if (i < end && (first === 45 || first === 43)) {
    negative = first === 45;
    i++;
  }
  // The digits are summed in int32 accumulators of up to 9 digits each: Chromium's V8 runs
  // a float multiply-add chain about half as fast as the same loop in int32 (measured on the
  // import bench's bytes: 430 → 870 MB/s), and a 13-digit epoch ms needs two of them.
  let hi = 0;
  let lo = 0;
  let loDigits = 0;
  let digits = 0;
  let frac = -1;
  let c = 0;
  for (; i < end; i++) {
    c = bytes[i];
    if (c >= 48 && c <= 57) {
      if (digits === 9) break;
      hi = (hi * 10 + (c - 48)) | 0;
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 32 || c === 9 || c === 10 || c === 13) break;
    else if (c === 46 && frac < 0) frac = 0;
    else return NaN;
  }
  let m = hi;
  if (i < end && c >= 48 && c <= 57) {
    for (; i < end; i++) {
      c = bytes[i];
      if (c >= 48 && c <= 57) {
        if (loDigits === 9) break;
        lo = (lo * 10 + (c - 48)) | 0;
        loDigits++;
        if (frac >= 0) frac++;
      } else if (c === 32 || c === 9 || c === 10 || c === 13) break;
      else if (c === 46 && frac < 0) frac = 0;
      else return NaN;
    }
    // Exact while below 2^53; at or past it the sum cannot round below 2^53 (checked below).
    m = hi * POW10[loDigits] + lo;
    digits += loDigits;
    // More than 18 digits (leading zeros, or too many for the fast path): one per turn.
    for (; i < end; i++) {
      c = bytes[i];
      if (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
        if (frac >= 0) frac++;
      } else if (c === 32 || c === 9 || c === 10 || c === 13) break;
      else if (c === 46 && frac < 0) frac = 0;
      else return NaN;
    }
  }
  range.end = i;
  if (digits === 0 || m >= MAX_EXACT || frac > 22) return NaN;
  const v = frac > 0 ? m / POW10[frac] : m;
  return negative ? -v : v;
}

/**
 * Parses a Prometheus/OpenMetrics float token (`NaN`, `+Inf`, `-Inf` included).
 *
 * Empty or non-numeric input: undefined. Complexity O(length).
 * @example
 * parsePromFloat('+Inf') // Infinity
 */
export function parsePromFloat(token: string): number | undefined {
  const last = token.charCodeAt(token.length - 1);
  // Number() accepts '', ' ', 'Infinity' and hex; a float token ends with a digit or '.'.
  if ((last >= 48 && last <= 57) || last === 46) {
    const v = +token;
    return v === v ? v : undefined;
  }
  switch (token) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
    case '+inf':
    case 'inf':
      return Infinity;
    case '-Inf':
    case '-inf':
      return -Infinity;
  }
  return undefined;
}
