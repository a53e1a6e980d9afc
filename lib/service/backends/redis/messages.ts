import { z } from 'zod';
import { FINAL_STATUSES, TASK_STATUSES } from '../../../protocol/lifecycle.js';
import type { ControlEvent } from '../../core/TaskBus.js';
import type { Logger } from '../../log.js';

/**
 * The shapes of what replicas tell each other through Redis, checked where a message comes in:
 * a replica trusts no message, not even one from its own Redis (another version, a bug, an
 * operator's `PUBLISH`). Objects are loose, so that a newer replica's extra fields are read past;
 * what does not fit is logged with its channel and dropped, never thrown into a subscription.
 */

const taskId = z.string().uuid();

/** A control message for the replica holding an endpoint's connection. */
export const controlMessage = z.union([
  z.looseObject({ type: z.literal('cancel'), taskId }),
  z.looseObject({ type: z.literal('credit'), taskId, count: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }),
]);

/** A result frame, as a group message carries it. */
const resultFrame = z.looseObject({
  task_id: taskId,
  status: z.enum(FINAL_STATUSES),
  result: z.string().nullable(),
  completion_t: z.string(),
  exception: z.string().nullable(),
  partials: z.number().int().nonnegative().optional(),
});

/** A status, as a group message carries it: [task id, status]. */
const statusItem = z.tuple([taskId, z.enum(TASK_STATUSES)]);

/** A generator's partial, as a group message carries it: [task id, seq, value]. */
const partialItem = z.tuple([taskId, z.number().int().nonnegative(), z.string()]);

/** One frame of a group message: checked on its own, so that one bad frame does not cost the others. */
export const groupItem = z.union([resultFrame, statusItem, partialItem]);

/** A group's events as one message: the owner and the frames, in order. */
export const groupMessage = z.looseObject({ o: z.string().min(1).max(200), f: z.array(z.unknown()).max(100_000) });

/** A group message's frame, once checked. */
export type GroupItem = z.infer<typeof groupItem>;

/**
 * Parses and checks a message; logs and drops one that is not JSON or not of the schema.
 *
 * @param schema - what the message must be
 * @param text - the message
 * @param log - where a bad one is told
 * @param where - the channel or key it came on
 * @returns the message, or undefined when dropped
 * @example
 * ```ts
 * const event = readMessage(controlMessage, text, log, channel);
 * if (event) handle(event);
 * ```
 */
export function readMessage<T>(schema: z.ZodType<T>, text: string, log: Logger, where: string): T | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    log.warn({ channel: where, bytes: text.length, err: error }, 'dropped a message that is not JSON');
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  log.warn({ channel: where, bytes: text.length, issues: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`) }, 'dropped a message of an unknown shape or version');
  return undefined;
}

/** A checked control message, as the bus's event. */
export function controlEventOf(message: z.infer<typeof controlMessage>): ControlEvent {
  return message.type === 'cancel' ? { type: 'cancel', taskId: message.taskId } : { type: 'credit', taskId: message.taskId, count: message.count, bytes: message.bytes };
}
