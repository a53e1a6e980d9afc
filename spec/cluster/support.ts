import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { filter, firstValueFrom, ReplaySubject, throwError, timeout, type Subscription } from 'rxjs';
import { Endpoint } from '../../lib/endpoint/Endpoint.js';
import type { ClusterEngine, ClusterEvent } from '../../lib/endpoint/engine/ClusterEngine.js';
import type { ClusterOptions } from '../../lib/endpoint/engine/ClusterOptions.js';
import type { FuncXService } from '../../lib/service/FuncXService.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** An endpoint with the cluster engine, its events recorded from its start. */
export interface ClusterEndpoint {
  readonly endpoint: Endpoint;
  readonly engine: ClusterEngine;
  readonly endpointId: string;
  /** Every event so far. */
  readonly events: ClusterEvent[];
  /** The first event (past or to come) that matches, or a failure naming `what` after `ms`. */
  waitFor<E extends ClusterEvent>(match: (event: ClusterEvent) => event is E, what: string, ms?: number): Promise<E>;
  waitFor(match: (event: ClusterEvent) => boolean, what: string, ms?: number): Promise<ClusterEvent>;
  close(): Promise<void>;
}

/**
 * Registers an endpoint and starts it with the cluster engine.
 *
 * @param service - the service
 * @param userId - the endpoint's owner
 * @param cluster - the engine's options
 * @returns the endpoint, its engine and its events
 */
export async function startClusterEndpoint(service: FuncXService, userId: string, cluster: ClusterOptions): Promise<ClusterEndpoint> {
  const { endpointId, secret } = await service.registerEndpoint(userId);
  const endpoint = await Endpoint.start({ serviceUrl: service.url, endpointId, secret, cluster });
  const engine = endpoint.engine as ClusterEngine;
  const events: ClusterEvent[] = [];
  const replay = new ReplaySubject<ClusterEvent>();
  // Blocks asked for during start() (init_blocks) are in blocks() already; the rest is recorded here.
  const subscription: Subscription = engine.events$.subscribe((event) => {
    events.push(event);
    replay.next(event);
  });
  return {
    endpoint,
    engine,
    endpointId,
    events,
    waitFor: (match: (event: ClusterEvent) => boolean, what: string, ms = 30_000) =>
      firstValueFrom(replay.pipe(filter(match), timeout({ first: ms, with: () => throwError(() => new Error(`timed out after ${ms} ms waiting for ${what}; events: ${JSON.stringify(events)}`)) }))),
    close: async () => {
      await endpoint.close();
      subscription.unsubscribe();
      replay.complete();
    },
  } as ClusterEndpoint;
}

/**
 * Waits until `check` holds, looking every 50 ms, for state that has no event (a scheduler's
 * queue, a count in a report); fails naming `what` after `ms`.
 */
export async function within(ms: number, what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A fresh run directory (removed by the returned function). */
export async function runDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'funcx-rx-cluster-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Which processes wrote each marker to a file, one `<marker> <pid>` a line, in order. */
export async function markerRuns(file: string): Promise<Map<string, number[]>> {
  const runs = new Map<string, number[]>();
  for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
    if (line === '') continue;
    const [marker, pid] = line.split(' ');
    runs.set(marker!, [...(runs.get(marker!) ?? []), Number(pid)]);
  }
  return runs;
}

/** Whether Slurm runs here, after scripts/slurm-up.sh; why not when it does not. */
export function slurmHere(): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  try {
    execFileSync('sh', ['-c', 'command -v sbatch && command -v slurmctld'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: 'Slurm is not installed (apt-get install slurm-wlm munge; then sudo bash scripts/slurm-up.sh)' };
  }
  if (process.getuid?.() !== 0) {
    try {
      execFileSync('sinfo', ['-h', '-o', '%T'], { stdio: 'ignore', timeout: 10_000 });
      return { ok: true };
    } catch {
      return { ok: false, reason: 'Slurm does not answer, and scripts/slurm-up.sh needs root to start it' };
    }
  }
  try {
    execFileSync('bash', [join(root, 'scripts/slurm-up.sh')], { stdio: 'pipe', timeout: 90_000 });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `scripts/slurm-up.sh failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}` };
  }
}

/**
 * Slurm jobs among `jobIds` still pending or running.
 *
 * @param jobIds - job ids
 * @returns those in the queue, not ended
 */
export async function slurmJobsLeft(jobIds: readonly string[]): Promise<string[]> {
  if (jobIds.length === 0) return [];
  const { stdout } = await run('squeue', ['-h', '-o', '%i %T', '-j', jobIds.join(',')]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter(([id, state]) => id && jobIds.includes(id) && state !== 'COMPLETED' && state !== 'CANCELLED' && state !== 'FAILED' && state !== 'TIMEOUT')
    .map(([id]) => id!);
}

/**
 * Local blocks among `pids` still alive.
 *
 * @param pids - process ids (local job ids)
 * @returns those alive
 */
export function processesLeft(pids: readonly string[]): string[] {
  return pids.filter((pid) => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch {
      return false;
    }
  });
}
