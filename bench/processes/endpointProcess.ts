// An endpoint in its own process, so the chaos scenario can SIGKILL it and start another with
// the same id and secret. Its first connection is retried: it may start in the middle of faults.
import { setTimeout as sleep } from 'node:timers/promises';
import { Endpoint } from '../../lib/endpoint/Endpoint.js';

const [serviceUrl, endpointId, secret, workers] = process.argv.slice(2) as [string, string, string, string];
let endpoint: Endpoint | null = null;
for (let attempt = 1; endpoint === null; attempt++) {
  try {
    endpoint = await Endpoint.start({ serviceUrl, endpointId, secret, workers: Number(workers), reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
  } catch (error) {
    if (attempt === 200) throw error;
    await sleep(50);
  }
}
process.send!('connected');
process.on('message', (message: string) => {
  if (message === 'stop') void endpoint!.close().then(() => process.disconnect());
});
