import { expose } from 'comlink';
import type { ChangeNotice } from '$lib/types';
import { CHANGES_CHANNEL } from '../channels';
import { createEngineApi } from './api';

const changes = new BroadcastChannel(CHANGES_CHANNEL);
const api = createEngineApi({
  broadcast: (notice: ChangeNotice) => changes.postMessage(notice)
});
expose(api);

export type EngineApi = typeof api;
