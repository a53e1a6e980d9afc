import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FuncXServiceOptions } from '../../lib/service/FuncXServiceOptions.js';

/** A service running in a child process, and what a spec needs to use it. */
export interface ServiceProcess {
  readonly url: string;
  readonly token: string;
  readonly userId: string;
  readonly endpointId: string;
  readonly secret: string;
  readonly child: ChildProcess;
  /** Whether the process is still running (it never exits on its own). */
  alive(): boolean;
  /** What it wrote to stderr (a crash's stack trace lands here). */
  stderr(): string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./serviceMain.ts', import.meta.url));

/**
 * Starts a service in its own Node process (through tsx) and waits for it to listen.
 *
 * @param options - the service's options (JSON-serializable ones)
 * @returns the running service
 */
export async function startServiceProcess(options: Omit<FuncXServiceOptions, 'stores'> = {}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, FUNCX_SERVICE_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => {
      throw new Error(`the service process exited before listening: ${stderr}`);
    }),
  ])) as [string];
  const info = JSON.parse(first) as { url: string; token: string; userId: string; endpointId: string; secret: string };
  return {
    ...info,
    child,
    alive: () => child.exitCode === null && child.signalCode === null,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
