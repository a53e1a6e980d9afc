import { Observable, Subject } from 'rxjs';
import type { TaskRepo } from '../../core/repositories.js';
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
  readonly #tasks: Pick<TaskRepo, 'advanceMany'> | null;
  #refs = 0;

  /** @param tasks - the repository takeAndClaim claims tasks in */
  constructor(tasks: Pick<TaskRepo, 'advanceMany'> | null = null) {
    this.#tasks = tasks;
  }

  /** How many endpoint queues exist (for specs: a queue with no work and no consumer is dropped). */
  get queues(): number {
    return this.#lines.size;
  }

  async dispatch(endpointId: string, taskIds: readonly string[]): Promise<void> {
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

  async publish(event: GroupEvent): Promise<void> {
    this.#groups.next(event.groupId, event);
  }

  async publishMany(events: readonly GroupEvent[]): Promise<void> {
    for (const event of events) this.#groups.next(event.groupId, event);
  }

  groupEvents(groupId: string): Observable<GroupEvent> {
    return this.#groups.observe(groupId);
  }

  async groupReady(): Promise<void> {}

  queue(endpointId: string, consumerId: string): EndpointQueue {
    const line = this.#line(endpointId);
    line.taken.set(consumerId, new Map());
    const queue: EndpointQueue = {
      wake$: line.wake.asObservable(),
      takeAndClaim: async (max) => {
        const taken = await queue.take(max);
        if (this.#tasks === null) return taken.map((t): ClaimedTask => ({ ...t, before: null }));
        const befores = await this.#tasks.advanceMany(endpointId, taken.map((t) => ({ id: t.taskId, to: 'waiting-for-nodes' })));
        return taken.map((t, i): ClaimedTask => ({ ...t, before: befores[i]! }));
      },
      take: async (max) => {
        const held = line.taken.get(consumerId);
        if (!held) return [];
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
        const held = line.taken.get(consumerId);
        if (held) for (const ref of refs) held.delete(ref);
      },
      release: async () => {
        const held = line.taken.get(consumerId);
        line.taken.delete(consumerId);
        this.#dropIfIdle(endpointId, line);
        return held ? [...held.values()] : [];
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

  async forget(endpointId: string): Promise<void> {
    this.#lines.delete(endpointId);
  }

  async reclaim(endpointId: string, alive: (consumerId: string) => boolean): Promise<string[]> {
    const line = this.#lines.get(endpointId);
    if (!line) return [];
    const out: string[] = [];
    for (const [consumerId, held] of line.taken) {
      if (alive(consumerId)) continue;
      out.push(...held.values());
      line.taken.delete(consumerId);
    }
    this.#dropIfIdle(endpointId, line);
    return out;
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
