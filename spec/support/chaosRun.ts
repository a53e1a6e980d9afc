import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { startLocalService } from '../../lib/local/startLocalService.js';

/** What a chaos run saw. */
export interface ChaosReport {
  readonly tasks: number;
  readonly resultSocketDrops: number;
  readonly endpointDrops: number;
  /** Tasks whose user code never got a value. */
  readonly lost: number;
  /** Values delivered to user code more than once (extra deliveries). */
  readonly duplicates: number;
  /** Values that were not the function's result for their input. */
  readonly wrong: number;
  readonly seconds: number;
}

/**
 * Runs `tasks` no-op-ish tasks through the asynchronous client while (with `faults`) the
 * service drops the client's result socket every `dropEveryMs` and the endpoint's connection
 * twice, and counts what reached user code.
 */
export async function chaosRun(options: { tasks: number; faults: boolean; dropEveryMs?: number; workers?: number }): Promise<ChaosReport> {
  const local = await startLocalService({ workers: options.workers ?? 2 });
  const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true, batchInterval: 10, batchSize: 1000, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
  let resultSocketDrops = 0;
  let endpointDrops = 0;
  const timers: NodeJS.Timeout[] = [];
  try {
    const functionId = await fxc.registerFunction(async (x: number) => {
      if (x % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      return x * 2;
    });
    const deliveries = new Array<number>(options.tasks).fill(0);
    let wrong = 0;
    let done = 0;
    // The endpoint's connection drops twice, at a fifth and at three fifths of the run, however fast it goes.
    const endpointDropsAt = new Set([Math.floor(options.tasks / 5), Math.floor((options.tasks * 3) / 5)]);
    const onSettled = (): void => {
      if (options.faults && endpointDropsAt.has(++done)) endpointDrops += local.service.dropEndpointSockets();
    };
    const start = performance.now();
    const settled = Array.from({ length: options.tasks }, (_, i) => {
      const task = fxc.run({ functionId, endpointId: local.endpointId }, i);
      return new Promise<void>((resolve) => {
        task.subscribe({
          next: (value) => {
            deliveries[i]!++;
            if (value !== i * 2) wrong++;
          },
          error: () => {
            onSettled();
            resolve();
          },
          complete: () => {
            onSettled();
            resolve();
          },
        });
      });
    });
    if (options.faults) {
      timers.push(setInterval(() => (resultSocketDrops += local.service.dropResultSockets()), options.dropEveryMs ?? 200));
    }
    await Promise.all(settled);
    const seconds = (performance.now() - start) / 1000;
    return {
      tasks: options.tasks,
      resultSocketDrops,
      endpointDrops,
      lost: deliveries.filter((n) => n === 0).length,
      duplicates: deliveries.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      wrong,
      seconds,
    };
  } finally {
    for (const timer of timers) clearInterval(timer);
    await fxc.close({ cancel: true });
    await local.stop();
  }
}
