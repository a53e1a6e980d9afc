import { map, mergeMap, type Observable } from 'rxjs';
import type { ResultFrame, TaskStatus } from '../../../protocol/task.js';
import type { ClaimedTask, ControlEvent, EndpointQueue, GroupEvent, TakenTask, TaskBus } from '../../core/TaskBus.js';
import { taskOf, type Row } from './RedisTaskRepo.js';
import type { ChannelSubscriber } from './ChannelSubscriber.js';
import type { RedisClient } from './RedisClient.js';

const GROUP = 'endpoints';
/** Most entries one reclaim moves per dead consumer. */
const RECLAIM_BATCH = 10_000;

type StreamEntries = [string, string[]][];

/** A group's events as one pub/sub message: the owner and the frames, in order (a status frame as [task id, status]). */
interface GroupMessage {
  readonly o: string;
  readonly f: (ResultFrame | [taskId: string, status: TaskStatus])[];
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

  constructor(client: RedisClient, channels: ChannelSubscriber) {
    this.#client = client;
    this.#channels = channels;
  }

  #stream(endpointId: string): string {
    return this.#client.key('q', endpointId);
  }

  async dispatch(endpointId: string, taskIds: readonly string[]): Promise<void> {
    if (taskIds.length === 0) return;
    // One script: the entries in order, then one wake-up for all of them.
    await this.#client.script('fxEnqueue', [this.#stream(endpointId)], [this.#client.key('wake', endpointId), ...taskIds]);
  }

  async control(endpointId: string, event: ControlEvent): Promise<void> {
    await this.#client.redis.publish(this.#client.key('ctl', endpointId), JSON.stringify(event));
  }

  controlEvents(endpointId: string): Observable<ControlEvent> {
    return this.#channels.observe(this.#client.key('ctl', endpointId)).pipe(map((text) => JSON.parse(text) as ControlEvent));
  }

  publish(event: GroupEvent): Promise<void> {
    return this.publishMany([event]);
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
      entry.message.f.push('type' in frame ? [frame.task_id, frame.status] : frame);
    }
    await Promise.all([...messages.values()].map(({ channel, message }) => this.#client.redis.publish(channel, JSON.stringify(message))));
  }

  groupEvents(groupId: string): Observable<GroupEvent> {
    return this.#channels.observe(this.#client.key('grp', groupId)).pipe(
      mergeMap((text) => {
        const { o: ownerId, f: frames } = JSON.parse(text) as GroupMessage;
        return frames.map((item): GroupEvent => {
          const frame: GroupEvent['frame'] = Array.isArray(item) ? { type: 'status', task_id: item[0], status: item[1] } : item;
          return { groupId, ownerId, taskId: frame.task_id, frame };
        });
      }),
    );
  }

  groupReady(groupId: string): Promise<void> {
    return this.#channels.ready(this.#client.key('grp', groupId));
  }

  queue(endpointId: string, consumerId: string): EndpointQueue {
    const stream = this.#stream(endpointId);
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
        const reply = await this.#client.script<string>('fxTakeAndClaim', [stream, this.#client.queuedKey], [GROUP, consumerId, max, endpointId, this.#client.taskKey('')]);
        const taken = JSON.parse(reply) as [ref: string, taskId: string, before: Row][] | Record<string, never>;
        // cjson writes an empty table as {}.
        if (!Array.isArray(taken)) return [];
        return taken.map(([ref, taskId, before]): ClaimedTask => ({ ref, taskId, before: taskOf(before) }));
      },
      ack: async (refs) => {
        if (refs.length === 0) return;
        await this.#client.script('fxAck', [stream], [GROUP, ...refs]);
      },
      release: async () => {
        // From the stream's own record of what this consumer holds, not from the answers it got.
        await this.#ensureGroup(stream);
        return this.#client.script<string[]>('fxRelease', [stream], [GROUP, consumerId]);
      },
    };
  }

  /** Stream entries are found by their own ids, not by task: a withdrawn task is skipped when taken. */
  async withdraw(): Promise<void> {}

  async forget(endpointId: string): Promise<void> {
    await this.#client.redis.del(this.#stream(endpointId));
    this.#groupsMade.delete(this.#stream(endpointId));
  }

  async reclaim(endpointId: string, alive: (consumerId: string) => boolean): Promise<string[]> {
    const stream = this.#stream(endpointId);
    const redis = this.#client.redis;
    await this.#ensureGroup(stream);
    const consumers = (await redis.xinfo('CONSUMERS', stream, GROUP)) as unknown[][];
    const taskIds: string[] = [];
    for (const info of consumers) {
      const fields = Object.fromEntries(Array.from({ length: info.length / 2 }, (_, i) => [info[2 * i], info[2 * i + 1]])) as { name: string; pending: number };
      if (alive(fields.name)) continue;
      if (fields.pending > 0) {
        const pending = (await redis.xpending(stream, GROUP, '-', '+', RECLAIM_BATCH, fields.name)) as [string, string, number, number][];
        const refs = pending.map(([ref]) => ref);
        if (refs.length > 0) {
          // XCLAIM hands them to the reaper, with their fields; then they are done with here.
          const claimed = (await redis.xclaim(stream, GROUP, 'reaper', 0, ...refs)) as StreamEntries;
          for (const [, entryFields] of claimed) if (entryFields) taskIds.push(entryFields[1]!);
          await redis.multi().xack(stream, GROUP, ...refs).xdel(stream, ...refs).exec();
        }
      }
      await redis.xgroup('DELCONSUMER', stream, GROUP, fields.name);
    }
    return taskIds;
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
