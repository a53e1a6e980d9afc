import type { GroupEntry } from '../../core/records.js';
import type { GroupRepo } from '../../core/repositories.js';

interface Group {
  entry: GroupEntry;
  readonly taskIds: Set<string>;
  readonly undelivered: Set<string>;
}

/** Task groups in a Map; a Set keeps each group's tasks in submit order. */
export class MemoryGroupRepo implements GroupRepo {
  readonly #groups = new Map<string, Group>();

  async get(id: string): Promise<GroupEntry | undefined> {
    return this.#groups.get(id)?.entry;
  }

  async claim(id: string, ownerId: string, now: number): Promise<GroupEntry> {
    const group = this.#groups.get(id);
    if (group) {
      if (group.entry.ownerId === ownerId) group.entry = Object.freeze({ ...group.entry, touchedAt: now });
      return group.entry;
    }
    const entry = Object.freeze({ id, ownerId, touchedAt: now });
    this.#groups.set(id, { entry, taskIds: new Set(), undelivered: new Set() });
    return entry;
  }

  /**
   * Adds tasks to a group, synchronously: part of MemoryBackend's atomic submit.
   * @returns false when the group does not exist
   */
  addTasksNow(id: string, taskIds: readonly string[]): boolean {
    const group = this.#groups.get(id);
    if (!group) return false;
    for (const taskId of taskIds) group.taskIds.add(taskId);
    return true;
  }

  /** The owner's group (another user's is none). */
  #mine(ownerId: string, id: string): Group | undefined {
    const group = this.#groups.get(id);
    return group !== undefined && group.entry.ownerId === ownerId ? group : undefined;
  }

  async removeTasks(ownerId: string, id: string, taskIds: readonly string[]): Promise<void> {
    const group = this.#mine(ownerId, id);
    if (!group) return;
    for (const taskId of taskIds) {
      group.taskIds.delete(taskId);
      group.undelivered.delete(taskId);
    }
  }

  async taskIds(ownerId: string, id: string, offset = 0, limit?: number): Promise<string[]> {
    const all = [...(this.#mine(ownerId, id)?.taskIds ?? [])];
    return all.slice(offset, limit === undefined ? undefined : offset + limit);
  }

  async size(ownerId: string, id: string): Promise<number> {
    return this.#mine(ownerId, id)?.taskIds.size ?? 0;
  }

  /** Marks ended tasks undelivered, synchronously: part of MemoryBackend's atomic report. */
  addUndeliveredNow(id: string, taskIds: readonly string[]): void {
    const group = this.#groups.get(id);
    if (group) for (const taskId of taskIds) group.undelivered.add(taskId);
  }

  async removeUndelivered(ownerId: string, id: string, taskIds: readonly string[]): Promise<void> {
    const group = this.#mine(ownerId, id);
    if (group) for (const taskId of taskIds) group.undelivered.delete(taskId);
  }

  async drainUndelivered(ownerId: string, id: string): Promise<string[]> {
    const group = this.#mine(ownerId, id);
    if (!group) return [];
    const ids = [...group.undelivered];
    group.undelivered.clear();
    return ids;
  }

  async idleBefore(ownerId: string, before: number, limit: number): Promise<string[]> {
    const out: string[] = [];
    for (const group of this.#groups.values()) {
      if (out.length >= limit) break;
      if (group.entry.ownerId === ownerId && group.entry.touchedAt < before) out.push(group.entry.id);
    }
    return out;
  }

  async owners(): Promise<string[]> {
    const out = new Set<string>();
    for (const group of this.#groups.values()) out.add(group.entry.ownerId);
    return [...out];
  }

  async delete(ownerId: string, id: string, before: number): Promise<boolean> {
    const group = this.#mine(ownerId, id);
    if (!group || group.taskIds.size > 0 || group.entry.touchedAt >= before) return false;
    this.#groups.delete(id);
    return true;
  }
}
