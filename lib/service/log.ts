import { pino, type Logger, type LoggerOptions } from 'pino';

/** The service's logger: a pino logger, or one made from a level. */
export type { Logger } from 'pino';

/**
 * What is never written to a log line, whatever a caller passes: credentials and payloads.
 * Paths are pino's redaction paths, checked at every level a line may carry them.
 */
export const REDACTED_PATHS = [
  'token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization',
  'req.headers.authorization', 'req.headers.cookie', 'payload', '*.payload', 'result', '*.result', 'function_code', '*.function_code',
];

/**
 * Makes the service's logger: JSON lines on stdout, credentials and payloads redacted.
 *
 * @param level - pino's level (`fatal` … `trace`, or `silent`); `FUNCX_LOG_LEVEL` when undefined, else `warn`
 * @param options - more pino options (a destination stream, say, for specs)
 * @param destination - where lines go; stdout when undefined
 * @returns the logger, whose children every part of the service gets
 * @example
 * ```ts
 * const log = createLogger('info');
 * log.child({ component: 'endpoint-hub' }).warn({ endpointId }, 'report failed; retrying');
 * ```
 */
export function createLogger(level?: string, options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const opts: LoggerOptions = { level: level ?? process.env.FUNCX_LOG_LEVEL ?? 'warn', redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, ...options };
  return destination ? pino(opts, destination) : pino(opts);
}

/**
 * A handler for a promise whose failure is not the caller's to answer (a best-effort write, an
 * event): it logs the error with its context instead of dropping it.
 *
 * @param log - the logger
 * @param message - what was being done
 * @param context - ids that say which task, endpoint or group
 * @returns a function for `.catch`
 * @example
 * ```ts
 * void backend.endpoints.touch(id, now).catch(logFailure(log, 'touching the endpoint failed', { endpointId: id }));
 * ```
 */
export function logFailure(log: Logger, message: string, context: Record<string, unknown> = {}): (error: unknown) => void {
  return (error) => log.warn({ ...context, err: error }, message);
}
