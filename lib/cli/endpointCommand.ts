import { readFile, stat } from 'node:fs/promises';
import { loadEndpointConfig, type EndpointConfig } from '../endpoint/config/loadEndpointConfig.js';
import { ClusterEngine, type ClusterEvent } from '../endpoint/engine/ClusterEngine.js';
import { EndpointMetrics } from '../endpoint/EndpointMetrics.js';
import { MetricsServer } from '../service/metrics/MetricsServer.js';
import type { Language } from '../serialize/codeLanguage.js';
import { Endpoint } from '../endpoint/Endpoint.js';
import { cliLogger } from './cliLogger.js';
import { untilSignal } from './untilSignal.js';

/** The options `funcx-rx endpoint` takes. */
export interface EndpointCommandOptions {
  /** The configuration file: service, id, engine and provider; the other options override it. */
  readonly config?: string;
  readonly service?: string;
  readonly endpointId?: string;
  readonly secretFile?: string;
  /** Deprecated: `ps` shows it to every user of the machine. */
  readonly secret?: string;
  readonly workers?: number;
  readonly taskTimeout?: number;
  readonly maxResultBytes?: number;
  readonly python?: string;
  readonly pythonWorkers?: number;
  readonly prefetch?: number;
  /** Directories its Python workers import from. */
  readonly pythonPath?: readonly string[];
  /** Where it makes each Python task's sandbox directory. */
  readonly sandboxDir?: string;
  /** Serve the endpoint's Prometheus metrics on this port (0: a free one). */
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  /** pino's level; default `FUNCX_LOG_LEVEL`, else `info`. */
  readonly logLevel?: string;
}

function fail(message: string, code: number): void {
  process.stderr.write(`funcx-rx endpoint: ${message}\n`);
  process.exitCode = code;
}

/** The secret from the file, the environment, or (deprecated) the command line, in that order. */
async function readSecret(options: EndpointCommandOptions, secretFile: string | undefined): Promise<string | undefined> {
  if (secretFile !== undefined) {
    const mode = (await stat(secretFile)).mode;
    if ((mode & 0o077) !== 0) process.stderr.write(`funcx-rx endpoint: warning: ${secretFile} can be read by other users (chmod 600 it)\n`);
    return (await readFile(secretFile, 'utf8')).trim();
  }
  if (process.env.FUNCX_ENDPOINT_SECRET) return process.env.FUNCX_ENDPOINT_SECRET;
  if (options.secret !== undefined) {
    process.stderr.write('funcx-rx endpoint: warning: --secret is deprecated: `ps` shows it to every user; use FUNCX_ENDPOINT_SECRET or --secret-file\n');
    return options.secret;
  }
  return undefined;
}

/**
 * `funcx-rx endpoint`: runs an endpoint for a service elsewhere until SIGINT or SIGTERM. It keeps
 * trying to connect, the first time too, and says on stderr why each attempt failed; when it
 * stops by itself (the service refuses its credentials) it says why and exits 1. With
 * `--config`, the file gives the service, the id, the secret file, and the engine: the local
 * pool, or blocks from a provider (each block's changes are printed as they happen). A file
 * that is not valid is refused before anything starts, with every problem listed (exit 2).
 *
 * @param options - the parsed command-line options
 * @returns when stopped
 * @example
 * ```sh
 * FUNCX_ENDPOINT_SECRET=... funcx-rx endpoint --service http://10.0.0.5:8080 --endpoint-id 3f... --workers 8
 * funcx-rx endpoint --config ~/.funcx-rx/slurm-endpoint.yaml
 * ```
 */
export async function endpointCommand(options: EndpointCommandOptions): Promise<void> {
  let config: EndpointConfig = { options: {} };
  if (options.config !== undefined) {
    try {
      config = await loadEndpointConfig(options.config);
    } catch (error) {
      return fail((error as Error).message, 2);
    }
  }
  const service = options.service ?? config.service;
  const endpointId = options.endpointId ?? config.endpointId;
  if (service === undefined || endpointId === undefined) return fail(`give the ${service === undefined ? 'service URL (--service or `service:` in the config file)' : 'endpoint id (--endpoint-id or `endpoint_id:` in the config file)'}`, 2);
  let secret: string | undefined;
  try {
    secret = await readSecret(options, options.secretFile ?? config.secretFile);
  } catch (error) {
    return fail(`cannot read the secret file: ${(error as Error).message}`, 2);
  }
  if (!secret) return fail('give the endpoint secret in FUNCX_ENDPOINT_SECRET or with --secret-file <path> (or `secret_file:` in the config file)', 2);
  const logger = cliLogger(options.logLevel, 'info').child({ endpointId });
  let running: Endpoint | null = null;
  const metrics = options.metricsPort === undefined ? undefined : new EndpointMetrics({
    workers: () => byLanguage(running, ({ total, busy }) => ({ total, busy })),
    queued: () => byLanguage(running, ({ queued }) => queued),
  });
  const endpoint = await Endpoint.start({
    ...config.options,
    logger,
    ...(metrics === undefined ? {} : { metrics }),
    serviceUrl: service,
    endpointId,
    secret,
    retryFirstConnection: true,
    onConnectError: (error, retryInMs) => {
      process.stderr.write(`funcx-rx endpoint: cannot connect to ${service}: ${error.message || String(error)}; retrying in ${retryInMs} ms\n`);
    },
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.taskTimeout === undefined ? {} : { taskTimeoutMs: options.taskTimeout }),
    ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
    ...(options.python === undefined ? {} : { python: options.python }),
    ...(options.pythonWorkers === undefined ? {} : { pythonWorkers: options.pythonWorkers }),
    ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }),
    ...(options.pythonPath === undefined ? {} : { pythonPath: options.pythonPath }),
    ...(options.sandboxDir === undefined ? {} : { sandboxDir: options.sandboxDir }),
  });
  running = endpoint;
  // Listening for SIGINT/SIGTERM before saying "connected": a signal sent as soon as that line is
  // read would otherwise find no handler and kill the process at once (exit by signal, no close).
  const signal = untilSignal();
  const metricsServer = metrics === undefined ? null : await MetricsServer.listen(metrics.registry, { port: options.metricsPort!, host: options.metricsHost ?? '127.0.0.1' }, logger.child({ component: 'metrics' }));
  const py = endpoint.languages.python;
  process.stdout.write(`endpoint ${endpointId} connected to ${service}\n`);
  if (metricsServer !== null) process.stdout.write(`metrics at ${metricsServer.url}\n`);
  process.stdout.write(py.available ? `runs JavaScript and Python ${py.version} (${py.executable}${py.dill ? `, dill ${py.dill}` : ', no dill'})\n` : `runs JavaScript only: ${py.reason}\n`);
  const engine = endpoint.engine;
  const events = engine instanceof ClusterEngine ? engine.events$.subscribe((event) => process.stdout.write(`${describe(engine.provider, event)}\n`)) : null;
  if (engine instanceof ClusterEngine) process.stdout.write(`engine: cluster, provider ${engine.provider}\n`);
  const reason = await Promise.race([endpoint.stopped, signal.then(() => undefined)]);
  if (reason !== undefined) {
    events?.unsubscribe();
    await metricsServer?.close();
    return fail(`stopped: ${reason.message}`, 1);
  }
  await endpoint.close();
  await metricsServer?.close();
  events?.unsubscribe();
}

/** One line per block change, as `block 3 (slurm job 41): running`. */
function describe(provider: string, event: ClusterEvent): string {
  switch (event.type) {
    case 'block':
      return `block ${event.blockId}${event.jobId === null ? '' : ` (${provider} job ${event.jobId})`}: ${event.state}${event.manager ? ` on ${event.manager.host}, manager pid ${event.manager.pid}` : ''}${event.message ? ` (${event.message})` : ''}`;
    case 'requeued':
      return `block ${event.blockId} lost ${event.taskIds.length} running task(s): sent to other blocks`;
    case 'lost':
      return `block ${event.blockId} lost ${event.taskIds.length} task(s) past max_retries_on_system_failure: they failed`;
    case 'unavailable':
      return `no block can start; tasks fail until the endpoint is restarted: ${event.reason}`;
  }
}

/** A figure of the running endpoint per language (zeros before it runs). */
function byLanguage<T>(endpoint: Endpoint | null, pick: (load: { total: number; busy: number; queued: number }) => T): Record<Language, T> {
  const load = endpoint?.loadByLanguage() ?? { javascript: { total: 0, busy: 0, queued: 0 }, python: { total: 0, busy: 0, queued: 0 } };
  return { javascript: pick(load.javascript), python: pick(load.python) };
}
