import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** A service (with its local endpoint) running in a child process. */
export interface ChildService {
  readonly url: string;
  readonly token: string;
  readonly endpointId: string;
  readonly process: ChildProcess;
  /** Stops the service and waits for the process to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `serviceProcess.ts` in a child process and waits for its URL and credentials.
 *
 * @param workers - worker threads of its endpoint
 * @returns the running service
 */
export async function startChildService(workers = 4): Promise<ChildService> {
  const child = fork(fileURLToPath(new URL('./localServiceProcess.ts', import.meta.url)), [String(workers)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [info] = (await once(child, 'message')) as [{ url: string; token: string; endpointId: string }];
  let stopping: Promise<void> | null = null;
  return {
    ...info,
    process: child,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null) return;
        const exited = once(child, 'exit');
        child.send('stop');
        await exited;
      })()),
  };
}
