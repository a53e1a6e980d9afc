import { execFile } from 'node:child_process';

/** A CPython the endpoint can run Python tasks on. */
export interface PythonRuntime {
  /** What the workers are started with: the interpreter named, or else the found one's own path (`sys.executable`, past any shim). */
  readonly executable: string;
  /** Its version, such as `3.11.2`. */
  readonly version: string;
  /** The version of its `dill` package, or null without one (then `01`, `03`, `04` and `00` cannot load). */
  readonly dill: string | null;
}

/** Where Python was looked for, and what was found. */
export interface PythonSearch {
  /** The interpreter chosen, or null when none runs. */
  readonly runtime: PythonRuntime | null;
  /** What was tried, and why each was passed over, for the endpoint's report. */
  readonly tried: readonly string[];
}

const PROBE = 'import json, platform, sys\ntry:\n    import dill\n    d = dill.__version__\nexcept Exception:\n    d = None\nprint(json.dumps({"executable": sys.executable, "version": platform.python_version(), "dill": d}))';

/** Interpreters tried when none is named: the one on PATH first, then Debian's own. */
const CANDIDATES = ['python3', '/usr/bin/python3', 'python'];

function probe(command: string): Promise<PythonRuntime | string> {
  return new Promise((resolve) => {
    execFile(command, ['-c', PROBE], { timeout: 10_000, windowsHide: true }, (error, stdout) => {
      if (error) return resolve(`${command}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : error.message.split('\n')[0]}`);
      try {
        const found = JSON.parse(String(stdout)) as PythonRuntime;
        if (!/^3\./.test(found.version)) return resolve(`${command}: Python ${found.version}, not 3`);
        resolve(found);
      } catch {
        resolve(`${command}: did not answer as CPython does`);
      }
    });
  });
}

const searches = new Map<string, Promise<PythonSearch>>();

/**
 * Finds a CPython 3 to run Python tasks: the interpreter named (the endpoint's `python` option or
 * the `FUNCX_PYTHON` environment variable) or else the first of `python3` on PATH,
 * `/usr/bin/python3` and `python` that has `dill`, or the first that runs when none has it. Each
 * search runs once per process.
 *
 * @param named - an interpreter to use instead of searching
 * @returns the interpreter, or null, with what was tried
 * @example
 * ```ts
 * const { runtime } = await findPython();
 * runtime?.version; // "3.11.2"
 * ```
 */
export function findPython(named: string | undefined = process.env.FUNCX_PYTHON || undefined): Promise<PythonSearch> {
  const key = named ?? '';
  let search = searches.get(key);
  if (search === undefined) {
    search = (async () => {
      const tried: string[] = [];
      let fallback: PythonRuntime | null = null;
      for (const command of named === undefined ? CANDIDATES : [named]) {
        const probed = await probe(command);
        if (typeof probed === 'string') {
          tried.push(probed);
          continue;
        }
        // A named interpreter is used as named: it may be a wrapper (a venv, a container, limits).
        const found = named === undefined ? probed : { ...probed, executable: named };
        if (found.dill !== null) return { runtime: found, tried };
        tried.push(`${command}: Python ${found.version} without dill`);
        fallback ??= found;
      }
      return { runtime: fallback, tried };
    })();
    searches.set(key, search);
  }
  return search;
}
