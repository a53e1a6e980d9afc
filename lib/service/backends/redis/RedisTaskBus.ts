import { EMPTY, map, mergeMap, of, type Observable } from 'rxjs';
import { validate as isUuid } from 'uuid';
import type { ResultFrame, TaskStatus } from '../../../protocol/task.js';
import type { ClaimedTask, ControlEvent, EndpointQueue, GroupEvent, TakenTask, TaskBus } from '../../core/TaskBus.js';
import type { TaskEntry } from '../../core/records.js';
import { rowsOf, taskOf, type Row } from './RedisTaskRepo.js';
import type { ChannelSubscriber } from './ChannelSubscriber.js';
import type { Logger } from '../../log.js';
import { controlEventOf, controlMessage, groupItem, groupMessage, readMessage } from './messages.js';
import type { RedisClient } from './RedisClient.js';

const GROUP = 'endpoints';
type StreamEntries = [string, string[]][];

/** A group's events as one pub/sub message: the owner and the frames, in order (a status frame as [task id, status], a partial as [task id, seq, value]). */
interface GroupMessage {
  readonly o: string;
  readonly f: (ResultFrame | [taskId: string, status: TaskStatus] | [taskId: string, seq: number, value: string])[];
}

/**
 * The bus across replicas, the way BullMQ and Celery use Redis: each endpoint's work queue is a
 * stream with one consumer group, each endpoint connection a consumer that acknowledges a task
 * when it ends; a consumer whose replica died is found by its expired heartbeat and its tasks are
 * claimed back. Wake-ups, control messages and group events go over pub/sub.
 */
export class RedisTaskBus implements TaskBus {
  readonly #client: RedisClient;
  readonly #channels: ChannelSubscriber;
  readonly #groupsMade = new Set<string>();
  readonly #log: Logger;

  constructor(client: RedisClient, channels: ChannelSubscriber, log: Logger) {
    this.#client = client;
    this.#channels = channels;
    this.#log = log.child({ component: 'redis-bus' });
  }

  /** An endpoint's stream, under its owner's hash tag. */
  #stream(ownerId: string, endpointId: string): string {
    return this.#client.userKey(ownerId, 'q', endpointId);
  }

  /** An endpoint's queue (a stream) and its wake-up channel: what the submit script writes to. */
  queueKeysOf(ownerId: string, endpointId: string): [stream: string, wake: string] {
    return [this.#stream(ownerId, endpointId), this.#client.key('wake', endpointId)];
  }

  /** Gives back what one consumer holds and requeues it, in one script (lua/giveBack-3.lua). */
  async #giveBack(ownerId: string, endpointId: string, consumerId: string): Promise<TaskEntry[]> {
    const [stream, wake] = this.queueKeysOf(ownerId, endpointId);
    await this.#ensureGroup(stream);
    const rows = rowsOf(await this.#client.script<string>('giveBack', [stream, this.#client.queuedKey(ownerId), this.#client.statsKey(ownerId)], [GROUP, consumerId, this.#client.taskKey(ownerId, ''), Date.now(), wake]));
    return rows.map(taskOf).filter((t): t is TaskEntry => t !== null);
  }

  async control(endpointId: string, event: ControlEvent): Promise<void> {
    await this.#client.redis.publish(this.#client.key('ctl', endpointId), JSON.stringify(event));
  }

  controlEvents(endpointId: string): Observable<ControlEvent> {
    const channel = this.#client.key('ctl', endpointId);
    return this.#channels.observe(channel).pipe(
      mergeMap((text) => {
        const message = readMessage(controlMessage, text, this.#log, channel);
        return message === undefined ? EMPTY : of(controlEventOf(message));
      }),
    );
  }


  async publishMany(events: readonly GroupEvent[]): Promise<void> {
    // One message per group (and owner, always the group's): its frames in order, a status as
    // [task id, status]. The group comes from the channel and each task id from its frame, so
    // they are not repeated per event.
    const messages = new Map<string, { channel: string; message: GroupMessage }>();
    for (const event of events) {
      const key = `${event.groupId} ${event.ownerId}`;
      let entry = messages.get(key);
      if (entry === undefined) messages.set(key, (entry = { channel: this.#client.key('grp', event.groupId), message: { o: event.ownerId, f: [] } }));
      const { frame } = event;
      entry.message.f.push(!('type' in frame) ? frame : frame.type === 'status' ? [frame.task_id, frame.status] : [frame.task_id, frame.seq, frame.value]);
    }
    await Promise.all([...messages.values()].map(({ channel, message }) => this.#client.redis.publish(channel, JSON.stringify(message))));
  }

  groupEvents(groupId: string): Observable<GroupEvent> {
    const channel = this.#client.key('grp', groupId);
    return this.#channels.observe(channel).pipe(
      mergeMap((text) => {
        const message = readMessage(groupMessage, text, this.#log, channel);
        if (message === undefined) return EMPTY;
        const events: GroupEvent[] = [];
        for (const raw of message.f) {
          const item = groupItem.safeParse(raw);
          if (!item.success) {
            this.#log.warn({ channel, issues: item.error.issues.slice(0, 3).map((i) => i.message) }, 'dropped a frame of an unknown shape from a group message');
            continue;
          }
          const data = item.data;
          const frame: GroupEvent['frame'] = !Array.isArray(data)
            ? { task_id: data.task_id, status: data.status, result: data.result, completion_t: data.completion_t, exception: data.exception, ...(data.partials === undefined ? {} : { partials: data.partials }) }
            : data.length === 2
              ? { type: 'status', task_id: data[0], status: data[1] }
              : { type: 'partial', task_id: data[0], seq: data[1], value: data[2] };
          events.push({ groupId, ownerId: message.o, taskId: frame.task_id, frame });
        }
        return events;
      }),
    );
  }

  groupReady(groupId: string): Promise<void> {
    return this.#channels.ready(this.#client.key('grp', groupId));
  }

  queue(ownerId: string, endpointId: string, consumerId: string): EndpointQueue {
    const stream = this.#stream(ownerId, endpointId);
    const redis = this.#client.redis;
    return {
      wake$: this.#channels.observe(this.#client.key('wake', endpointId)).pipe(map(() => undefined)),
      take: async (max) => {
        await this.#ensureGroup(stream);
        const reply = (await redis.xreadgroup('GROUP', GROUP, consumerId, 'COUNT', max, 'STREAMS', stream, '>')) as [string, StreamEntries][] | null;
        const out: TakenTask[] = [];
        for (const [ref, fields] of reply?.[0]?.[1] ?? []) {
          out.push({ ref, taskId: fields[1]! });
        }
        return out;
      },
      takeAndClaim: async (max) => {
        await this.#ensureGroup(stream);
        const reply = await this.#client.script<string>('takeAndClaim', [stream, this.#client.queuedKey(ownerId), this.#client.statsKey(ownerId)], [GROUP, consumerId, max, endpointId, this.#client.taskKey(ownerId, '')]);
        const taken = JSON.parse(reply) as [ref: string, taskId: string, before: Row][] | Record<string, never>;
        // cjson writes an empty table as {}.
        if (!Array.isArray(taken)) return [];
        return taken.map(([ref, taskId, before]): ClaimedTask => {
          // An entry no submit wrote (not a task id) claims nothing: it is acknowledged and dropped.
          if (typeof taskId !== 'string' || !isUuid(taskId)) this.#log.warn({ stream, ref }, 'dropped a stream entry that names no task');
          return { ref, taskId: String(taskId), before: taskOf(before) };
        });
      },
      ack: async (refs) => {
        if (refs.length === 0) return;
        await this.#client.script('ack', [stream], [GROUP, ...refs]);
      },
      // From the stream's own record of what this consumer holds, not from the answers it got.
      release: () => this.#giveBack(ownerId, endpointId, consumerId),
    };
  }

  /** Stream entries are found by their own ids, not by task: a withdrawn task is skipped when taken. */
  async withdraw(): Promise<void> {}

  async forget(ownerId: string, endpointId: string): Promise<void> {
    const stream = this.#stream(ownerId, endpointId);
    await this.#client.redis.del(stream);
    this.#groupsMade.delete(stream);
  }

  async reclaim(ownerId: string, endpointId: string, alive: (consumerId: string) => boolean): Promise<TaskEntry[]> {
    const stream = this.#stream(ownerId, endpointId);
    await this.#ensureGroup(stream);
    const consumers = (await this.#client.redis.xinfo('CONSUMERS', stream, GROUP)) as unknown[][];
    const out: TaskEntry[] = [];
    for (const info of consumers) {
      const name = String(info[info.indexOf('name') + 1]);
      if (!alive(name)) out.push(...(await this.#giveBack(ownerId, endpointId, name)));
    }
    return out;
  }

  async #ensureGroup(stream: string): Promise<void> {
    if (this.#groupsMade.has(stream)) return;
    try {
      // From the start of the stream: tasks added before the group existed are consumed too.
      await this.#client.redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
    this.#groupsMade.add(stream);
  }
}
