import type { AppendVerdict, Credit, HeldPartials, PartialItem, PartialRepo, PartialWindow } from '../../core/repositories.js';

/** One task's partials: values from index `first`, `count` heard, `acked` read. */
interface Held {
  readonly groupId: string;
  first: number;
  count: number;
  acked: number;
  /** Value bytes of the read ones, since the task began (the credit's base). */
  ackedBytes: number;
  /** Value bytes of the unread ones. */
  unreadBytes: number;
  /** Value bytes of the read ones still held (the history). */
  historyBytes: number;
  readonly values: string[];
}

const byteLength = (text: string): number => Buffer.byteLength(text);

/**
 * Partials in one process (see {@link PartialRepo}). The repo owns its map: `remove` deletes a
 * task's entry (the sweep calls it with the tasks it deletes); each entry holds at most the
 * window's unread partials and its history.
 *
 * @example
 * ```ts
 * const repo = new MemoryPartialRepo();
 * await repo.append([{ groupId, taskId, seq: 0, value: '11\n1' }], window); // ['stored']
 * ```
 */
export class MemoryPartialRepo implements PartialRepo {
  readonly #tasks = new Map<string, Held>();
  readonly #byGroup = new Map<string, Set<string>>();

  async append(items: readonly PartialItem[], window: PartialWindow): Promise<AppendVerdict[]> {
    return items.map(({ groupId, taskId, seq, value }) => {
      let held = this.#tasks.get(taskId);
      if (held === undefined) {
        held = { groupId, first: 0, count: 0, acked: 0, ackedBytes: 0, unreadBytes: 0, historyBytes: 0, values: [] };
        this.#tasks.set(taskId, held);
        (this.#byGroup.get(groupId) ?? this.#byGroup.set(groupId, new Set()).get(groupId)!).add(taskId);
      }
      if (seq < held.count) return 'duplicate';
      if (seq > held.count) return 'gap';
      const bytes = byteLength(value);
      const unread = held.count - held.acked;
      if (unread >= window.maxUnread || (unread > 0 && held.unreadBytes + bytes > window.maxUnreadBytes)) return 'over';
      held.values.push(value);
      held.count++;
      held.unreadBytes += bytes;
      return 'stored';
    });
  }

  async ack(items: readonly { readonly groupId: string; readonly taskId: string; readonly seq: number }[], window: PartialWindow): Promise<(Credit | null)[]> {
    return items.map(({ taskId, seq }) => {
      const held = this.#tasks.get(taskId);
      if (held === undefined) return null;
      const to = Math.min(held.count, seq + 1);
      if (to <= held.acked) return null;
      for (let i = held.acked; i < to; i++) {
        const bytes = byteLength(held.values[i - held.first]!);
        held.ackedBytes += bytes;
        held.unreadBytes -= bytes;
        held.historyBytes += bytes;
      }
      held.acked = to;
      // History: at most `history` read ones, of at most the window's bytes, stay for late readers.
      while (held.acked > held.first && (held.acked - held.first > window.history || held.historyBytes > window.maxUnreadBytes)) {
        held.historyBytes -= byteLength(held.values.shift()!);
        held.first++;
      }
      return creditOf(held, window);
    });
  }

  async credit(_groupId: string, taskId: string, window: PartialWindow): Promise<Credit> {
    const held = this.#tasks.get(taskId);
    return held === undefined ? { count: window.maxUnread, bytes: window.maxUnreadBytes } : creditOf(held, window);
  }

  async read(_groupId: string, taskId: string, from: number, limit: number): Promise<HeldPartials> {
    const held = this.#tasks.get(taskId);
    if (held === undefined) return { taskId, first: 0, count: 0, acked: 0, values: [] };
    const first = Math.max(from, held.first);
    return { taskId, first, count: held.count, acked: held.acked, values: held.values.slice(first - held.first, first - held.first + limit) };
  }

  async unread(groupId: string, limit: number): Promise<HeldPartials[]> {
    const out: HeldPartials[] = [];
    let left = limit;
    for (const taskId of this.#byGroup.get(groupId) ?? []) {
      const held = this.#tasks.get(taskId)!;
      if (held.acked >= held.count) continue;
      if (left <= 0) break;
      const values = held.values.slice(held.acked - held.first, held.acked - held.first + left);
      left -= values.length;
      out.push({ taskId, first: held.acked, count: held.count, acked: held.acked, values });
    }
    return out;
  }

  async remove(groupId: string, taskIds: readonly string[]): Promise<void> {
    const group = this.#byGroup.get(groupId);
    for (const taskId of taskIds) {
      this.#tasks.delete(taskId);
      group?.delete(taskId);
    }
    if (group?.size === 0) this.#byGroup.delete(groupId);
  }
}

/** A task's credit: the read ones plus the window. */
function creditOf(held: Held, window: PartialWindow): Credit {
  return { count: held.acked + window.maxUnread, bytes: held.ackedBytes + window.maxUnreadBytes };
}
