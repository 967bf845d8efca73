import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '$lib/db/database';
import type { ChangeNotice } from '$lib/types';
import type { Dashboard } from '$lib/types/dashboard';
import { createEngineApi } from './api';

const name = 'engine-dashboards-test';
afterEach(() => Dexie.delete(name));

const board = (id: string, updatedAt: number): Dashboard => ({
  id,
  title: `Board ${id}`,
  range: '1h',
  refreshMs: 0,
  createdAt: 0,
  updatedAt,
  widgets: [{ id: 'n', kind: 'note', title: 'n', text: 'hi', rect: { x: 0, y: 0, w: 4, h: 2 } }]
});

describe('engine dashboards', () => {
  it('saves, lists newest first, reads, deletes, and tells other tabs', async () => {
    const notices: ChangeNotice[] = [];
    const api = createEngineApi({
      openDb: (cb) => openDatabase(cb, { name }),
      broadcast: (n) => notices.push(n)
    });
    await api.saveDashboard(board('a', 10));
    await api.saveDashboard(board('b', 20));
    expect((await api.listDashboards()).map((d) => d.id)).toEqual(['b', 'a']);
    expect(await api.getDashboard('a')).toEqual(board('a', 10));
    await api.deleteDashboard('a');
    expect(await api.getDashboard('a')).toBeNull();
    expect(notices.filter((n) => n.kind === 'dashboards')).toHaveLength(3);
  });

  it('keeps dashboards when all data is deleted, and refuses to store a built-in', async () => {
    const api = createEngineApi({ openDb: (cb) => openDatabase(cb, { name }) });
    await api.saveDashboard(board('keep', 1));
    await api.clearAll();
    expect((await api.listDashboards()).map((d) => d.id)).toEqual(['keep']);
    await expect(api.saveDashboard({ ...board('x', 1), builtIn: true })).rejects.toThrow(
      'Built-in'
    );
  });
});
