import { startLocalService } from '../local/startLocalService.js';
import { FuncXService } from '../service/FuncXService.js';
import type { FuncXServiceOptions } from '../service/FuncXServiceOptions.js';
import type { Logger } from '../service/log.js';
import { cliLogger } from './cliLogger.js';
import { serviceLimitsOf } from './serviceLimitOptions.js';
import { untilSignal } from './untilSignal.js';

/** The options `funcx-rx serve` takes (and every limit flag of `SERVICE_LIMITS`). */
export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly workers?: number;
  readonly taskTimeout?: number;
  readonly maxResultBytes?: number;
  readonly json?: boolean;
  readonly redis?: string;
  readonly pingInterval?: number;
  readonly cors?: readonly string[];
  /** pino's level; default `FUNCX_LOG_LEVEL`, else `info`. */
  readonly logLevel?: string;
  /** Serve Prometheus metrics on this port (0: a free one). */
  readonly metricsPort?: number;
  /** The metrics port's interface. */
  readonly metricsHost: string;
  readonly amqpUrl?: string;
  readonly amqpManagementUrl?: string;
  readonly amqpClientUrl?: string;
  readonly pythonPath?: readonly string[];
  readonly sandboxDir?: string;
  readonly [limit: string]: unknown;
}

/**
 * `funcx-rx serve`: starts the service and a local endpoint, prints where they are, and serves
 * until SIGINT or SIGTERM, then stops cleanly (exit code 0). Logs go to stderr at `info` (JSON
 * lines, or readable lines in a terminal); stdout has only the banner or the `--json` line.
 *
 * @param options - the parsed command-line options
 * @returns when stopped
 * @example
 * ```sh
 * funcx-rx serve --port 8080 --workers 8 --json --cors http://localhost:4200 --metrics-port 9464
 * ```
 */
export async function serveCommand(options: ServeOptions): Promise<void> {
  const logger = cliLogger(options.logLevel, 'info');
  const service: FuncXServiceOptions = {
    ...serviceLimitsOf(options),
    logger,
    cors: options.cors ?? [],
    ...(options.pingInterval === undefined ? {} : { pingIntervalMs: options.pingInterval }),
    ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
    ...(options.metricsPort === undefined ? {} : { metrics: { port: options.metricsPort, host: options.metricsHost } }),
    ...amqpOf(options),
  };
  if (options.redis !== undefined) return serveReplica(options, options.redis, service, logger);
  const local = await startLocalService({
    host: options.host,
    port: options.port,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.taskTimeout === undefined ? {} : { taskTimeoutMs: options.taskTimeout }),
    ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
    ...(options.pythonPath === undefined ? {} : { pythonPath: options.pythonPath }),
    ...(options.sandboxDir === undefined ? {} : { sandboxDir: options.sandboxDir }),
    service,
  });
  // Listening before the banner: a signal sent as soon as it is read must find a handler.
  const stop = untilSignal();
  const metricsUrl = local.service.metricsUrl;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ url: local.url, token: local.token, endpoint_id: local.endpointId, ...(metricsUrl === null ? {} : { metrics_url: metricsUrl }) })}\n`);
  } else {
    process.stdout.write(
      `funcx-rx service listening${metricsUrl === null ? '' : ` (metrics at ${metricsUrl})`}\n  export FUNCX_SERVICE_URL=${local.url}\n  export FUNCX_TOKEN=${local.token}\n  export FUNCX_ENDPOINT_ID=${local.endpointId}\nStop with Ctrl-C.\n`,
    );
  }
  const signal = await stop;
  logger.info({ signal }, 'stopping');
  await local.stop();
}

/** One replica on a shared Redis: no local endpoint and no new credentials (they live in the store). */
async function serveReplica(options: ServeOptions, redis: string, service: FuncXServiceOptions, logger: Logger): Promise<void> {
  const replica = await FuncXService.start({ ...service, host: options.host, port: options.port, redis });
  // Listening before the banner: a signal sent as soon as it is read must find a handler.
  const stop = untilSignal();
  const metricsUrl = replica.metricsUrl;
  process.stdout.write(options.json
    ? `${JSON.stringify({ url: replica.url, ...(metricsUrl === null ? {} : { metrics_url: metricsUrl }) })}\n`
    : `funcx-rx replica listening${metricsUrl === null ? '' : ` (metrics at ${metricsUrl})`}\n  export FUNCX_SERVICE_URL=${replica.url}\nStop with Ctrl-C.\n`);
  const signal = await stop;
  logger.info({ signal }, 'stopping');
  await replica.close();
}

/** The AMQP result transport the flags ask for; both URLs are needed, or neither. */
function amqpOf(options: ServeOptions): Pick<FuncXServiceOptions, 'amqp'> {
  if (options.amqpUrl === undefined && options.amqpManagementUrl === undefined) return {};
  if (options.amqpUrl === undefined || options.amqpManagementUrl === undefined) {
    throw new TypeError('Expected both `--amqp-url` and `--amqp-management-url` (RabbitMQ\'s AMQP and management URLs), got only one');
  }
  const secret = process.env.FUNCX_AMQP_SECRET;
  return {
    amqp: {
      url: options.amqpUrl,
      managementUrl: options.amqpManagementUrl,
      ...(options.amqpClientUrl === undefined ? {} : { clientUrl: options.amqpClientUrl }),
      ...(secret === undefined || secret === '' ? {} : { credentialSecret: secret }),
    },
  };
}
