import { ByteKeyMap } from '../byte-keys';
import { formatSeriesKey, guessCategory, guessUnit } from '../naming';
import type { BatchSink, SeriesSlot } from '../sink';
import type { LineContext } from '../types';
import type { CsvMapping } from './detect';
import type { CsvRecordReader } from './record-reader';

/**
 * The per-mapping precomputation every decode path shares, so a row costs one map lookup
 * plus one parse per value: which columns are labels, name and values (`RowPlan`), the label
 * groups met so far (`RowGroup`, each with its series slots), and the series names.
 */

/** What the block path does with a column. */
export const CellRole = { skip: 0, time: 1, label: 2, value: 3 } as const;

/** The rows sharing a label key (and name cell): their series, made on first use. */
export interface RowGroup {
  key: string;
  labels: Record<string, string>;
  metricName: string;
  slots: (SeriesSlot | null | undefined)[];
  /** The group that followed this one last time (rows of a timestamp come in label order). */
  next: RowGroup | undefined;
  /** `key` as UTF-8 once the byte path has met the group. */
  keyBytes: Uint8Array | undefined;
}

export interface RowPlan {
  labelIdx: number[];
  nameIdx: number;
  valueIdx: number[];
  groups: Map<string, RowGroup>;
  /** The same groups by the bytes of their one label cell (byte path). */
  byteGroups: ByteKeyMap<RowGroup>;
  /** Per column, what the block path does with it (`CellRole`). */
  roles: Uint8Array;
}

/**
 * The plan of a mapping: label, name and value column indexes, and each column's role for
 * the block path; no groups yet.
 *
 * Empty input (no columns): empty indexes. Complexity O(columns).
 * @example
 * makePlan(mapping).valueIdx // [2, 3]
 */
export function makePlan(m: CsvMapping): RowPlan {
  const labelIdx: number[] = [];
  const valueIdx: number[] = [];
  let nameIdx = -1;
  m.columns.forEach((c, i) => {
    if (c.role === 'label') labelIdx.push(i);
    else if (c.role === 'value') valueIdx.push(i);
    else if (c.role === 'name' && nameIdx < 0) nameIdx = i;
  });
  const roles = new Uint8Array(m.columns.length);
  m.columns.forEach((c, i) => {
    roles[i] =
      i === m.timeIndex
        ? CellRole.time
        : c.role === 'label'
          ? CellRole.label
          : c.role === 'value'
            ? CellRole.value
            : CellRole.skip;
  });
  return {
    labelIdx,
    nameIdx,
    valueIdx,
    groups: new Map(),
    byteGroups: new ByteKeyMap(),
    roles
  };
}

/**
 * The series of a CSV file: a value column of a label group is one series, named after the
 * column (wide layout: `<name cell>_<column>`, or the file's stem for a lone `value`
 * column) or after the name cell (long layout). Each header section has its own series
 * (`section`), so two record types with the same column names never share one.
 */
export class SeriesSlots {
  /** Header sections met so far; a new section starts new series. */
  section = 0;
  private readonly slots = new Map<string, SeriesSlot>();
  private readonly prefix: string;

  constructor(
    private readonly sink: BatchSink,
    private readonly fileStem: string,
    namePrefix: string | undefined
  ) {
    this.prefix = namePrefix ? `${namePrefix}_` : '';
  }

  /** The sink's slot of a series of this section, made on first use. */
  slotFor(name: string, labels: Record<string, string>, labelKey: string): SeriesSlot {
    const id = `${this.section}\u0000${name}\u0000${labelKey}`;
    let s = this.slots.get(id);
    if (s === undefined) {
      s = this.sink.slot(formatSeriesKey(name, labels), () => ({
        name,
        labels,
        unit: guessUnit(name),
        kind: 'gauge',
        source: 'import',
        category: guessCategory(name)
      }));
      this.slots.set(id, s);
    }
    return s;
  }

  seriesName(m: CsvMapping, group: RowGroup, column: string): string {
    const prefix = this.prefix;
    return m.layout === 'long'
      ? prefix + group.metricName
      : group.metricName !== ''
        ? `${prefix}${group.metricName}_${column}`
        : /^_?value$/i.test(column)
          ? prefix + this.fileStem
          : prefix + column;
  }

  /** The slot of a group's `j`-th value column, made on first use; null for an empty name. */
  valueSlot(m: CsvMapping, group: RowGroup, j: number, column: string): SeriesSlot | null {
    let slot = group.slots[j];
    if (slot === undefined) {
      const name = this.seriesName(m, group, column);
      slot = name === '' ? null : this.slotFor(name, group.labels, group.key);
      group.slots[j] = slot;
    }
    return slot;
  }
}

/**
 * The state the decode paths share: fixed options, the current header section's mapping and
 * plan, and where the record reader stands. Created once per file by `createCsvHandler`.
 */
export interface CsvState {
  readonly sink: BatchSink;
  readonly file: string;
  readonly timeZone: string;
  readonly defaultTimestamp: number | undefined;
  /** Rows starting before this byte are parsed but not emitted. */
  readonly skipFrom: number;
  readonly stripGuard: boolean;
  readonly slots: SeriesSlots;
  delimiter: string | undefined;
  reader: CsvRecordReader | undefined;
  mapping: CsvMapping | undefined;
  plan: RowPlan | undefined;
  /** The group of the previous row (its `next` is the guess for the following row). */
  previousGroup: RowGroup | undefined;
  /** Where the record being read (maybe across lines) started. */
  recordCtx: LineContext | undefined;
}
