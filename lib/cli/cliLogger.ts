import { pino } from 'pino';
import pretty from 'pino-pretty';
import { createLogger, type Logger } from '../service/log.js';

/** pino's levels, as `--log-level` takes them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The CLI's logger. Lines go to stderr, so that stdout carries only what a command prints for
 * people and scripts (the banner, `--json`): JSON lines by default, and pino-pretty's coloured
 * lines when stderr is a terminal (unless `FUNCX_LOG_FORMAT=json`). Redaction (tokens, secrets,
 * `Authorization`, payloads) happens before either, in the logger itself.
 *
 * @param level - `--log-level`; else `FUNCX_LOG_LEVEL`; else `fallback`
 * @param fallback - the command's default level
 * @returns the logger
 * @example
 * ```ts
 * const log = cliLogger(options.logLevel, 'info');
 * ```
 */
export function cliLogger(level: string | undefined, fallback: string): Logger {
  const chosen = level ?? process.env.FUNCX_LOG_LEVEL ?? fallback;
  if (process.stderr.isTTY && process.env.FUNCX_LOG_FORMAT !== 'json') {
    // Synchronous, in this thread: no worker transport to outlive the command.
    return createLogger(chosen, {}, pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return createLogger(chosen, {}, pino.destination({ dest: 2, sync: true }));
}
