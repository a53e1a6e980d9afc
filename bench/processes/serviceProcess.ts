// A service in its own process, so the scale scenario can weigh its heap apart from the client's.
import { FuncXService } from 'funcx-rx/service';
import { heapAfterGc } from './ipc.js';

const service = await FuncXService.start();
const { userId, token } = await service.issueToken();
// Registered but never connected: submitted tasks stay outstanding (waiting-for-ep).
const { endpointId } = await service.registerEndpoint(userId);

process.on('message', (message: string) => {
  if (message === 'info') process.send!({ url: service.url, token, endpointId });
  else if (message === 'heap') process.send!(heapAfterGc());
  else if (message === 'stop') void service.close().then(() => process.disconnect());
});
