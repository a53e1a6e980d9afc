import { WorkerManager } from '../endpoint/interchange/WorkerManager.js';
import { MANAGER_SECRET_ENV } from '../endpoint/interchange/managerChannel.js';

/** The options `funcx-rx worker-manager` takes. */
export interface WorkerManagerCommandOptions {
  readonly interchange: string;
  readonly blockId: string;
  readonly workers: number;
  readonly pythonWorkers?: number;
  readonly python?: string;
  readonly walltimeMs?: number;
  readonly drainMs?: number;
  readonly maxResultBytes?: number;
  readonly pythonMemoryMb?: number;
  readonly maxOldGenerationMb?: number;
}

/**
 * `funcx-rx worker-manager`: what a block runs on each node. Its endpoint's engine starts it
 * (through a provider); it takes the manager secret from `$FUNCX_MANAGER_SECRET`, connects to
 * the interchange, runs tasks until told to exit, its connection closes, its walltime passes, or
 * SIGTERM; then exits 0. Exit 1: it could not connect.
 *
 * @param options - the parsed command-line options
 * @returns when stopped
 * @example
 * ```sh
 * FUNCX_MANAGER_SECRET=... funcx-rx worker-manager --interchange ws://login1:50123/ --block-id 3 --workers 8
 * ```
 */
export async function workerManagerCommand(options: WorkerManagerCommandOptions): Promise<void> {
  const secret = process.env[MANAGER_SECRET_ENV];
  if (!secret) {
    process.stderr.write(`funcx-rx worker-manager: no manager secret in ${MANAGER_SECRET_ENV} (the endpoint's provider sets it)\n`);
    process.exitCode = 2;
    return;
  }
  // Not passed on to the workers' processes.
  delete process.env[MANAGER_SECRET_ENV];
  const manager = await WorkerManager.start({
    interchangeUrl: options.interchange,
    secret,
    blockId: options.blockId,
    workers: options.workers,
    ...(options.pythonWorkers === undefined ? {} : { pythonWorkers: options.pythonWorkers }),
    ...(options.python === undefined ? {} : { python: options.python }),
    ...(options.walltimeMs === undefined ? {} : { walltimeMs: options.walltimeMs }),
    ...(options.drainMs === undefined ? {} : { drainMs: options.drainMs }),
    ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
    ...(options.pythonMemoryMb === undefined ? {} : { pythonMemoryMb: options.pythonMemoryMb }),
    ...(options.maxOldGenerationMb === undefined ? {} : { maxOldGenerationSizeMb: options.maxOldGenerationMb }),
  });
  process.stdout.write(`worker-manager: block ${options.blockId}, pid ${process.pid}, connected to ${options.interchange}\n`);
  const onSignal = (): void => void manager.close('stopped by a signal');
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const reason = await manager.stopped;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  process.stdout.write(`worker-manager: block ${options.blockId} stopped: ${reason}\n`);
}
