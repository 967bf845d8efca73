import { FileSink } from '../file-sink';
import { writeWideCsv, type WideColumn } from '../stream';
import { seriesKey } from '../../types/series-key';
import { createCompanions } from './companions';
import type { ExportWriter } from './writer';

/**
 * The wide CSV: one row per bucket time, one column per output series (`key:aggregate`).
 * Its rows are bucket times, so it needs a rollup tier, and it reads the scope one time
 * slice at a time across every series. Events beside it as CSV.
 */
export const CsvWideWriter: ExportWriter = {
  reads: 'time-slices',
  check(spec) {
    if (spec.resolution === 'raw')
      throw new Error(
        'The wide CSV needs a rollup tier (its rows are bucket times); choose a resolution other than raw, or the long CSV.'
      );
  },
  begin(start) {
    const sink = new FileSink(`${start.prefix}-metrics-wide.csv`, 'text/csv');
    const names = start.outputs.map(
      (o) =>
        `${seriesKey(o.descriptor.name, o.record.labels)}${o.aggregate ? `:${o.aggregate}` : ''}`
    );
    sink.write(
      writeWideCsv(
        names.map((name) => ({ name, t: new Float64Array(0), v: new Float64Array(0) })),
        { header: true }
      )
    );
    const companions = createCompanions(start, { layout: 'csv', events: true, analysis: true });
    const withPoints = new Set<string>();
    let columns: WideColumn[] = [];
    return {
      series(o, c) {
        columns.push({ name: '', t: c.t, v: c.v });
        if (c.t.length > 0) withPoints.add(o.record.key);
      },
      endSlice() {
        const text = writeWideCsv(columns, { header: false });
        sink.write(text, text === '' ? 0 : text.split('\r\n').length - 1);
        columns = [];
      },
      events: companions.events,
      finish: () => ({ files: [sink, ...companions.finish()], series: withPoints.size, notes: [] })
    };
  }
};
