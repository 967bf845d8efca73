import type { Thresholds } from '$lib/types/dashboard';

export type Level = 'ok' | 'warn' | 'bad' | 'none';

/**
 * The colour step of `value`: 'bad' at or past `bad`, 'warn' at or past `warn`, else 'ok';
 * 'none' without thresholds or a value. Shown with a word as well as a colour.
 * @example levelOf(0.93, { warn: 0.95, bad: 0.9, lowerIsWorse: true }) // 'warn'
 */
export function levelOf(value: number, t: Thresholds | undefined): Level {
  if (!t || !Number.isFinite(value)) return 'none';
  const past = (limit: number) => (t.lowerIsWorse ? value <= limit : value >= limit);
  return past(t.bad) ? 'bad' : past(t.warn) ? 'warn' : 'ok';
}

export const LevelWords: Record<Level, string> = {
  ok: 'normal',
  warn: 'warning',
  bad: 'critical',
  none: ''
};
