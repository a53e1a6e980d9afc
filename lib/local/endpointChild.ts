/**
 * The entry of a local endpoint's own process ({@link LocalEndpoint} forks it). It takes its
 * options, secret included, in the first IPC message (never argv, which `ps` shows), runs an
 * {@link Endpoint}, and reports to its parent which tasks are running, so that if a function
 * kills this process the parent can tell the next one which tasks to fail. It stops when told
 * to, or when the parent goes away.
 */
import { Endpoint } from '../endpoint/Endpoint.js';
import type { EndpointOptions } from '../endpoint/EndpointOptions.js';

/** Parent to child. */
export type ToEndpointChild =
  | { readonly type: 'start'; readonly options: Omit<EndpointOptions, 'onConnectError' | 'onTaskRunning'> }
  | { readonly type: 'stop' };

/** Child to parent. */
export type FromEndpointChild =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'running'; readonly started: string[]; readonly ended: string[] }
  | { readonly type: 'stopped'; readonly reason: string; readonly auth: boolean };

function send(message: FromEndpointChild): void {
  if (process.connected) process.send?.(message);
}

let ended: string[] = [];
let reportScheduled = false;

/** How long ends wait to go to the parent together. */
const ENDS_EVERY_MS = 20;

/**
 * Starts go to the parent at once, before the workers get the tasks (the IPC write reaches the
 * pipe synchronously, so a function that kills this process at once is still known). Ends wait a
 * moment and go together, sparing the parent a wake-up per task: an end told late only means
 * that, if this process dies meanwhile, the next one fails a task whose result was already sent,
 * and the service keeps the first result.
 */
function report(taskIds: readonly string[], running: boolean): void {
  if (running) return send({ type: 'running', started: [...taskIds], ended: [] });
  for (const id of taskIds) ended.push(id);
  if (reportScheduled) return;
  reportScheduled = true;
  setTimeout(() => {
    reportScheduled = false;
    send({ type: 'running', started: [], ended });
    ended = [];
  }, ENDS_EVERY_MS).unref();
}

let endpoint: Endpoint | null = null;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Still trying its first connection: nothing to close, only a retry timer to end.
  if (endpoint === null) process.exit(code);
  await endpoint.close();
  process.exitCode = code;
  if (process.connected) process.disconnect();
}

process.on('message', (message: ToEndpointChild) => {
  if (message.type === 'stop') {
    void stop(0);
    return;
  }
  if (message.type !== 'start' || endpoint !== null || stopping) return;
  Endpoint.start({ ...message.options, retryFirstConnection: true, onTaskRunning: report }).then(
    (started) => {
      endpoint = started;
      if (stopping) return void started.close();
      send({ type: 'ready', pid: process.pid });
      void started.stopped.then((reason) => {
        if (reason === undefined) return;
        send({ type: 'stopped', reason: reason.message, auth: reason.name === 'EndpointAuthError' });
        void stop(1);
      });
    },
    (error: unknown) => {
      send({ type: 'stopped', reason: error instanceof Error ? error.message : String(error), auth: error instanceof Error && error.name === 'EndpointAuthError' });
      void stop(1);
    },
  );
});

// The parent went away (stopped or killed): nobody is left to serve.
process.on('disconnect', () => void stop(0));
