import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A running `funcx-rx` command. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Its first line of output, parsed as JSON. */
  readonly info: Record<string, string>;
  stderr(): string;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the CLI from its TypeScript source (as `bin/funcx-rx.js` runs its compiled twin) and
 * waits for its first line of output (parsed when it is a JSON object, else as `{ line }`).
 *
 * @param args - the command line
 * @param env - extra environment
 * @returns the process and what it printed
 */
export async function startCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => line as string),
    once(child, 'exit').then(([code]) => {
      throw new Error(`funcx-rx ${args.join(' ')} exited with ${String(code)} before printing: ${stderr}`);
    }),
  ]);
  return {
    child,
    info: first.startsWith('{') ? (JSON.parse(first) as Record<string, string>) : { line: first },
    stderr: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

/**
 * Runs a CLI command to its end and parses its one line of JSON output.
 *
 * @param args - the command line
 * @param env - extra environment
 * @returns the parsed output
 */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<Record<string, string>> {
  const process = await startCli(args, env);
  const [code] = (await (process.child.exitCode === null ? once(process.child, 'exit') : Promise.resolve([process.child.exitCode]))) as [number];
  if (code !== 0) throw new Error(`funcx-rx ${args.join(' ')} exited with ${code}: ${process.stderr()}`);
  return process.info;
}
