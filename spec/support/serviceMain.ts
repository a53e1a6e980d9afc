// A service in its own process, so specs can see that no input stops it. Options come as JSON in
// FUNCX_SERVICE_OPTIONS; it prints one JSON line with what a test needs, and stops on SIGTERM.
import { FuncXService } from '../../lib/service/FuncXService.js';

const service = await FuncXService.start(JSON.parse(process.env.FUNCX_SERVICE_OPTIONS ?? '{}'));
const alice = await service.issueToken();
const endpoint = await service.registerEndpoint(alice.userId, { name: 'spec' });
process.stdout.write(`${JSON.stringify({ url: service.url, token: alice.token, userId: alice.userId, endpointId: endpoint.endpointId, secret: endpoint.secret })}\n`);
process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
