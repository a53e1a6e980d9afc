// funcX's "existing model": submit a task, then poll over HTTP until its result is there.
import { setTimeout as sleep } from 'node:timers/promises';
import { FuncXClient, TaskPending } from 'funcx-rx';
import { connect } from './support/connect.js';
import { doubleDelayed } from './support/doubleDelayed.js';
import { isMain } from './support/isMain.js';

export async function existingModel(): Promise<void> {
  const { serviceUrl, token, endpointId, stop } = await connect();
  try {
    const fxc = new FuncXClient({ serviceUrl, token });
    const functionId = await fxc.registerFunction(doubleDelayed);

    const x = 50;
    const taskId = await fxc.run({ functionId, endpointId }, x);

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
  } finally {
    await stop();
  }
}

if (isMain(import.meta.url)) await existingModel();
