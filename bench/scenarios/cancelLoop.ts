import { FuncXClient, type FunctionId } from 'funcx-rx';
import { startLocalService } from 'funcx-rx/service';
import { progress } from '../support/progress.js';
import type { Row } from '../support/report.js';
import { median, repeat } from '../support/stats.js';

const spin = (): never => {
  for (;;) { /* never returns */ }
};

/** The functions a cancellation run needs: an infinite loop, and an echo to time the freed worker with. */
export interface CancelFunctions {
  readonly spin: FunctionId<() => never>;
  readonly echo: FunctionId<(x: string) => string>;
}

/**
 * From `task.cancel()` on a running infinite loop to the next task's result on the freed (only)
 * worker, with one echo on an idle worker as the baseline.
 *
 * @param register - registers the loop and the echo (JavaScript here; Python in scenario 9)
 * @returns both times, in milliseconds
 */
export async function timeCancel(register: (fxc: FuncXClient<true>) => Promise<CancelFunctions>): Promise<{ freed: number; echo: number }> {
  const local = await startLocalService({ workers: 1 });
  try {
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true, batchInterval: 0 });
    const { spin, echo: echoId } = await register(fxc);
    const target = { functionId: echoId, endpointId: local.endpointId };
    await fxc.run(target, 'warm');
    let start = performance.now();
    await fxc.run(target, 'baseline');
    const echo = performance.now() - start;
    const loop = fxc.run({ functionId: spin, endpointId: local.endpointId });
    loop.catch(() => undefined);
    // The task is posted asynchronously: until the service has it, it is not found.
    while ((await fxc.getTask(loop.taskId).catch(() => null))?.status !== 'running') await new Promise((r) => setTimeout(r, 5));
    start = performance.now();
    loop.cancel();
    await fxc.run(target, 'after');
    return { freed: performance.now() - start, echo };
  } finally {
    await local.stop();
  }
}

const once = () => timeCancel(async (fxc) => ({ spin: await fxc.registerFunction(spin), echo: await fxc.registerFunction((x: string) => x) }));

/** Issue 5's cancellation figure: a running infinite loop's worker is free again within a second. */
export async function cancelLoop(repeats: number): Promise<Row[]> {
  progress(`cancel a running infinite loop: ${repeats} runs`);
  const runs = await repeat(repeats, once);
  const freed = median(runs.map((r) => r.freed));
  return [
    {
      scenario: '7 cancellation',
      metric: 'cancel of a running infinite loop → next task done on the freed worker',
      value: freed,
      unit: 'ms',
      baseline: { name: 'one task on an idle worker', value: median(runs.map((r) => r.echo)) },
      target: { text: '≤ 1000 ms', met: freed <= 1000 },
    },
  ];
}
