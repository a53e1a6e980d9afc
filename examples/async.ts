// funcX's async API: `run` gives something to await; a WebSocket is open while tasks are outstanding.
import { FuncXClient } from 'funcx-rx';
import { connect } from './support/connect.js';
import { doubleDelayed } from './support/doubleDelayed.js';
import { isMain } from './support/isMain.js';

export async function asyncApi(): Promise<void> {
  const { serviceUrl, token, endpointId, stop } = await connect();
  try {
    const fxc = new FuncXClient({ serviceUrl, token, asynchronous: true });
    const functionId = await fxc.registerFunction(doubleDelayed);

    async function task(): Promise<void> {
      const x = 50;
      const result = await fxc.run({ functionId, endpointId }, x);
      console.log(result);
    }

    await task();
  } finally {
    await stop();
  }
}

if (isMain(import.meta.url)) await asyncApi();
