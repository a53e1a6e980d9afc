import type { Command } from 'commander';
import type { FuncXServiceOptions } from '../service/FuncXServiceOptions.js';
import { flagOf } from '../service/limitHint.js';

type NumericOption = {
  [K in keyof FuncXServiceOptions]-?: NonNullable<FuncXServiceOptions[K]> extends number ? K : never;
}[keyof FuncXServiceOptions];

/**
 * Every limit of the service that `funcx-rx serve` sets from its command line, with its help
 * (docs/limits.md has the errors each one gives). The flag is the option's name in kebab case,
 * without `Ms` (a refusal names it: see `limitHint`).
 */
export const SERVICE_LIMITS: readonly (readonly [NumericOption, string])[] = [
  ['maxBodyBytes', 'largest request body, in bytes (default 5 MiB)'],
  ['maxPayloadBytes', "largest task's serialized arguments, in bytes (default 1 MiB)"],
  ['maxFunctionBytes', "largest registered function's code or source, in bytes (default 1 MiB)"],
  ['maxTasksPerSubmit', 'most tasks in one submit (default 5000)'],
  ['maxInputsPerTask', 'most inputs (dependencies) one task may wait for (default 10000)'],
  ['maxUnreadPartials', "per task, unread partial results (a generator's yields) held before the generator pauses (default 1000)"],
  ['maxUnreadPartialBytes', 'per task, bytes of unread partial results held (default 16 MiB, at least the result limit)'],
  ['partialHistory', 'per task, partial results already read kept for late readers (default 10000)'],
  ['maxIdsPerRequest', 'most task ids in one batch_status or cancel (default 10000)'],
  ['maxOutstandingTasksPerUser', "per-user quota of tasks not ended (default 100000)"],
  ['maxBytesPerUser', 'per-user quota of payload and result bytes held (default 1 GiB)'],
  ['maxFunctionsPerUser', 'per-user quota of registered functions (default 10000)'],
  ['maxEndpointsPerUser', 'per-user quota of registered endpoints (default 100)'],
  ['maxConnections', 'most open TCP connections (default 10000)'],
  ['maxResultSocketsPerUser', 'open result sockets per user (default 64)'],
  ['maxResultSockets', 'open result sockets in all (default 4096)'],
  ['maxSubscriptionsPerSocket', 'task groups one result socket may follow (default 10000)'],
  ['maxResultSocketFrameBytes', 'largest frame a client may send on a result socket (default 4096)'],
  ['retentionMs', 'how long ended tasks are kept, in ms (default 14 days)'],
  ['maxWaitMs', 'how long a task may wait for its endpoint before it fails, in ms (default 24 h)'],
  ['groupIdleMs', 'how long an empty task group is kept, in ms (default 1 h)'],
  ['registrationIdleMs', 'how long an unused function or endpoint is kept, in ms (default 30 days)'],
  ['headersTimeoutMs', "time for a request's headers, in ms (default 10000)"],
  ['requestTimeoutMs', 'time for a whole request, in ms (default 30000)'],
  ['keepAliveTimeoutMs', 'how long an idle keep-alive connection stays open, in ms (default 5000)'],
  ['failoverMs', "how soon a dead replica's endpoint tasks move on, in ms (default 2000)"],
];

/**
 * Adds a flag for each of {@link SERVICE_LIMITS} to a command.
 *
 * @param command - `serve`
 * @param parse - the number parser
 * @returns the command
 */
export function addServiceLimitOptions(command: Command, parse: (value: string) => number): Command {
  for (const [option, help] of SERVICE_LIMITS) command.option(`${flagOf(option)} <n>`, help, parse);
  command.option('--rate-limit <max/ms>', 'per-user request rate: at most <max> requests per <ms> (default 2000/10000), or `off`');
  return command;
}

/**
 * The service options the limit flags gave.
 *
 * @param parsed - commander's parsed options
 * @returns only those given
 * @throws Error for a `--rate-limit` that is neither `off` nor `<max>/<ms>`
 */
export function serviceLimitsOf(parsed: Record<string, unknown>): FuncXServiceOptions {
  const out: Record<string, unknown> = {};
  for (const [option] of SERVICE_LIMITS) {
    // commander's key for --max-wait is maxWait: the option's name without Ms.
    const value = parsed[option.replace(/Ms$/, '')];
    if (value !== undefined) out[option] = value;
  }
  const rate = parsed.rateLimit;
  if (typeof rate === 'string') {
    const match = /^(\d+)\/(\d+)$/.exec(rate);
    if (rate === 'off') out.rateLimit = false;
    else if (match) out.rateLimit = { max: Number(match[1]), windowMs: Number(match[2]) };
    else throw new Error(`Expected \`--rate-limit\` to be <max>/<ms> (such as 2000/10000) or off, got \`${rate}\``);
  }
  return out as FuncXServiceOptions;
}
