// A client in its own process: submits N tasks that stay outstanding and weighs its heap per task.
import { setTimeout as sleep } from 'node:timers/promises';
import { FuncXClient, type AsyncTask } from 'funcx-rx';
import { heapAfterGc } from './ipc.js';

const [url, token, endpointId, count] = process.argv.slice(2) as [string, string, string, string];
const n = Number(count);
const fxc = new FuncXClient({ serviceUrl: url, token, asynchronous: true, batchInterval: 10, batchSize: 2000 });
const functionId = await fxc.registerFunction((x: number) => x);
const before = heapAfterGc();
const start = performance.now();
const tasks: AsyncTask<number>[] = [];
for (let i = 0; i < n; i++) tasks.push(fxc.run({ functionId, endpointId }, i));
// Outstanding means accepted by the service and waiting for a result.
while (tasks.some((t) => t.status === 'queued')) await sleep(5);
const seconds = performance.now() - start;
const after = heapAfterGc();
process.send!({ bytesPerTask: (after - before) / n, msPerTask: seconds / n, outstanding: fxc.stats.outstanding });
process.once('message', () => {
  for (const task of tasks) task.catch(() => undefined);
  void fxc.close({ cancel: true }).then(() => process.disconnect());
});
