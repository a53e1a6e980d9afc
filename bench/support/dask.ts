import { execFileSync, spawnSync } from 'node:child_process';
import { progress } from './progress.js';

/** The CPython the Dask baselines run on: Debian's, where python3-distributed installs. */
const PYTHON = '/usr/bin/python3';

/**
 * Runs one of the bench's Dask scripts (bench/dask_*.py) and parses the JSON line it prints last.
 * Installs Debian's python3-distributed first when it is missing.
 *
 * @param script - the script's file name in bench/
 * @param args - its arguments
 * @returns what it printed, or why Dask could not run
 * @example
 * ```ts
 * const out = runDask<{ tasks_per_second: number[]; version: string }>('dask_noop.py', ['20000', '2', '3']);
 * ```
 */
export function runDask<T>(script: string, args: readonly string[]): T | string {
  const hasDask = (): boolean => spawnSync(PYTHON, ['-c', 'import distributed'], { stdio: 'ignore' }).status === 0;
  if (!hasDask()) {
    progress('installing Debian python3-distributed for the Dask baseline');
    spawnSync('apt-get', ['install', '-y', '-qq', 'python3-distributed'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (!hasDask()) return 'Dask skipped: python3-distributed could not be installed (apt-get install python3-distributed)';
  }
  const out = execFileSync(PYTHON, [new URL(`../${script}`, import.meta.url).pathname, ...args], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}
