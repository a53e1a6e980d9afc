/**
 * How long before its walltime a worker manager stops taking new tasks: a quarter of the
 * walltime, at most a minute. The engine passes it to each manager (`--drain-ms`); a manager
 * started without it derives the same.
 *
 * @param walltimeMs - the block's walltime
 * @returns the drain time in milliseconds
 * @example
 * drainMs(3000); // 750
 */
export const drainMs = (walltimeMs: number): number => Math.min(60_000, Math.floor(walltimeMs / 4));
