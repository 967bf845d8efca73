import { IngestError } from './errors';

/**
 * What a Tidemark bundle holds, counted as it is read, against what its manifest says
 * (`seriesCount`, `pointCount`, `eventCount`; see src/lib/export/bundle.ts). A bundle cut at a
 * line boundary, or a zip missing an entry, parses cleanly line by line: only these counts
 * tell it is partial. `check` throws an `IngestError` 'bad_bundle' naming the difference.
 */
export class BundleTally {
  points = 0;
  /** Distinct series: a sliced export writes one line per series and time slice. */
  readonly #series = new Set<string>();
  events = 0;
  private expected: { series: number; points: number; events: number } | undefined;

  constructor(private readonly file: string) {}

  /** Counts a series line by its key (name + labels). */
  addSeries(key: string): void {
    this.#series.add(key);
  }

  get series(): number {
    return this.#series.size;
  }

  /** Takes the manifest's counts (a manifest without them is not checked). */
  manifest(m: { [k: string]: unknown }): void {
    const { seriesCount: series, pointCount: points, eventCount: events } = m;
    if (typeof series === 'number' && typeof points === 'number' && typeof events === 'number')
      this.expected = { series, points, events };
  }

  /**
   * Throws when the counts differ from the manifest's. Complexity O(1).
   * @example
   * const t = new BundleTally('b.zip'); t.manifest({ seriesCount: 1, pointCount: 2, eventCount: 0 });
   * t.check(); // throws: 0 of 1 series
   */
  check(): void {
    const e = this.expected;
    if (e === undefined) return;
    const parts: string[] = [];
    const say = (what: string, has: number, want: number): void => {
      if (has !== want)
        parts.push(`${has.toLocaleString('en')} of ${want.toLocaleString('en')} ${what}`);
    };
    say('series', this.series, e.series);
    say('points', this.points, e.points);
    say('events', this.events, e.events);
    if (parts.length === 0) return;
    throw new IngestError({
      code: 'bad_bundle',
      message: `incomplete bundle: it holds ${parts.join(', ')} its manifest lists (cut short or missing entries); what it holds was read, the rest is missing`,
      file: this.file
    });
  }
}
