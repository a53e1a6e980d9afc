// The service of the profiled workload, in a process of its own so its profile is apart from the
// client's: prints { url, token, endpointId, secret } as one JSON line, stops on SIGTERM.
import { once } from 'node:events';
import { FuncXService } from 'funcx-rx/service';

const service = await FuncXService.start({ port: 0, rateLimit: false });
const { userId, token } = await service.issueToken();
const { endpointId, secret } = await service.registerEndpoint(userId, { name: 'profiled' });
process.stdout.write(`${JSON.stringify({ url: service.url, token, endpointId, secret })}\n`);
await once(process, 'SIGTERM');
await service.close();
