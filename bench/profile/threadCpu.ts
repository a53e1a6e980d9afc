import { readdirSync, readFileSync } from 'node:fs';

/** CPU time of one process's threads, in ns, from Linux's schedstat (exact, unlike sampled profiles on a loaded machine). */
export interface ProcessCpu {
  /** The main thread. */
  readonly mainNs: number;
  /** Every other thread: worker threads, libuv's pool, V8's GC and compiler helpers. */
  readonly otherNs: number;
}

/**
 * Reads the CPU time every thread of a process has run so far (`/proc/<pid>/task/<tid>/schedstat`,
 * its first field). Threads that ended before the read are not counted: read while the workload
 * runs, with its worker threads alive.
 *
 * @param pid - the process
 * @returns its threads' CPU time, main and others
 * @throws Error when /proc has no such process (not Linux, or it exited)
 * @example
 * ```ts
 * const before = processCpu(pid);
 * // ... the workload ...
 * const after = processCpu(pid);
 * const usPerTask = (after.mainNs - before.mainNs) / 1000 / tasks;
 * ```
 */
export function processCpu(pid: number): ProcessCpu {
  let mainNs = 0;
  let otherNs = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let ns: number;
    try {
      ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read: its time is gone from the process's
      // threads either way (it is the caller's to read while the workload's threads are alive).
      continue;
    }
    if (tid === String(pid)) mainNs += ns;
    else otherNs += ns;
  }
  return { mainNs, otherNs };
}
