import { writeDiagnostic } from '../diagnostic';
import { FileSink } from '../file-sink';
import type { ExportWriter } from './writer';

/**
 * The diagnostic bundle: the store's inventory (series by name and count, import errors)
 * and what the page knows (version, settings with secrets redacted); never a data value.
 */
export const DiagnosticWriter: ExportWriter = {
  reads: 'inventory',
  begin(start) {
    const inventory = start.inventory;
    if (!inventory) throw new Error('The diagnostic bundle needs the store inventory.');
    const sink = new FileSink(`${start.prefix}-diagnostic.json`, 'application/json');
    const d = start.spec.diagnostic;
    sink.write(
      writeDiagnostic({
        createdAt: start.createdAt,
        appVersion: d?.appVersion ?? 'unknown',
        userAgent: d?.userAgent ?? '',
        timeZone: d?.timeZone ?? inventory.timeZone,
        settings: d?.settings ?? null,
        storage: d?.storage ?? { usage: null, quota: null, persisted: null },
        counts: inventory.counts,
        series: inventory.series,
        errors: [...(d?.errors ?? []), ...inventory.errors]
      }),
      inventory.series.length
    );
    return {
      series: () => {},
      events: () => {},
      finish: () => ({
        files: [sink],
        series: inventory.series.length,
        notes: [
          'The diagnostic bundle lists series by name and count only: no data values, and secrets in settings are redacted.'
        ]
      })
    };
  }
};
