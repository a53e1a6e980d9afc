import { AsyncSubject, BehaviorSubject, of, type Observable } from 'rxjs';
import { INITIAL_STATUS, statusRank, WAITING_STATUS, type TaskStatus } from '../protocol/lifecycle.js';
import type { Settlement } from './frameToSettlement.js';
import type { PartialInbox } from './PartialInbox.js';

/**
 * A task's status as the client sees it: `queued` while it waits in the client's batch buffer,
 * then the service's statuses.
 */
export type ClientTaskStatus = 'queued' | TaskStatus;

/**
 * Where a task is in its life on the client: waiting in the batch buffer, in a submit post, accepted by
 * the service, ended. The only moves are those of {@link PHASE_MOVES}.
 */
export type TaskPhase = 'queued' | 'posting' | 'posted' | 'settled';

/**
 * The task lifecycle, every move in one table: queued → posting → posted → settled, and
 * settled from anywhere (a cancel in the buffer, a refused post, a result before the answer).
 */
export const PHASE_MOVES: Readonly<Record<TaskPhase, readonly TaskPhase[]>> = {
  queued: ['posting', 'settled'],
  posting: ['posted', 'settled'],
  posted: ['settled'],
  settled: [],
};

/** The client's order: `queued` comes before every status of the service's lifecycle. */
const rank = (status: ClientTaskStatus): number => (status === 'queued' ? -1 : statusRank(status));

/**
 * The client's record of one outstanding task: its ids, how far its submission got, and its
 * outcome: a settle-once record with a list of waiters ({@link TaskState.whenSettled}, what
 * `await` uses), and as an `AsyncSubject` (one value then complete, or an error) that late
 * subscribers still receive. Subjects are made only when somebody subscribes or watches
 * statuses, to keep 100,000 outstanding tasks cheap and an executor's tens of thousands a second
 * light.
 */
export class TaskState<T = unknown> {
  readonly taskId: string;
  readonly groupId: string;
  #settlement: Settled<T> | null = null;
  #waiters: ((settlement: Settled<T>) => void)[] | null = null;
  #outcome$: AsyncSubject<T> | null = null;
  /** Told once, when the task settles (the registry's removal; a field, not a subscriber, to stay cheap). */
  onSettled: ((state: TaskState<T>) => void) | null = null;
  /** Set when the user cancelled the task after it left the buffer: the service decides how it ends. */
  cancelReason: { reason: unknown } | null = null;
  /** The result socket's reopen count when the post started (see AsyncSession's sweep after an answer). */
  reopensAtPost = 0;
  /** The ids of the tasks whose results it takes as arguments (docs/protocol-extensions.md §12). */
  readonly inputs: readonly string[];
  /** Its partial results, made when first needed: most tasks are no generators, and 100,000 outstanding tasks stay cheap (§11). */
  partials: PartialInbox | null = null;
  /** Set from its result: it was a generator, so its Observable emits its partials and not the return value. */
  generator = false;
  /** An `await` wants only the return value: partials nobody else takes are dropped (and acknowledged). */
  drainPartials = false;
  /** A generator's end, held until every partial it yielded has been taken in (§11). */
  pendingEnd: Settlement | null = null;
  #phase: TaskPhase;
  #status: ClientTaskStatus;
  /** The status is the client's guess (a task it follows by id): the service's first word replaces it, whatever its rank. */
  #assumed = false;
  #status$: BehaviorSubject<ClientTaskStatus> | null = null;

  /**
   * @param taskId - the task's id, chosen by the client
   * @param groupId - its task group
   * @param status - its status when the client learns of it; a task learnt of with a service status is already posted
   * @param inputs - the tasks it waits for: the service accepts it in `waiting-for-deps` when there are any
   */
  constructor(taskId: string, groupId: string, status: ClientTaskStatus = 'queued', inputs: readonly string[] = []) {
    this.taskId = taskId;
    this.groupId = groupId;
    this.inputs = inputs;
    this.#status = status;
    this.#phase = status === 'queued' ? 'queued' : 'posted';
  }

  /**
   * A task the client follows by id (`watch`, `reattach`): posted, shown as `waiting-for-ep` until
   * the service says where it is, which may be behind that (`waiting-for-deps`).
   *
   * @param taskId - the task's id
   * @param groupId - its task group
   * @returns its state
   * @example
   * ```ts
   * const state = TaskState.followed(taskId, groupId);
   * state.setStatus('waiting-for-deps'); // taken: the first status the service gives
   * ```
   */
  static followed<T>(taskId: string, groupId: string): TaskState<T> {
    const state = new TaskState<T>(taskId, groupId, INITIAL_STATUS);
    state.#assumed = true;
    return state;
  }

  /** Where the task is in its lifecycle. */
  get phase(): TaskPhase {
    return this.#phase;
  }

  /** Whether the task has ended. */
  get settled(): boolean {
    return this.#phase === 'settled';
  }

  /** The outcome as an Observable: one value then complete, or the error; a late subscriber still gets it. Made when first asked for. */
  get outcome(): Observable<T> {
    if (this.#outcome$ === null) {
      this.#outcome$ = new AsyncSubject<T>();
      if (this.#settlement !== null) emit(this.#outcome$, this.#settlement);
    }
    return this.#outcome$;
  }

  /**
   * Calls back once with the outcome: at once when the task has ended, else when it ends.
   * Cheaper than subscribing to {@link TaskState.outcome}: no subject, no subscriber.
   *
   * @param callback - told the value or the error
   * @returns nothing
   */
  whenSettled(callback: (settlement: Settled<T>) => void): void {
    if (this.#settlement !== null) callback(this.#settlement);
    else (this.#waiters ??= []).push(callback);
  }

  /**
   * Moves the task along its lifecycle ({@link PHASE_MOVES}); a move the table does not allow
   * (a late answer for a settled task) changes nothing. Settling goes through {@link settle}.
   *
   * @param to - `posting` or `posted`
   * @returns true when the task moved
   */
  moveTo(to: 'posting' | 'posted'): boolean {
    if (!PHASE_MOVES[this.#phase].includes(to)) return false;
    this.#phase = to;
    if (to === 'posted') this.setStatus(this.inputs.length > 0 ? WAITING_STATUS : INITIAL_STATUS);
    return true;
  }

  /** The latest status. */
  get status(): ClientTaskStatus {
    return this.#status;
  }

  /**
   * The statuses, starting with the latest known and ending when the task ends (a final status is
   * its last value). A subscriber after the end gets the final status, then completion.
   */
  get status$(): Observable<ClientTaskStatus> {
    // A completed BehaviorSubject replays nothing; late subscribers still need the final status.
    if (this.settled) return of(this.#status);
    if (this.#status$ === null) {
      this.#status$ = new BehaviorSubject<ClientTaskStatus>(this.#status);
      if (this.settled) this.#status$.complete();
    }
    return this.#status$;
  }

  /**
   * Records a status. Statuses never go backwards: a late `running` after `success` is dropped.
   *
   * @param status - the new status
   * @returns nothing
   */
  setStatus(status: ClientTaskStatus): void {
    // Frames and answers race (a status frame can beat the submit answer); only forward moves
    // count, but for the first status the service gives a task the client only guessed at.
    if (this.settled) return;
    const assumed = this.#assumed;
    this.#assumed = false;
    if (assumed ? status === this.#status : rank(status) <= rank(this.#status)) return;
    this.#status = status;
    this.#status$?.next(status);
  }

  /**
   * Ends the task once; later calls do nothing (duplicate frames, a sweep racing the socket).
   *
   * @param settlement - the value, or the error
   * @param finalStatus - the status to end on
   * @returns true when this call settled it
   */
  settle(settlement: { value: T } | { error: unknown }, finalStatus: ClientTaskStatus): boolean {
    if (this.settled) return false;
    this.#status = finalStatus;
    this.#status$?.next(finalStatus);
    // Marked before the subject emits, so subscribers that unsubscribe on the value see a settled task.
    this.#phase = 'settled';
    this.#status$?.complete();
    this.onSettled?.(this);
    this.partials?.end('error' in settlement ? { error: settlement.error } : undefined);
    this.#settlement = settlement;
    if (this.#outcome$ !== null) emit(this.#outcome$, settlement);
    const waiters = this.#waiters;
    this.#waiters = null;
    if (waiters !== null) for (const waiter of waiters) waiter(settlement);
    return true;
  }
}

/** A task's outcome: its value, or its error. */
export type Settled<T> = { readonly value: T } | { readonly error: unknown };

function emit<T>(subject: AsyncSubject<T>, settlement: Settled<T>): void {
  if ('value' in settlement) {
    subject.next(settlement.value);
    subject.complete();
  } else {
    subject.error(settlement.error);
  }
}
