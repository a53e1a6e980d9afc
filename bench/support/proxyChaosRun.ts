import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { TaskCancelled } from '../../lib/errors/TaskCancelled.js';
import { FuncXExecutor } from '../../lib/executor/FuncXExecutor.js';
import { FaultProxy, mulberry32 } from '../../spec/support/FaultProxy.js';

/** What one proxy chaos run saw. */
export interface ProxyChaosReport {
  readonly tasks: number;
  /** Faults the two proxies injected: resets, closes, stalls, connections refused in the partition. */
  readonly faults: number;
  readonly endpointKills: number;
  /** Connections the client link refused during its final partition. */
  readonly partitionRefused: number;
  /** Tasks that never settled within the bound. */
  readonly hung: number;
  /** Tasks that settled with an error although nobody cancelled them. */
  readonly lost: number;
  /** Settlements delivered to user code beyond the first. */
  readonly duplicates: number;
  readonly wrong: number;
  readonly cancelsAsked: number;
  /** Cancelled tasks whose outcome for the user differs from the service's final record. */
  readonly cancelDisagreements: number;
  readonly seconds: number;
}

interface ServiceInfo {
  url: string;
  token: string;
  endpointId: string;
  secret: string;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

function start(file: string, args: string[] = []): ChildProcess {
  return fork(here(file), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function startEndpoint(url: string, info: ServiceInfo): Promise<ChildProcess> {
  const child = start('../processes/endpointProcess.ts', [url, info.endpointId, info.secret, '4']);
  await once(child, 'message');
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * The outside chaos run of issue 9: a service process, an endpoint process, and the client in
 * this process, each link through its own {@link FaultProxy}. `tasks` go half through the
 * asynchronous client and half through the executor; with `faults`, both proxies reset, close
 * or stall live connections every 100–400 ms, the endpoint process is SIGKILLed and restarted
 * once, and the client link is partitioned at the end until it heals. `cancels` tasks are
 * cancelled at random times, and their outcomes are compared with the service's records.
 *
 * @param options - task and cancel counts, faults on or off, the seed, the bound on waiting
 * @returns counts of what went wrong (all 0 when exactly-once holds) and the wall time
 */
export async function proxyChaosRun(options: { tasks: number; cancels: number; faults: boolean; seed: number; boundMs?: number }): Promise<ProxyChaosReport> {
  const service = start('../processes/chaosService.ts');
  const [info] = (await once(service, 'message')) as [ServiceInfo];
  const clientProxy = await FaultProxy.start(info.url);
  const endpointProxy = await FaultProxy.start(info.url);
  let endpoint = await startEndpoint(endpointProxy.url, info);
  let endpointKills = 0;
  const reconnect = { initialDelayMs: 20, maxDelayMs: 500 };
  const fxc = new FuncXClient({ serviceUrl: clientProxy.url, token: info.token, asynchronous: true, batchInterval: 10, batchSize: 1000, reconnect });
  const executor = new FuncXExecutor(new FuncXClient({ serviceUrl: clientProxy.url, token: info.token, reconnect }), { endpointId: info.endpointId, batchSize: 1000 });
  const double = async (x: number): Promise<number> => {
    if (x % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    return x * 2;
  };
  const functionId = await fxc.registerFunction(double);
  // The executor registers on first use; one warm-up call does it before the faults start.
  await executor.submit(double, 0);
  const random = mulberry32(options.seed);
  const n = options.tasks;
  const deliveries = new Array<number>(n).fill(0);
  const ids = new Array<string>(n);
  const outcomes = new Array<{ value: unknown } | { error: unknown } | undefined>(n);
  const cancelAt = new Map<number, number>();
  while (cancelAt.size < options.cancels) cancelAt.set(Math.floor(random() * n), Math.floor(random() * 3000));
  let settled = 0;
  let wrong = 0;
  let allSettled: () => void = () => {};
  const done = new Promise<void>((resolve) => (allSettled = resolve));
  const onSettled = (): void => {
    if (++settled === n) allSettled();
  };
  const timers: NodeJS.Timeout[] = [];
  if (options.faults) {
    clientProxy.startChaos({ seed: options.seed + 1, minMs: 100, maxMs: 400, stallMs: 300 });
    endpointProxy.startChaos({ seed: options.seed + 2, minMs: 100, maxMs: 400, stallMs: 300 });
  }
  const started = performance.now();
  let killDone = false;
  let partitionDone = false;
  const milestones = setInterval(() => {
    if (!options.faults) return;
    if (!killDone && settled >= n * 0.4) {
      killDone = true;
      endpointKills++;
      endpoint.kill('SIGKILL');
      void sleep(300).then(async () => (endpoint = await startEndpoint(endpointProxy.url, info)));
    }
    if (!partitionDone && settled >= n * 0.85) {
      partitionDone = true;
      clientProxy.stopChaos();
      clientProxy.partition();
      timers.push(setTimeout(() => clientProxy.heal(), 1500));
    }
  }, 20);

  for (let i = 0; i < n; i += 1000) {
    for (let x = i; x < Math.min(n, i + 1000); x++) {
      const record = (outcome: { value: unknown } | { error: unknown }): void => {
        if ('value' in outcome) {
          deliveries[x]!++;
          if (outcome.value !== x * 2) wrong++;
        }
        if (outcomes[x] === undefined) {
          outcomes[x] = outcome;
          onSettled();
        } else if ('error' in outcome) deliveries[x]!++;
      };
      const viaExecutor = x % 2 === 1;
      const task = viaExecutor ? executor.submit(double, x) : fxc.run({ functionId, endpointId: info.endpointId }, x);
      ids[x] = task.taskId;
      const observable = viaExecutor ? (task as ReturnType<typeof executor.submit<typeof double>>).asObservable() : (task as ReturnType<typeof fxc.run<typeof double>>);
      observable.subscribe({ next: (value) => record({ value }), error: (error: unknown) => record({ error }) });
      const delay = cancelAt.get(x);
      if (delay !== undefined) timers.push(setTimeout(() => task.cancel(new Error('bench cancel')), delay));
    }
    await sleep(50);
  }
  const bound = options.boundMs ?? 180_000;
  const waited = new AbortController();
  await Promise.race([done, sleep(bound, undefined, { signal: waited.signal }).catch(() => undefined)]);
  waited.abort();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(milestones);
  for (const timer of timers) clearTimeout(timer);
  clientProxy.stopChaos();
  endpointProxy.stopChaos();
  clientProxy.heal();

  // The service's own records, read directly (not through the proxy).
  let cancelDisagreements = 0;
  const cancelled = [...cancelAt.keys()];
  for (let i = 0; i < cancelled.length; i += 1024) {
    const chunk = cancelled.slice(i, i + 1024);
    const response = await fetch(`${info.url}/v2/batch_status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task_ids: chunk.map((x) => ids[x]) }),
    });
    const { results } = (await response.json()) as { results: Record<string, { status: string }> };
    for (const x of chunk) {
      const status = results[ids[x]!]?.status;
      const outcome = outcomes[x];
      const sawCancel = outcome !== undefined && 'error' in outcome && outcome.error instanceof TaskCancelled;
      const sawValue = outcome !== undefined && 'value' in outcome;
      // Cancelled before it was posted: the service never knew it ("Failed": unknown id).
      const agrees = (sawCancel && (status === 'cancelled' || status === 'Failed')) || (sawValue && status === 'success');
      if (!agrees) cancelDisagreements++;
    }
  }
  const lost = outcomes.filter((o, x) => o !== undefined && 'error' in o && !cancelAt.has(x)).length;
  const report: ProxyChaosReport = {
    tasks: n,
    faults: [clientProxy, endpointProxy].reduce((sum, p) => sum + p.counters.resets + p.counters.closes + p.counters.stalls + p.counters.refused, 0),
    endpointKills,
    partitionRefused: clientProxy.counters.refused,
    hung: outcomes.filter((o) => o === undefined).length,
    lost,
    duplicates: deliveries.reduce((sum, d) => sum + Math.max(0, d - 1), 0),
    wrong,
    cancelsAsked: options.cancels,
    cancelDisagreements,
    seconds,
  };
  await fxc.close({ cancel: true });
  await executor.shutdown({ cancelFutures: true });
  await stop(endpoint);
  await stop(service);
  await clientProxy.close();
  await endpointProxy.close();
  return report;
}
