import { ExportDefaults, type ExportPhase, type ExportProgress } from './types';

/**
 * Progress of one export job: `done` counts points read (twice over with outlier
 * suppression, whose first pass reads everything once), reports are throttled to one per
 * `progressMs` unless forced, and `done` never passes `total`. The clock is injected.
 *
 * Complexity O(1) per report.
 * @example
 * const p = createExportProgress({ jobId, total: 1000, now, onProgress });
 * p.done += slice.length; p.report('Writing cpu');
 */
export function createExportProgress(options: {
  jobId: string;
  total: number;
  now: () => number;
  onProgress?: (p: ExportProgress) => void;
}): { done: number; report(label: string, phase?: ExportPhase, force?: boolean): void } {
  const { jobId, total, now, onProgress } = options;
  let last = -Infinity;
  const progress = {
    done: 0,
    report(label: string, phase: ExportPhase = 'reading', force = false) {
      const t = now();
      if (!onProgress || (!force && t - last < ExportDefaults.progressMs)) return;
      last = t;
      onProgress({ jobId, phase, done: Math.min(progress.done, total), total, label });
    }
  };
  return progress;
}

/**
 * The file name stem of an export made at `createdAt`: `tidemark-2026-12-07T19-40-00Z`.
 *
 * Complexity O(1).
 */
export function exportFilePrefix(createdAt: number): string {
  const stamp = new Date(createdAt)
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
  return `tidemark-${stamp}`;
}
