import type { AppendVerdict, Credit, HeldPartials, PartialItem, PartialRepo, PartialWindow } from '../../core/repositories.js';
import type { RedisClient } from './RedisClient.js';

/** A task's partials as `lua/partialRead.lua` answers them: first, count, acked, values. */
type ReadRow = [number, number, number, string[] | Record<string, never>];

/** At most this many items per script call (unpack and argument limits). */
const SLICE = 1000;

/**
 * Partials in Redis (see {@link PartialRepo}): per task a hash (`first`, `count`, `acked`,
 * `ackedBytes`, `unreadBytes`) and a list of values, and per group a set of the tasks that have
 * any, every key under the group's hash tag (`p:{<group>}:<task>`), so that each script of one
 * group runs on one Redis Cluster slot. Keys expire `retentionMs` (plus a minute) after the last
 * append, a backstop behind the sweep, which removes them with their tasks.
 *
 * @example
 * ```ts
 * const repo = new RedisPartialRepo(client);
 * const [verdict] = await repo.append([{ groupId, taskId, seq: 0, value }], window);
 * ```
 */
export class RedisPartialRepo implements PartialRepo {
  readonly #client: RedisClient;

  /** @param client - the backend's Redis client */
  constructor(client: RedisClient) {
    this.#client = client;
  }

  #tag(groupId: string): string {
    return `{${groupId}}`;
  }

  #keys(groupId: string, taskId: string): [string, string] {
    const tag = this.#tag(groupId);
    return [this.#client.key('p', tag, taskId), this.#client.key('pv', tag, taskId)];
  }

  #set(groupId: string): string {
    return this.#client.key('pg', this.#tag(groupId));
  }

  async append(items: readonly PartialItem[], window: PartialWindow): Promise<AppendVerdict[]> {
    const verdicts: AppendVerdict[] = new Array(items.length);
    // One script per group and slice: a group's keys share a slot; a task's items stay in order.
    await Promise.all([...indexByGroup(items)].map(async ([groupId, indexes]) => {
      for (let s = 0; s < indexes.length; s += SLICE) {
        const slice = indexes.slice(s, s + SLICE);
        const keys = [this.#set(groupId)];
        const args: (string | number)[] = [window.maxUnread, window.maxUnreadBytes, window.retentionMs + 60_000];
        for (const i of slice) {
          const { taskId, seq, value } = items[i]!;
          keys.push(...this.#keys(groupId, taskId));
          args.push(taskId, seq, value);
        }
        const answer = await this.#client.script<AppendVerdict[]>('partialAppend', keys, args);
        slice.forEach((i, k) => (verdicts[i] = answer[k]!));
      }
    }));
    return verdicts;
  }

  async ack(items: readonly { readonly groupId: string; readonly taskId: string; readonly seq: number }[], window: PartialWindow): Promise<(Credit | null)[]> {
    const credits: (Credit | null)[] = new Array(items.length).fill(null);
    await Promise.all([...indexByGroup(items)].map(async ([groupId, indexes]) => {
      for (let s = 0; s < indexes.length; s += SLICE) {
        const slice = indexes.slice(s, s + SLICE);
        const keys: string[] = [];
        const args: (string | number)[] = [window.maxUnread, window.maxUnreadBytes, window.history];
        for (const i of slice) {
          keys.push(...this.#keys(groupId, items[i]!.taskId));
          args.push(items[i]!.seq);
        }
        const answer = await this.#client.script<([number, number] | null)[]>('partialAck', keys, args);
        slice.forEach((i, k) => {
          const credit = answer[k];
          if (Array.isArray(credit)) credits[i] = { count: Number(credit[0]), bytes: Number(credit[1]) };
        });
      }
    }));
    return credits;
  }

  async credit(groupId: string, taskId: string, window: PartialWindow): Promise<Credit> {
    const [acked, ackedBytes] = await this.#client.redis.hmget(this.#keys(groupId, taskId)[0], 'acked', 'ackedBytes');
    return { count: Number(acked ?? 0) + window.maxUnread, bytes: Number(ackedBytes ?? 0) + window.maxUnreadBytes };
  }

  async read(groupId: string, taskId: string, from: number, limit: number): Promise<HeldPartials> {
    const [row] = await this.#client.script<ReadRow[]>('partialRead', this.#keys(groupId, taskId), [limit, from]);
    return heldOf(taskId, row!);
  }

  async unread(groupId: string, limit: number): Promise<HeldPartials[]> {
    const taskIds = await this.#client.redis.smembers(this.#set(groupId));
    const out: HeldPartials[] = [];
    let left = limit;
    for (let s = 0; s < taskIds.length && left > 0; s += SLICE) {
      const slice = taskIds.slice(s, s + SLICE);
      const rows = await this.#client.script<ReadRow[]>('partialRead', slice.flatMap((id) => this.#keys(groupId, id)), [left, ...slice.map(() => 'unread')]);
      rows.forEach((row, k) => {
        const held = heldOf(slice[k]!, row);
        if (held.values.length === 0) return;
        left -= held.values.length;
        out.push(held);
      });
    }
    return out;
  }

  async remove(groupId: string, taskIds: readonly string[]): Promise<void> {
    for (let s = 0; s < taskIds.length; s += SLICE) {
      const slice = taskIds.slice(s, s + SLICE);
      await this.#client.script('partialRemove', [this.#set(groupId), ...slice.flatMap((id) => this.#keys(groupId, id))], slice);
    }
  }
}

/** Item indexes by group, in order. */
function indexByGroup(items: readonly { readonly groupId: string }[]): Map<string, number[]> {
  const byGroup = new Map<string, number[]>();
  items.forEach(({ groupId }, i) => (byGroup.get(groupId) ?? byGroup.set(groupId, []).get(groupId)!).push(i));
  return byGroup;
}

function heldOf(taskId: string, [first, count, acked, values]: ReadRow): HeldPartials {
  // cjson writes an empty table as {}.
  return { taskId, first: Number(first), count: Number(count), acked: Number(acked), values: Array.isArray(values) ? values : [] };
}
