import { describe, expect, it } from 'vitest';
import { computeSummaryFigure, type SummaryInput } from './dashboard-summary';

const hour = 3_600_000;
const row = (hourStart: number, count: number, successCount: number) =>
  ({
    hourStart,
    actionType: 'a',
    count,
    successCount
  }) as unknown as SummaryInput['hourly'][number];

const input: SummaryInput = {
  // Only the columns the summary reads (the distribution rows have more).
  distribution: [
    { actionType: 'a', count: 30, percent: 75 },
    { actionType: 'b', count: 10, percent: 25 }
  ] as unknown as SummaryInput['distribution'],
  triggers: [{ triggerId: 't1' }, { triggerId: 't2' }] as unknown as SummaryInput['triggers'],
  hourly: [row(hour, 4, 3), row(0, 10, 10), row(hour, 6, 3)],
  recentFailureCount: 7,
  health: {
    events: 20,
    successRate: 0.8,
    errorRate: 0.2,
    p95Ms: 120,
    health: { score: 87.6, status: 'healthy', breakdown: [], dropped: [] }
  },
  organisations: 3,
  rangeMs: 4 * hour
};

describe('computeSummaryFigure', () => {
  it.each([
    ['events', 40, 'count', [10, 10]],
    ['failures', 7, 'count', [0, 4]],
    ['successRate', 0.8, 'ratio', [1, 0.6]],
    ['throughputPerHour', 5, 'events/h', [10, 10]],
    ['activeTriggers', 2, 'count', []],
    ['activeOrganisations', 3, 'count', []],
    ['p95Ms', 120, 'ms', []],
    ['health', 88, '', []]
  ] as const)('%s is %d %s', (figure, value, unit, spark) => {
    expect(computeSummaryFigure(figure, input)).toEqual({ value, unit, spark });
  });

  it('has no success rate and empty sparklines without events', () => {
    const empty = {
      ...input,
      hourly: [],
      distribution: [],
      health: { ...input.health, events: 0, successRate: 0 }
    };
    expect(computeSummaryFigure('successRate', empty).value).toBeNaN();
    expect(computeSummaryFigure('events', empty)).toEqual({ value: 0, unit: 'count', spark: [] });
  });
});
