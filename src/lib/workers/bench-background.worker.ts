import { expose } from 'comlink';
import { openDatabase } from '$lib/db/database';
import { createEngineApi } from './engine/api';

// The engine of the leader tab's background work, on the benchmark's own database.
expose(
  createEngineApi({
    openDb: (cb) => openDatabase(cb, { name: 'tidemark-bench' }),
    timeZone: 'UTC'
  })
);
