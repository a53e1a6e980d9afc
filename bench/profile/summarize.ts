import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 `.cpuprofile` read here. */
interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time of one thread, in ms, by function and by where the code lives. */
export interface ThreadProfile {
  readonly wallMs: number;
  readonly idleMs: number;
  readonly byFunction: Map<string, number>;
  readonly byPlace: Map<string, number>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where a function lives: a package, a file of this repository, Node's internals, GC or idle. */
function place(functionName: string, url: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

/**
 * Reads one profile and sums the time of each sample in a window into its function and its place.
 *
 * @param file - a `.cpuprofile` written by `node --cpu-prof`
 * @param window - the measured run, in µs of the monotonic clock (`process.hrtime`), as the profile's timestamps
 * @returns the thread's self times in the window
 */
export async function summarize(file: string, window: { readonly from: number; readonly to: number }): Promise<ThreadProfile> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let idleMs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < window.from || at > window.to) continue;
    const frame = nodes.get(profile.samples[i]!)!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const where = place(frame.functionName, frame.url);
    // A worker blocked in Atomics.wait (piscina's idle loop) waits; it does not compute.
    if (where === '(idle)' || frame.functionName === 'atomicsWaitLoop') {
      idleMs += ms;
      continue;
    }
    const name = `${frame.functionName || '(anonymous)'} ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byPlace.set(where, (byPlace.get(where) ?? 0) + ms);
  }
  const wallMs = (Math.min(profile.endTime, window.to) - Math.max(profile.startTime, window.from)) / 1000;
  return { wallMs: Math.max(0, wallMs), idleMs, byFunction, byPlace };
}

/** Adds several threads' self times together (a process's worker threads). */
export function merge(threads: readonly ThreadProfile[]): ThreadProfile {
  const add = (into: Map<string, number>, from: Map<string, number>): void => {
    for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
  };
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const t of threads) {
    add(byFunction, t.byFunction);
    add(byPlace, t.byPlace);
  }
  return {
    wallMs: threads.reduce((s, t) => s + t.wallMs, 0),
    idleMs: threads.reduce((s, t) => s + t.idleMs, 0),
    byFunction,
    byPlace,
  };
}

/** The top entries of a self-time map as markdown rows, with their share of the busy time. */
export function topRows(map: Map<string, number>, busyMs: number, count: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `| ${name.replaceAll('|', '\\|')} | ${ms.toFixed(0)} | ${((100 * ms) / busyMs).toFixed(1)} % |`);
}
