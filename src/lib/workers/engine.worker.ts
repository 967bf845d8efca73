import { expose } from 'comlink';
import type { ChangeNotice } from '$lib/types';
import { createEngineApi } from './engine-api';
import { CHANGES_CHANNEL } from './channels';

const changes = new BroadcastChannel(CHANGES_CHANNEL);
const api = createEngineApi({
  broadcast: (notice: ChangeNotice) => changes.postMessage(notice)
});
expose(api);
