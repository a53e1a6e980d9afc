// A funcX service with its local endpoint in a child process (see childService.ts), so that specs reach it only over
// the network (through a FaultProxy) and nothing in the spec's process can touch its state.
import { startLocalService } from '../../lib/local/startLocalService.js';

const local = await startLocalService({ workers: Number(process.argv[2] ?? 4) });
process.send!({ url: local.url, token: local.token, endpointId: local.endpointId });
process.on('message', (message: string) => {
  if (message === 'stop') void local.stop().then(() => process.disconnect());
});
process.on('disconnect', () => void local.stop().then(() => process.exit(0)));
