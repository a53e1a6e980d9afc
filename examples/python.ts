// The seed's functions written in Python, run from TypeScript: registered as Globus Compute's
// PureSourceTextInspect (what the Python SDK sends), run on the endpoint's Python worker processes,
// through the polling client, the async client and the executor with batching.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FuncXClient, FuncXExecutor, TaskPending, python, type FuncXFuture } from 'funcx-rx';
import { connect } from './support/connect.js';
import { isMain } from './support/isMain.js';

const double = python<(x: number) => number>`
  def double(x):
      return x * 2
`;

const doubleDelayed = python<(x: number) => number>`
  def double_delayed(x):
      import time
      # simulate a function that takes a bit of time
      time.sleep(1)
      return x * 2
`;

export async function pythonExamples(): Promise<void> {
  const { serviceUrl, token, endpointId, stop } = await connect();
  try {
    const fxc = new FuncXClient({ serviceUrl, token });
    const status = await fxc.getEndpointStatus(endpointId);
    const py = status.languages?.python;
    console.log(py?.available ? `(endpoint runs Python ${py.version}: ${py.executable})` : py ? `(endpoint runs no Python: ${py.reason})` : '(endpoint has not said yet which languages it runs)');

    console.log('\n== Existing funcX model (HTTP polling), Python double_delayed ==');
    const funcId = await fxc.registerFunction(doubleDelayed);
    const taskId = await fxc.run({ functionId: funcId, endpointId }, 50);
    for (;;) {
      try {
        // HTTP task query
        const result = await fxc.getResult(taskId);
        console.log(result);
        break;
      } catch (error) {
        if (!(error instanceof TaskPending)) throw error;
        // task is still pending, continue waiting
        console.log('Task pending');
        await sleep(1000);
      }
    }

    console.log('\n== Async API (WebSocket under the hood), Python double and double_delayed ==');
    const asyncFxc = new FuncXClient({ serviceUrl, token, asynchronous: true });
    const doubleId = await asyncFxc.registerFunction(double);
    console.log(await asyncFxc.run({ functionId: doubleId, endpointId }, 50));
    console.log(await asyncFxc.run({ functionId: funcId, endpointId }, 50));

    console.log('\n== FuncXExecutor, Python double_delayed ==');
    const fx = new FuncXExecutor(fxc);
    const future = fx.submit({ endpointId }, doubleDelayed, 50);
    console.log(await future.result());
    await fx.shutdown();

    console.log('\n== FuncXExecutor with batching, Python double_delayed ==');
    const batched = new FuncXExecutor(fxc, { endpointId, batchEnabled: true, batchInterval: 1000 });
    async function run(): Promise<void> {
      const futures: FuncXFuture<number>[] = [];
      for (let i = 0; i < 50; i++) {
        const x = randomInt(0, 101);
        futures.push(batched.submit(doubleDelayed, x));
      }
      for (const f of futures) {
        const result = await f.result();
        console.log(`Result: ${result}`);
      }
    }
    const start = performance.now();
    await run();
    console.log(`Time: ${((performance.now() - start) / 1000).toFixed(2)}s`);
    await batched.shutdown();
    await asyncFxc.close();
  } finally {
    await stop();
  }
}

if (isMain(import.meta.url)) await pythonExamples();
