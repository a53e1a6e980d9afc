// The service alone in its own process, for the proxy chaos scenario: clients and endpoints
// reach it only through fault proxies.
import { FuncXService } from '../../lib/service/FuncXService.js';

const service = await FuncXService.start();
const { userId, token } = await service.issueToken();
const { endpointId, secret } = await service.registerEndpoint(userId, { name: 'chaos' });
process.send!({ url: service.url, token, endpointId, secret });
process.on('message', (message: string) => {
  if (message === 'stop') void service.close().then(() => process.disconnect());
});
