import type { ResultEvent } from '$lib/types';
import type { DataCell, DataColumn } from '../DataTable.svelte';
import { formatDuration, formatTime } from '../format';

/** The columns of a table of result-log events (Events page: recent events, failures). */
export const EventColumns: DataColumn[] = [
  { label: 'Time' },
  { label: 'Action' },
  { label: 'Status' },
  { label: 'Duration', numeric: true },
  { label: 'Trigger' },
  { label: 'Organisation' },
  { label: 'Error' }
];

/** One event's cells under `EventColumns`; a status other than success is marked. */
export function eventCells(
  e: Pick<
    ResultEvent,
    't' | 'actionType' | 'status' | 'durationMs' | 'triggerId' | 'organisationId' | 'errorMessage'
  >
): DataCell[] {
  return [
    formatTime(e.t),
    e.actionType,
    { text: e.status, bad: e.status !== 'success' },
    formatDuration(e.durationMs),
    e.triggerId ?? '—',
    e.organisationId ?? '—',
    e.errorMessage ?? ''
  ];
}
