import type { PointBatch } from '$lib/types';

/** Every distinct, whole ArrayBuffer under the batches' point columns. */
export function columnBuffers(batches: readonly PointBatch[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const b of batches)
    for (const column of [b.t, b.v])
      if (column.buffer instanceof ArrayBuffer && column.buffer.byteLength > 0)
        set.add(column.buffer);
  return [...set];
}
