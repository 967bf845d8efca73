import type { SeriesCategory } from '../types';

/**
 * Unit guessed from a metric name suffix, as Prometheus naming conventions put the base unit
 * last (https://prometheus.io/docs/practices/naming/). `_total` is stripped first because
 * counters carry it after the unit (`..._seconds_total`).
 */
export const UnitSuffixes: ReadonlyArray<readonly [string, string]> = [
  ['_seconds', 's'],
  ['_milliseconds', 'ms'],
  ['_ms', 'ms'],
  ['_microseconds', 'us'],
  ['_nanoseconds', 'ns'],
  ['_bytes', 'B'],
  ['_bits', 'bit'],
  ['_ratio', 'ratio'],
  ['_percent', '%'],
  ['_celsius', 'Cel'],
  ['_hertz', 'Hz'],
  ['_joules', 'J'],
  ['_watts', 'W'],
  ['_volts', 'V'],
  ['_amperes', 'A'],
  ['_meters', 'm'],
  ['_packets', 'packets'],
  ['_requests', 'requests'],
  ['_tokens', 'tokens']
];

/** First match wins; patterns are tested against the lower-cased name. */
export const CategoryRules: ReadonlyArray<readonly [RegExp, SeriesCategory]> = [
  [/^(node_network|node_netstat|node_sockstat|net_|network|interface|if_|tcp|udp)/, 'network'],
  [/(^|_)(rx|tx)(_|$)|rxkb|txkb|rxpck|txpck/, 'network'],
  [/^(gpu|nvidia|model_|llm|inference|tokens?_|ttft|ollama|vllm)/, 'model'],
  [/^(web_vitals|lcp|inp|cls|ttfb|fcp|frame|fps|long_animation|event_timing)/, 'ux'],
  [/^(result_|action_|event_)/, 'events'],
  [
    /^(node_|process_|go_|cpu|memory|mem_|disk|df|filesystem|load|swap|uptime|kb|%|proc|cswch|tps|runq|plist|ldavg|blocked|vm_|system_)/,
    'system'
  ]
];

/**
 * Guesses a unit from a metric name suffix.
 *
 * Empty input: returns ''. Complexity O(suffixes).
 * @example
 * guessUnit('node_cpu_seconds_total') // 's'
 */
export function guessUnit(name: string): string {
  let base = name.toLowerCase();
  if (base.endsWith('_total')) base = base.slice(0, -6);
  else if (base.endsWith('_bucket')) base = base.slice(0, -7);
  else if (base.endsWith('_sum')) base = base.slice(0, -4);
  for (const [suffix, unit] of UnitSuffixes) if (base.endsWith(suffix)) return unit;
  if (base.startsWith('%') || base.endsWith('_pct')) return '%';
  return '';
}

/**
 * Guesses a category from a metric name (node_cpu → system, node_network → network …).
 *
 * Empty input: 'app'. Complexity O(rules).
 * @example
 * guessCategory('node_network_receive_bytes_total') // 'network'
 */
export function guessCategory(name: string): SeriesCategory {
  const lower = name.toLowerCase();
  for (const [pattern, category] of CategoryRules) if (pattern.test(lower)) return category;
  return 'app';
}

/**
 * Canonical series key: the name and the labels sorted by key, Prometheus-style.
 *
 * Empty labels: just the name. Complexity O(k log k) for k labels.
 * @example
 * formatSeriesKey('up', { job: 'a' }) // 'up{job="a"}'
 */
export function formatSeriesKey(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  const parts = keys.map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${parts.join(',')}}`;
}
