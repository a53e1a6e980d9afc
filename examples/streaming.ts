// Streaming results and tasks that wait for tasks (issue 22): a generator's yields reach the
// subscriber while it runs; a task that takes another task as its argument waits for it on the
// service, and gets its result where it runs, without a round trip through this client.
import { FuncXClient } from 'funcx-rx';
import { connect } from './support/connect.js';
import { isMain } from './support/isMain.js';

/** Yields 1, 2, 3 and returns their sum. */
function* countToThree(): Generator<number, number> {
  let sum = 0;
  for (let i = 1; i <= 3; i++) {
    sum += i;
    yield i;
  }
  return sum;
}

const double = (x: number): number => x * 2;

export async function streaming(): Promise<void> {
  const { serviceUrl, token, endpointId, stop } = await connect();
  try {
    const fxc = new FuncXClient({ serviceUrl, token, asynchronous: true });
    const countId = await fxc.registerFunction(countToThree);
    const doubleId = await fxc.registerFunction(double);

    // Each yield is a value of the task's Observable; awaiting the task gives the return value.
    const counting = fxc.run({ functionId: countId, endpointId });
    counting.subscribe((value) => console.log(`partial ${value}`));
    console.log(`result ${await counting}`);

    // double(double(double(1))): each call takes the previous task as its argument.
    const once = fxc.run({ functionId: doubleId, endpointId }, 1);
    const twice = fxc.run({ functionId: doubleId, endpointId }, once);
    const thrice = fxc.run({ functionId: doubleId, endpointId }, twice);
    console.log(`chain ${await thrice}`);
    await fxc.close();
  } finally {
    await stop();
  }
}

if (isMain(import.meta.url)) await streaming();
