import { Observable, Subject } from 'rxjs';
import type { ControlEvent, EndpointQueue, GroupEvent, TakenTask, TaskBus } from '../../core/TaskBus.js';
import { KeyedSubjects } from './KeyedSubjects.js';

/** One endpoint's queue: task ids not yet taken, and what each consumer holds. */
interface Line {
  ready: string[];
  head: number;
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
  #refs = 0;

  async dispatch(endpointId: string, taskIds: readonly string[]): Promise<void> {
    if (taskIds.length === 0) return;
    const line = this.#line(endpointId);
    for (const taskId of taskIds) line.ready.push(taskId);
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

  groupEvents(groupId: string): Observable<GroupEvent> {
    return this.#groups.observe(groupId);
  }

  async groupReady(): Promise<void> {}

  queue(endpointId: string, consumerId: string): EndpointQueue {
    const line = this.#line(endpointId);
    line.taken.set(consumerId, new Map());
    return {
      wake$: line.wake.asObservable(),
      take: async (max) => {
        const held = line.taken.get(consumerId);
        if (!held) return [];
        const out: TakenTask[] = [];
        while (out.length < max && line.head < line.ready.length) {
          const taskId = line.ready[line.head++]!;
          const ref = String(++this.#refs);
          held.set(ref, taskId);
          out.push({ ref, taskId });
        }
        this.#compact(line);
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
    if (!line) this.#lines.set(endpointId, (line = { ready: [], head: 0, wake: new Subject(), taken: new Map() }));
    return line;
  }

  /** Taken entries are dropped from the front in chunks, so take() stays O(1) per task. */
  #compact(line: Line): void {
    if (line.head > 1024 && line.head * 2 > line.ready.length) {
      line.ready = line.ready.slice(line.head);
      line.head = 0;
    }
  }

  #dropIfIdle(endpointId: string, line: Line): void {
    if (line.taken.size === 0 && line.head >= line.ready.length && !line.wake.observed) this.#lines.delete(endpointId);
  }
}
