import { execFile } from 'node:child_process';

/** What a command printed and how it ended. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a scheduler command (`sbatch`, `squeue`, `scancel`, `sacct`): the seam a provider takes
 * for tests and for wrappers (`ssh login-node sbatch`).
 */
export type RunCommand = (command: string, args: readonly string[], options?: { readonly env?: NodeJS.ProcessEnv; readonly input?: string }) => Promise<CommandResult>;

/** How long a scheduler command may take before it is stopped. */
const COMMAND_TIMEOUT_MS = 60_000;

/**
 * Runs a command with `execFile` (no shell) and resolves with its exit code and output; a command
 * that cannot be started resolves with code null and the spawn error on stderr.
 *
 * @param command - the program
 * @param args - its arguments
 * @param options - `env` for its environment
 * @returns its exit code, stdout and stderr
 * @example
 * ```ts
 * const { code, stdout } = await runCommand('squeue', ['-h', '-o', '%i %T']);
 * ```
 */
export const runCommand: RunCommand = (command, args, options = {}) =>
  new Promise((resolve) => {
    execFile(command, [...args], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, ...(options.env ? { env: options.env } : {}) }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null;
      resolve({ code, stdout, stderr: code === null && error ? `${stderr}${error.message}` : stderr });
    });
  });
