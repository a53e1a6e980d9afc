import type { Backend } from '../../core/Backend.js';
import type { DoomedTask, EndpointEntry, FunctionEntry, ReportOutcome, SubmitOutcome, TaskCompletion, TaskEntry, TaskMove } from '../../core/records.js';
import { ServiceStats } from '../../ServiceStats.js';
import { MemoryGroupRepo } from './MemoryGroupRepo.js';
import { MemoryIdentityRepo } from './MemoryIdentityRepo.js';
import { MemoryPresence } from './MemoryPresence.js';
import { MemoryRegistry } from './MemoryRegistry.js';
import { MemoryTaskBus } from './MemoryTaskBus.js';
import { MemoryPartialRepo } from './MemoryPartialRepo.js';
import { MemoryTaskRepo } from './MemoryTaskRepo.js';

/**
 * Everything in this process's memory: the default for `startLocalService` and `funcx-rx serve`.
 * Fast, and lost when the process ends; one replica only.
 *
 * @example
 * ```ts
 * const service = await FuncXService.start({ backend: new MemoryBackend() });
 * ```
 */
export class MemoryBackend implements Backend {
  readonly counters = new ServiceStats();
  /** Counts every task change in the step that makes it: no failed call or retry skews a figure. */
  readonly tasks = new MemoryTaskRepo(this.counters);
  readonly partials = new MemoryPartialRepo();
  readonly groups = new MemoryGroupRepo();
  readonly functions = new MemoryRegistry<FunctionEntry>('lastUsedAt');
  readonly endpoints = new MemoryRegistry<EndpointEntry>('lastSeenAt');
  readonly identity = new MemoryIdentityRepo();
  readonly bus = new MemoryTaskBus(this.tasks);
  readonly presence = new MemoryPresence();

  // Runs to its end without awaiting: insert, join and enqueue are one atomic step.
  async submit(groupId: string, endpointId: string, tasks: readonly TaskEntry[]): Promise<SubmitOutcome> {
    // Checked first, so that a refused submit has written nothing.
    if (!this.groups.addTasksNow(groupId, [])) throw new Error(`Task group ${groupId} no longer exists`);
    const existing = this.tasks.insertNow(tasks);
    const accepted = tasks.filter((_, i) => existing[i] === null);
    this.groups.addTasksNow(groupId, accepted.map((t) => t.id));
    const queued: string[] = [];
    const released: string[] = [];
    const doomed: DoomedTask[] = [];
    for (const task of accepted) {
      if (!task.inputs?.length) {
        queued.push(task.id);
        continue;
      }
      const outcome = this.tasks.registerNow(task);
      if (outcome === 'released') {
        queued.push(task.id);
        released.push(task.id);
      } else if (outcome !== 'waiting') doomed.push({ task, inputId: outcome.doomedBy });
    }
    this.bus.enqueueNow(endpointId, queued);
    return { existing, released, doomed };
  }

  // Runs to its end without awaiting: moves, ends and undelivered marks are one atomic step.
  async report(ownerId: string, endpointId: string, moves: readonly TaskMove[], ends: readonly TaskCompletion[]): Promise<ReportOutcome> {
    const moved = this.tasks.advanceNow(ownerId, endpointId, moves);
    const ended = this.tasks.completeNow(ownerId, ends);
    const { released, doomed } = this.tasks.settleDependantsNow(ended, ends);
    // Each endpoint's consumers woken once, however many of its tasks were released.
    const byEndpoint = new Map<string, string[]>();
    for (const task of released) (byEndpoint.get(task.endpointId) ?? byEndpoint.set(task.endpointId, []).get(task.endpointId)!).push(task.id);
    for (const [id, ids] of byEndpoint) this.bus.enqueueNow(id, ids);
    const byGroup = new Map<string, string[]>();
    for (const before of ended) if (before) (byGroup.get(before.groupId) ?? byGroup.set(before.groupId, []).get(before.groupId)!).push(before.id);
    for (const [groupId, ids] of byGroup) this.groups.addUndeliveredNow(groupId, ids);
    return { moved, ended, released, doomed };
  }

  async close(): Promise<void> {}
}
