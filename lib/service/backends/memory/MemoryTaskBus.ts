import { Observable, Subject } from 'rxjs';
import { DISPATCHED_STATUS } from '../../../protocol/lifecycle.js';
import type { TaskEntry } from '../../core/records.js';
import type { MemoryTaskRepo } from './MemoryTaskRepo.js';
import type { ClaimedTask, ControlEvent, EndpointQueue, GroupEvent, TakenTask, TaskBus } from '../../core/TaskBus.js';
import { KeyedSubjects } from './KeyedSubjects.js';

/** One endpoint's queue: task ids not yet taken, and what each consumer holds. */
interface Line {
  /** Task ids not yet taken, in order (a Set keeps insertion order and deletes in O(1)). */
  readonly ready: Set<string>;
  readonly wake: Subject<void>;
  readonly taken: Map<string, Map<string, string>>;
}

/**
 * The bus in one process: arrays for endpoint queues, Subjects for control and group events.
 * The bus owns its maps: a queue with nothing ready and no consumer is deleted.
 */
export class MemoryTaskBus implements TaskBus {
  readonly #lines = new Map<string, Line>();
  readonly #control = new KeyedSubjects<ControlEvent>();
  readonly #groups = new KeyedSubjects<GroupEvent>();
  /** Where claims are made (takeAndClaim); a bus without one claims nothing. */
  readonly #tasks: MemoryTaskRepo | null;
  #refs = 0;

  /** @param tasks - the repository takeAndClaim claims tasks in */
  constructor(tasks: MemoryTaskRepo | null = null) {
    this.#tasks = tasks;
  }

  /** How many endpoint queues exist (for specs: a queue with no work and no consumer is dropped). */
  get queues(): number {
    return this.#lines.size;
  }

  /** Puts tasks on their endpoint's queue, in order, and wakes its consumers once, synchronously: part of MemoryBackend's atomic submit. */
  enqueueNow(endpointId: string, taskIds: readonly string[]): void {
    if (taskIds.length === 0) return;
    const line = this.#line(endpointId);
    for (const taskId of taskIds) line.ready.add(taskId);
    line.wake.next();
  }

  async control(endpointId: string, event: ControlEvent): Promise<void> {
    this.#control.next(endpointId, event);
  }

  controlEvents(endpointId: string): Observable<ControlEvent> {
    return this.#control.observe(endpointId);
  }


  async publishMany(events: readonly GroupEvent[]): Promise<void> {
    for (const event of events) this.#groups.next(event.groupId, event);
  }

  groupEvents(groupId: string): Observable<GroupEvent> {
    return this.#groups.observe(groupId);
  }

  async groupReady(): Promise<void> {}

  // One queue per endpoint id: an endpoint is one user's, and only its owner's connections take from it.
  queue(ownerId: string, endpointId: string, consumerId: string): EndpointQueue {
    const line = this.#line(endpointId);
    line.taken.set(consumerId, new Map());
    const queue: EndpointQueue = {
      wake$: line.wake.asObservable(),
      takeAndClaim: async (max) => {
        const taken = await queue.take(max);
        if (this.#tasks === null) return taken.map((t): ClaimedTask => ({ ...t, before: null }));
        const befores = this.#tasks.advanceNow(ownerId, endpointId, taken.map((t) => ({ id: t.taskId, to: DISPATCHED_STATUS })), 'dispatch');
        return taken.map((t, i): ClaimedTask => ({ ...t, before: befores[i]! }));
      },
      take: async (max) => {
        // A consumer that released everything may take again (as a Redis consumer is made anew by its next read).
        const line = this.#line(endpointId);
        let held = line.taken.get(consumerId);
        if (!held) line.taken.set(consumerId, (held = new Map()));
        const out: TakenTask[] = [];
        for (const taskId of line.ready) {
          if (out.length >= max) break;
          line.ready.delete(taskId);
          const ref = String(++this.#refs);
          held.set(ref, taskId);
          out.push({ ref, taskId });
        }
        return out;
      },
      ack: async (refs) => {
        const held = this.#lines.get(endpointId)?.taken.get(consumerId);
        if (held) for (const ref of refs) held.delete(ref);
      },
      release: async () => {
        const line = this.#line(endpointId);
        const held = line.taken.get(consumerId);
        line.taken.delete(consumerId);
        const requeued = this.#requeue(endpointId, held ? [...held.values()] : []);
        this.#dropIfIdle(endpointId, line);
        return requeued;
      },
    };
    return queue;
  }

  async withdraw(endpointId: string, taskId: string): Promise<void> {
    const line = this.#lines.get(endpointId);
    if (!line) return;
    line.ready.delete(taskId);
    this.#dropIfIdle(endpointId, line);
  }

  async forget(_ownerId: string, endpointId: string): Promise<void> {
    this.#lines.delete(endpointId);
  }

  async reclaim(_ownerId: string, endpointId: string, alive: (consumerId: string) => boolean): Promise<TaskEntry[]> {
    const line = this.#lines.get(endpointId);
    if (!line) return [];
    const ids: string[] = [];
    for (const [consumerId, held] of line.taken) {
      if (alive(consumerId)) continue;
      ids.push(...held.values());
      line.taken.delete(consumerId);
    }
    const requeued = this.#requeue(endpointId, ids);
    this.#dropIfIdle(endpointId, line);
    return requeued;
  }

  /** Requeues the live ones of tasks given back, in the same synchronous step. @returns them, as they were before */
  #requeue(endpointId: string, ids: readonly string[]): TaskEntry[] {
    if (ids.length === 0) return [];
    const befores = this.#tasks === null ? [] : this.#tasks.requeueNow(ids, Date.now()).filter((t): t is TaskEntry => t !== null);
    if (befores.length === 0) return [];
    this.enqueueNow(endpointId, befores.map((t) => t.id));
    return befores;
  }

  #line(endpointId: string): Line {
    let line = this.#lines.get(endpointId);
    if (!line) this.#lines.set(endpointId, (line = { ready: new Set(), wake: new Subject(), taken: new Map() }));
    return line;
  }

  #dropIfIdle(endpointId: string, line: Line): void {
    if (line.taken.size === 0 && line.ready.size === 0 && !line.wake.observed) this.#lines.delete(endpointId);
  }
}
