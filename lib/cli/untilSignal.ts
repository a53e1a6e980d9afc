/**
 * Resolves at the first SIGINT or SIGTERM, then stops listening, so a second signal gets Node's
 * default behaviour (exit at once) while a clean stop is under way.
 *
 * @returns the signal's name
 * @example
 * ```ts
 * await untilSignal(); await server.close();
 * ```
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
