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
  /**
   * Starts following the service's TCP connections (only with `socketEvents`): those it accepts
   * from now on, and which of them it has closed.
   */
  watchConnections(): Promise<ConnectionWatch>;
}

/** The service's side of the TCP connections it accepts after the watch began. */
export interface ConnectionWatch {
  /**
   * Resolves once the service has closed the first `count` connections it accepted since the
   * watch began; rejects if the process exits first. Ends the watch.
   */
  closed(count: number): Promise<void>;
}

/** What the child tells its parent with `socketEvents` (spec/support/serviceMain.ts). */
type SocketEvent = { accepted: number } | { closed: number };

const MAIN = fileURLToPath(new URL('./serviceMain.ts', import.meta.url));

/**
 * Starts a service in its own Node process (through tsx) and waits for it to listen.
 *
 * @param options - the service's options (JSON-serializable ones)
 * @param spec - `socketEvents`: the child reports each connection it accepts and closes, for {@link ServiceProcess.watchConnections}
 * @returns the running service
 */
export async function startServiceProcess(options: Omit<FuncXServiceOptions, 'stores'> = {}, spec: { socketEvents?: boolean } = {}): Promise<ServiceProcess> {
  const socketEvents = spec.socketEvents === true;
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, FUNCX_SERVICE_OPTIONS: JSON.stringify(options), FUNCX_SPEC_SOCKET_EVENTS: socketEvents ? '1' : '0' },
    stdio: socketEvents ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
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
    watchConnections: async () => {
      if (!socketEvents) throw new Error('watchConnections needs startServiceProcess(options, { socketEvents: true })');
      // Connections are numbered in the order the service accepted them; those after `since` are the watch's.
      const closed = new Set<number>();
      let wake: (() => void) | null = null;
      let answer: ((accepted: number) => void) | null = null;
      const onEvent = (event: SocketEvent): void => {
        if ('accepted' in event) return answer?.(event.accepted);
        closed.add(event.closed);
        wake?.();
      };
      child.on('message', onEvent);
      const since = await new Promise<number>((resolve) => {
        answer = resolve;
        child.send('accepted?');
      });
      return {
        closed: async (count) => {
          const exited = (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit')).then(() => {
            throw new Error(`the service process exited before closing ${count} connections: ${stderr}`);
          });
          // Only the race below reads this rejection; marked handled so that a wait that ends first leaves no unhandled one.
          exited.catch(() => {});
          const done = (): boolean => Array.from({ length: count }, (_, i) => since + 1 + i).every((n) => closed.has(n));
          try {
            while (!done()) await Promise.race([new Promise<void>((resolve) => (wake = resolve)), exited]);
          } finally {
            wake = null;
            child.off('message', onEvent);
          }
        },
      };
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
