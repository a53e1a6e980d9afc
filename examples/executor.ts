// funcX's executor: submit a function and its arguments, get a future back.
import { FuncXClient, FuncXExecutor } from 'funcx-rx';
import { connect } from './support/connect.js';
import { doubleDelayed } from './support/doubleDelayed.js';
import { isMain } from './support/isMain.js';

export async function executor(): Promise<void> {
  const { serviceUrl, token, endpointId, stop } = await connect();
  try {
    const fxc = new FuncXClient({ serviceUrl, token });
    const fx = new FuncXExecutor(fxc);

    const x = 50;
    const future = fx.submit({ endpointId }, doubleDelayed, x);
    const result = await future.result();
    console.log(result);

    await fx.shutdown();
  } finally {
    await stop();
  }
}

if (isMain(import.meta.url)) await executor();
