// funcX's executor with batching: 50 submissions gathered for a second and sent in one request.
import { randomInt } from 'node:crypto';
import { FuncXClient, FuncXExecutor, type FuncXFuture } from 'funcx-rx';
import { connect } from './support/connect.js';
import { doubleDelayed } from './support/doubleDelayed.js';
import { isMain } from './support/isMain.js';

export async function executorBatch(): Promise<void> {
  const { serviceUrl, token, endpointId, stop } = await connect();
  try {
    const fxc = new FuncXClient({ serviceUrl, token });
    const fx = new FuncXExecutor(fxc, { endpointId, batchEnabled: true, batchInterval: 1000 });

    async function run(): Promise<void> {
      const futures: FuncXFuture<number>[] = [];
      for (let i = 0; i < 50; i++) {
        const x = randomInt(0, 101);
        const future = fx.submit(doubleDelayed, x);
        futures.push(future);
      }

      for (const future of futures) {
        const result = await future.result();
        console.log(`Result: ${result}`);
      }
    }

    const start = performance.now();
    await run();
    const t = (performance.now() - start) / 1000;
    console.log(`Time: ${t.toFixed(2)}s`);

    await fx.shutdown();
  } finally {
    await stop();
  }
}

if (isMain(import.meta.url)) await executorBatch();
