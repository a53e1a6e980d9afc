import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { EndpointOptions } from '../EndpointOptions.js';
import type { ClusterOptions } from '../engine/ClusterOptions.js';
import { parseWalltime } from '../providers/walltime.js';
import { EndpointConfigError } from './EndpointConfigError.js';
import { endpointConfigSchema, type EndpointConfigFile } from './endpointConfigSchema.js';

/** An endpoint's configuration file, read and checked. */
export interface EndpointConfig {
  /** The service URL, when the file gives it. */
  readonly service?: string;
  /** The endpoint id, when the file gives it. */
  readonly endpointId?: string;
  /** The secret file's path (relative paths are the config file's), when the file gives it. */
  readonly secretFile?: string;
  /** Everything else, as {@link Endpoint.start} takes it. */
  readonly options: Omit<EndpointOptions, 'serviceUrl' | 'endpointId' | 'secret'>;
}

/**
 * Reads an endpoint's configuration file: YAML (`.yaml`, `.yml`, or anything not `.json`) or
 * JSON, checked against {@link endpointConfigSchema}. Relative paths in it (`secret_file`,
 * `run_dir`) are taken from the file's folder.
 *
 * @param file - the file's path
 * @returns the service, endpoint id, secret file, and the endpoint's options
 * @throws {@link EndpointConfigError} listing every problem, with the key at fault
 * @example
 * ```ts
 * const config = await loadEndpointConfig('endpoint.yaml');
 * await Endpoint.start({ serviceUrl: config.service!, endpointId: config.endpointId!, secret, ...config.options });
 * ```
 */
export async function loadEndpointConfig(file: string): Promise<EndpointConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new EndpointConfigError(file, [`cannot be read: ${(error as Error).message}`], error);
  }
  return parseEndpointConfig(text, file);
}

/**
 * Checks the text of an endpoint's configuration file (see {@link loadEndpointConfig}).
 *
 * @param text - the file's text
 * @param file - its path: says whether it is JSON, and where relative paths start
 * @returns the configuration
 * @throws {@link EndpointConfigError} listing every problem
 */
export function parseEndpointConfig(text: string, file: string): EndpointConfig {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new EndpointConfigError(file, [`is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`], error);
  }
  const parsed = endpointConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new EndpointConfigError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(top level)' : issue.path.join('.')}: ${issue.message}`),
      parsed.error,
    );
  }
  return toConfig(parsed.data, dirname(resolve(file)));
}

function toConfig(c: EndpointConfigFile, base: string): EndpointConfig {
  const engine = c.engine;
  const options: EndpointConfig['options'] = {
    ...(c.task_timeout_ms === undefined ? {} : { taskTimeoutMs: c.task_timeout_ms }),
    ...(c.max_result_bytes === undefined ? {} : { maxResultBytes: c.max_result_bytes }),
    ...(c.prefetch === undefined ? {} : { prefetch: c.prefetch }),
    ...(c.python === undefined ? {} : { python: c.python }),
    ...(c.python_memory_mb === undefined ? {} : { pythonMemoryMb: c.python_memory_mb }),
    ...(engine?.type === 'local' && engine.workers !== undefined ? { workers: engine.workers } : {}),
    ...(engine?.type === 'local' && engine.python_workers !== undefined ? { pythonWorkers: engine.python_workers } : {}),
    ...(engine?.type === 'cluster' ? { cluster: toCluster(engine, base) } : {}),
  };
  return {
    ...(c.service === undefined ? {} : { service: c.service }),
    ...(c.endpoint_id === undefined ? {} : { endpointId: c.endpoint_id }),
    ...(c.secret_file === undefined ? {} : { secretFile: resolve(base, c.secret_file) }),
    options,
  };
}

function toCluster(engine: Extract<NonNullable<EndpointConfigFile['engine']>, { type: 'cluster' }>, base: string): ClusterOptions {
  const p = engine.provider;
  const blocks = {
    ...(p.init_blocks === undefined ? {} : { initBlocks: p.init_blocks }),
    ...(p.min_blocks === undefined ? {} : { minBlocks: p.min_blocks }),
    ...(p.max_blocks === undefined ? {} : { maxBlocks: p.max_blocks }),
    ...(p.parallelism === undefined ? {} : { parallelism: p.parallelism }),
    ...(p.walltime === undefined ? {} : { walltimeMs: parseWalltime(p.walltime)! }),
    ...(p.worker_init === undefined ? {} : { workerInit: p.worker_init }),
  };
  const provider: ClusterOptions['provider'] =
    p.type === 'local'
      ? { type: 'local', ...blocks }
      : {
          type: 'slurm',
          ...blocks,
          ...(p.partition === undefined ? {} : { partition: p.partition }),
          ...(p.account === undefined ? {} : { account: p.account }),
          ...(p.qos === undefined ? {} : { qos: p.qos }),
          ...(p.nodes_per_block === undefined ? {} : { nodesPerBlock: p.nodes_per_block }),
          ...(p.cores_per_node === undefined ? {} : { coresPerNode: p.cores_per_node }),
          ...(p.mem_per_node === undefined ? {} : { memPerNodeGb: p.mem_per_node }),
          ...(p.exclusive === undefined ? {} : { exclusive: p.exclusive }),
          ...(p.scheduler_options === undefined ? {} : { schedulerOptions: p.scheduler_options }),
        };
  const ms = (s: number | undefined): number | undefined => (s === undefined ? undefined : Math.round(s * 1000));
  const interchange = engine.interchange;
  return {
    provider,
    ...(engine.workers_per_node === undefined ? {} : { workersPerNode: engine.workers_per_node }),
    ...(engine.python_workers_per_node === undefined ? {} : { pythonWorkersPerNode: engine.python_workers_per_node }),
    ...(engine.max_retries_on_system_failure === undefined ? {} : { maxRetriesOnSystemFailure: engine.max_retries_on_system_failure }),
    ...(engine.strategy === undefined ? {} : { strategy: engine.strategy }),
    ...(engine.strategy_period === undefined ? {} : { strategyPeriodMs: ms(engine.strategy_period)! }),
    ...(engine.max_idletime === undefined ? {} : { maxIdleTimeMs: ms(engine.max_idletime)! }),
    ...(engine.block_error_threshold === undefined ? {} : { blockErrorThreshold: engine.block_error_threshold }),
    ...(engine.heartbeat_period === undefined ? {} : { heartbeatMs: ms(engine.heartbeat_period)! }),
    ...(interchange === undefined
      ? {}
      : {
          interchange: {
            ...(interchange.host === undefined ? {} : { host: interchange.host }),
            ...(interchange.address === undefined ? {} : { address: interchange.address }),
            ...(interchange.port === undefined ? {} : { port: interchange.port }),
          },
        }),
    ...(engine.run_dir === undefined ? {} : { runDir: resolve(base, engine.run_dir) }),
    ...(engine.manager_command === undefined ? {} : { managerCommand: engine.manager_command }),
  };
}
