import { formatWalltime } from './walltime.js';
import type { BlockRequest } from './ExecutionProvider.js';
import { BLOCK_START_LINE } from '../interchange/managerChannel.js';
import { shellQuote } from './shellQuote.js';

/** What goes in a Slurm job script, as Parsl's `SlurmProvider` options. */
export interface SlurmScriptOptions {
  /** `--partition`. @default the cluster's default partition */
  readonly partition?: string;
  /** `--account`. @default none */
  readonly account?: string;
  /** `--qos`. @default none */
  readonly qos?: string;
  /** `--time`, in milliseconds. @default 10 minutes, as Parsl */
  readonly walltimeMs?: number;
  /** `--nodes`: a worker manager runs on each. @default 1 */
  readonly nodesPerBlock?: number;
  /** `--cpus-per-task` (one task per node: the manager). @default none */
  readonly coresPerNode?: number;
  /** `--mem`, in GB. @default none */
  readonly memPerNodeGb?: number;
  /** `--exclusive`: whole nodes per block. @default false */
  readonly exclusive?: boolean;
  /** Lines added to the script's header, such as `#SBATCH --constraint=haswell`. @default none */
  readonly schedulerOptions?: string;
  /** Shell lines run before the manager starts (`module load nodejs`). @default none */
  readonly workerInit?: string;
}

/** The default walltime of a Slurm block, as Parsl's. */
export const DEFAULT_SLURM_WALLTIME_MS = 10 * 60_000;

/**
 * The job script of one block: `#SBATCH` lines, the scheduler options, `worker_init`, then the
 * manager: exec'ed for one node (so a signal to the job reaches it), by `srun` on each node for more.
 *
 * @param request - the block and its manager command
 * @param options - the job's resources, and `output`, its output file
 * @returns the script's text
 * @example
 * ```ts
 * slurmScript({ blockId: '0', command: ['funcx-rx', 'worker-manager'], env: {} }, { partition: 'debug', output: '/tmp/b0.out' });
 * ```
 */
export function slurmScript(request: BlockRequest, options: SlurmScriptOptions & { readonly output: string }): string {
  const nodes = options.nodesPerBlock ?? 1;
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=funcx-rx-${request.blockId}`,
    `#SBATCH --output=${options.output}`,
    `#SBATCH --nodes=${nodes}`,
    '#SBATCH --ntasks-per-node=1',
    `#SBATCH --time=${formatWalltime(options.walltimeMs ?? DEFAULT_SLURM_WALLTIME_MS)}`,
  ];
  if (options.partition) lines.push(`#SBATCH --partition=${options.partition}`);
  if (options.account) lines.push(`#SBATCH --account=${options.account}`);
  if (options.qos) lines.push(`#SBATCH --qos=${options.qos}`);
  if (options.coresPerNode) lines.push(`#SBATCH --cpus-per-task=${options.coresPerNode}`);
  if (options.memPerNodeGb) lines.push(`#SBATCH --mem=${options.memPerNodeGb}G`);
  if (options.exclusive) lines.push('#SBATCH --exclusive');
  if (options.schedulerOptions) lines.push(options.schedulerOptions.trim());
  lines.push('', BLOCK_START_LINE, options.workerInit?.trim() ?? '', '');
  const command = request.command.map(shellQuote).join(' ');
  lines.push(nodes === 1 ? `exec ${command}` : `srun --ntasks=${nodes} --ntasks-per-node=1 ${command}`, '');
  return lines.join('\n');
}
