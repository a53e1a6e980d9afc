import { startLocalService } from '../local/startLocalService.js';
import { FuncXService } from '../service/FuncXService.js';
import { untilSignal } from './untilSignal.js';

/** The options `funcx-rx serve` takes. */
export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly workers?: number;
  readonly taskTimeout?: number;
  readonly json?: boolean;
  readonly redis?: string;
  readonly pingInterval?: number;
  readonly cors?: readonly string[];
}

/**
 * `funcx-rx serve`: starts the service and a local endpoint, prints where they are, and serves
 * until SIGINT or SIGTERM, then stops cleanly (exit code 0).
 *
 * @param options - the parsed command-line options
 * @returns when stopped
 * @example
 * ```sh
 * funcx-rx serve --port 8080 --workers 8 --json --cors http://localhost:4200
 * ```
 */
export async function serveCommand(options: ServeOptions): Promise<void> {
  if (options.redis !== undefined) return serveReplica(options, options.redis);
  const local = await startLocalService({
    host: options.host,
    port: options.port,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.taskTimeout === undefined ? {} : { taskTimeoutMs: options.taskTimeout }),
    cors: options.cors ?? [],
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ url: local.url, token: local.token, endpoint_id: local.endpointId })}\n`);
  } else {
    process.stdout.write(
      `funcx-rx service listening\n  FUNCX_SERVICE_URL=${local.url}\n  FUNCX_TOKEN=${local.token}\n  FUNCX_ENDPOINT_ID=${local.endpointId}\nStop with Ctrl-C.\n`,
    );
  }
  const signal = await untilSignal();
  if (!options.json) process.stderr.write(`${signal}: stopping\n`);
  await local.stop();
}

/** One replica on a shared Redis: no local endpoint and no new credentials (they live in the store). */
async function serveReplica(options: ServeOptions, redis: string): Promise<void> {
  const service = await FuncXService.start({ host: options.host, port: options.port, redis, cors: options.cors ?? [], ...(options.pingInterval === undefined ? {} : { pingIntervalMs: options.pingInterval }) });
  process.stdout.write(options.json ? `${JSON.stringify({ url: service.url })}\n` : `funcx-rx replica listening\n  FUNCX_SERVICE_URL=${service.url}\nStop with Ctrl-C.\n`);
  const signal = await untilSignal();
  if (!options.json) process.stderr.write(`${signal}: stopping\n`);
  await service.close();
}
