import { z } from 'zod';
import { parseWalltime } from '../providers/walltime.js';

const whole = (min: number) => z.number().int(`Expected a whole number from ${min} and up`).min(min, `Expected a whole number from ${min} and up`);
const seconds = z.number().positive('Expected a number of seconds above 0');
const walltime = z
  .union([z.string(), z.number()])
  .refine((value) => parseWalltime(value) !== undefined, 'Expected a walltime as [days-]hours:minutes:seconds (such as "00:30:00") or seconds above 0');

/** What every provider's blocks share (Parsl's provider options). */
const blockFields = {
  init_blocks: whole(0).optional(),
  min_blocks: whole(0).optional(),
  max_blocks: whole(1).optional(),
  parallelism: z.number().min(0).max(1, 'Expected a number from 0 to 1').optional(),
  walltime: walltime.optional(),
  worker_init: z.string().optional(),
};

const localProvider = z.strictObject({ type: z.literal('local'), ...blockFields });

const slurmProvider = z.strictObject({
  type: z.literal('slurm'),
  ...blockFields,
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  qos: z.string().min(1).optional(),
  nodes_per_block: whole(1).optional(),
  cores_per_node: whole(1).optional(),
  mem_per_node: z.number().positive('Expected GB above 0').optional(),
  exclusive: z.boolean().optional(),
  scheduler_options: z.string().optional(),
});

const localEngine = z.strictObject({
  type: z.literal('local'),
  workers: whole(1).optional(),
  python_workers: whole(1).optional(),
});

const clusterEngine = z.strictObject({
  type: z.literal('cluster'),
  provider: z.discriminatedUnion('type', [localProvider, slurmProvider], { error: 'Expected a provider of type `local` or `slurm`' }),
  workers_per_node: whole(1).optional(),
  python_workers_per_node: whole(1).optional(),
  max_retries_on_system_failure: whole(0).optional(),
  strategy: z.enum(['htex_auto_scale', 'none']).optional(),
  strategy_period: seconds.optional(),
  max_idletime: z.number().min(0, 'Expected seconds from 0 and up').optional(),
  block_error_threshold: whole(1).optional(),
  heartbeat_period: seconds.optional(),
  interchange: z
    .strictObject({
      host: z.string().min(1).optional(),
      address: z.string().min(1).optional(),
      port: whole(0).max(65535, 'Expected a port from 0 to 65535').optional(),
    })
    .optional(),
  run_dir: z.string().min(1).optional(),
  manager_command: z.array(z.string().min(1)).min(1).optional(),
});

/**
 * The schema of an endpoint's configuration file (YAML or JSON; see docs/architecture.md).
 * Keys are Globus Compute's and Parsl's where they have one (`max_blocks`, `max_idletime` in
 * seconds, `max_retries_on_system_failure`, `worker_init`); unknown keys are errors.
 */
export const endpointConfigSchema = z.strictObject({
  service: z.url({ protocol: /^https?$/, error: 'Expected an http(s) URL, such as http://127.0.0.1:8080' }).optional(),
  endpoint_id: z.uuid('Expected a UUID').optional(),
  secret_file: z.string().min(1).optional(),
  task_timeout_ms: whole(1).optional(),
  max_result_bytes: whole(1).optional(),
  prefetch: whole(1).optional(),
  python: z.string().min(1).optional(),
  python_memory_mb: whole(0).optional(),
  engine: z.discriminatedUnion('type', [localEngine, clusterEngine], { error: 'Expected an engine of type `local` or `cluster`' }).optional(),
});

/** An endpoint configuration file, as written. */
export type EndpointConfigFile = z.infer<typeof endpointConfigSchema>;
