import { describe, expect, it } from 'vitest';
import type { Dashboard } from '$lib/types/dashboard';
import { dashboardFileName, parseDashboardFile, serializeDashboard } from './dashboard-file';

const board: Dashboard = {
  id: 'd1',
  title: 'My «board» / ops',
  range: '24h',
  refreshMs: 30_000,
  createdAt: 1,
  updatedAt: 2,
  widgets: [
    { id: 'w1', kind: 'note', title: 'Read me', text: '# Hi', rect: { x: 0, y: 0, w: 4, h: 2 } },
    {
      id: 'w2',
      kind: 'stat',
      title: 'CPU',
      source: { kind: 'series', match: 'cpu' },
      thresholds: { warn: 70, bad: 90 },
      rect: { x: 4, y: 0, w: 4, h: 2 }
    }
  ]
};

describe('dashboard files', () => {
  it('round-trips a dashboard, stamping updatedAt with the time it was read', () => {
    const back = parseDashboardFile(serializeDashboard(board), 99);
    expect(back).toEqual({ ...board, updatedAt: 99 });
  });

  it('drops the built-in mark, so an imported copy of a built-in is an ordinary dashboard', () => {
    const text = serializeDashboard({ ...board, builtIn: true });
    expect(JSON.parse(text).dashboard.builtIn).toBeUndefined();
  });

  it.each([
    ['not json', 'not JSON'],
    ['{"format":"x"}', 'not a Tidemark dashboard'],
    ['{"format":"tidemark-dashboard","version":9,"dashboard":{}}', 'newer'],
    [
      JSON.stringify({
        format: 'tidemark-dashboard',
        version: 1,
        dashboard: { ...board, range: '2y' }
      }),
      'Unknown time range'
    ],
    [
      JSON.stringify({
        format: 'tidemark-dashboard',
        version: 1,
        dashboard: { ...board, widgets: [{ ...board.widgets[0], kind: 'html' }] }
      }),
      'unknown kind "html"'
    ],
    [
      JSON.stringify({
        format: 'tidemark-dashboard',
        version: 1,
        dashboard: { ...board, widgets: [board.widgets[0], board.widgets[0]] }
      }),
      'share one "id"'
    ],
    [
      JSON.stringify({
        format: 'tidemark-dashboard',
        version: 1,
        dashboard: { ...board, widgets: [{ ...board.widgets[1], rect: { x: 0 } }] }
      }),
      'whole numbers'
    ]
  ])('refuses %s with a reason', (text, reason) => {
    expect(() => parseDashboardFile(text, 0)).toThrow(reason);
  });

  it('names the file after the title', () => {
    expect(dashboardFileName(board)).toBe('tidemark-dashboard-my-board-ops.json');
    expect(dashboardFileName({ title: '' })).toBe('tidemark-dashboard-untitled.json');
  });
});
