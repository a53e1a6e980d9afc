import { tracingChannel } from 'node:diagnostics_channel';

/** Where {@link observeRedisCommands} tells what it saw. */
export interface RedisCommandSink {
  done(command: string, seconds: number): void;
  failed(command: string): void;
}

interface CommandContext {
  readonly command?: string;
  /** Ours: when the command was written. */
  [STARTED]?: bigint;
}

const STARTED = Symbol('funcx.startedAt');

/**
 * Observes the Redis commands of every ioredis client in this process through ioredis's
 * `ioredis:command` tracing channel (no wrapper around the backend): each command's time from
 * write to reply, and its failures. A command that never reaches the socket (Redis away past
 * the retries) is not traced by ioredis; such requests show as 503s in the HTTP histogram.
 *
 * @param sink - told of each command
 * @returns a function that stops observing
 * @example
 * ```ts
 * const stop = observeRedisCommands({ done: (c, s) => console.log(c, s), failed: (c) => console.log(c) });
 * stop();
 * ```
 */
export function observeRedisCommands(sink: RedisCommandSink): () => void {
  const channel = tracingChannel<string, CommandContext>('ioredis:command');
  const handlers = {
    start(context: CommandContext) {
      context[STARTED] = process.hrtime.bigint();
    },
    asyncEnd(context: CommandContext) {
      const started = context[STARTED];
      if (started !== undefined) sink.done(context.command ?? 'unknown', Number(process.hrtime.bigint() - started) / 1e9);
    },
    error(context: CommandContext) {
      sink.failed(context.command ?? 'unknown');
    },
    end() {},
    asyncStart() {},
  };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}
