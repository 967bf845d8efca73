/**
 * The canonical key of a series: its name followed by its labels sorted by name, in the
 * Prometheus text form, e.g. `node_cpu_seconds_total{cpu="0",mode="idle"}`. Two descriptors
 * with the same name and labels always get the same key, whatever order the labels came in.
 *
 * @example seriesKey('up', { job: 'node', instance: 'a' }) // 'up{instance="a",job="node"}'
 */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return name;
  const parts = names.map((k) => `${k}="${escapeLabelValue(labels[k])}"`);
  return `${name}{${parts.join(',')}}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
