import type { FuncXServiceOptions } from './FuncXServiceOptions.js';

/**
 * The `funcx-rx serve` flag that sets a service option: kebab case, without a trailing `Ms`
 * (`maxPayloadBytes` → `--max-payload-bytes`, `retentionMs` → `--retention`).
 *
 * @param option - the option's name
 * @returns the flag
 * @example
 * ```ts
 * flagOf('maxBodyBytes'); // '--max-body-bytes'
 * ```
 */
export function flagOf(option: keyof FuncXServiceOptions): string {
  return `--${option.replace(/Ms$/, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * What a limit's refusal says to raise it with: the option and its `serve` flag.
 *
 * @param option - the option that sets the limit
 * @returns a parenthesis for the end of a message
 * @example
 * ```ts
 * `...; the limit is 1048576 ${limitHint('maxPayloadBytes')}`; // (the service's maxPayloadBytes: funcx-rx serve --max-payload-bytes)
 * ```
 */
export function limitHint(option: keyof FuncXServiceOptions): string {
  return `(the service's ${option}: funcx-rx serve ${flagOf(option)})`;
}
