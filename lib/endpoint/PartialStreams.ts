import type { EndpointPartialMessage, PartialCredit } from '../protocol/endpointChannel.js';
import { NO_CREDIT_LIMIT, type WorkerPartial } from './partialChannel.js';

/** One running task's stream: its credit, how many partials came, and those the service may not have stored. */
interface Stream {
  /** The first credit's count: the service's window, so `credit.count - window` were read, and so stored. */
  readonly window: number;
  credit: PartialCredit;
  /** Partials that came from the engine, in order. */
  count: number;
  /** Partials sent since the last one known stored (at most the window): sent again on a new connection. */
  retained: EndpointPartialMessage[];
  /** Told when `count` reaches what the outcome said. */
  reached: { readonly want: number; readonly resolve: () => void } | null;
}

/** How long a task's result waits for partials its outcome counted and that have not come. */
const PARTIALS_WAIT_MS = 5000;

/**
 * The endpoint's side of generators' partial results (docs/protocol-extensions.md §11), per
 * running task: each partial from the engine is sent on in order, once; the service's credits go
 * to the engine; the partials since the last one the service is known to have stored are kept
 * (at most its window) and sent again on every new connection, so none is lost with a socket; a
 * result waits until the partials its outcome counted have been sent before it. The endpoint
 * owns one: a task's entry goes when the task ends.
 *
 * @example
 * ```ts
 * const streams = new PartialStreams((message) => send(message), (id, credit) => engine.credit?.(id, credit));
 * streams.begin(task.task_id, task.credit);
 * engine.onPartial?.((p) => streams.partial(p));
 * ```
 */
export class PartialStreams {
  readonly #streams = new Map<string, Stream>();
  readonly #send: (message: EndpointPartialMessage) => void;
  readonly #giveCredit: (taskId: string, credit: PartialCredit) => void;

  /**
   * @param send - sends a partial to the service (kept while disconnected, as every message is)
   * @param giveCredit - tells the engine a task's new credit
   */
  constructor(send: (message: EndpointPartialMessage) => void, giveCredit: (taskId: string, credit: PartialCredit) => void) {
    this.#send = send;
    this.#giveCredit = giveCredit;
  }

  /**
   * A task starts running: its partials are taken from now on.
   *
   * @param taskId - the task
   * @param credit - its first credit (the service's window), none for no limit
   * @returns nothing
   */
  begin(taskId: string, credit: PartialCredit | undefined): void {
    const first = credit ?? NO_CREDIT_LIMIT;
    this.#streams.set(taskId, { window: first.count, credit: first, count: 0, retained: [], reached: null });
  }

  /**
   * A partial from the engine: sent on when it is its task's next one (a repeat is dropped).
   *
   * @param partial - the partial
   * @returns nothing
   */
  partial(partial: WorkerPartial): void {
    const stream = this.#streams.get(partial.taskId);
    if (stream === undefined || partial.seq !== stream.count) return;
    stream.count++;
    const message: EndpointPartialMessage = { type: 'partial', task_id: partial.taskId, seq: partial.seq, value: partial.value };
    stream.retained.push(message);
    this.#send(message);
    if (stream.reached !== null && stream.count >= stream.reached.want) stream.reached.resolve();
  }

  /**
   * The service's credit for a task: to the engine, and what it says was read is no longer kept.
   *
   * @param taskId - the task
   * @param credit - its new cumulative credit
   * @returns nothing
   */
  credit(taskId: string, credit: PartialCredit): void {
    const stream = this.#streams.get(taskId);
    if (stream === undefined) return;
    stream.credit = { count: Math.max(stream.credit.count, credit.count), bytes: Math.max(stream.credit.bytes, credit.bytes) };
    const stored = stream.credit.count - stream.window;
    stream.retained = stream.retained.filter((m) => m.seq >= stored);
    this.#giveCredit(taskId, stream.credit);
  }

  /**
   * Waits until a task's partials its outcome counted have been sent (they come on another
   * channel than its outcome), at most a few seconds; then forgets the task.
   *
   * @param taskId - the task
   * @param partials - how many the outcome says it streamed, if it was a generator
   * @returns when its result may go
   */
  async end(taskId: string, partials: number | undefined): Promise<void> {
    const stream = this.#streams.get(taskId);
    if (stream !== undefined && partials !== undefined && stream.count < partials) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        stream.reached = { want: partials, resolve };
        // A partial that never comes (a worker that died between posting and its outcome) must not hold the result for ever.
        timer = setTimeout(resolve, PARTIALS_WAIT_MS);
      });
      clearTimeout(timer);
    }
    this.#streams.delete(taskId);
  }

  /** A task that stopped without a result (cancelled, the endpoint closing): forgotten. */
  forget(taskId: string): void {
    this.#streams.delete(taskId);
  }

  /**
   * A new connection: every running task's partials the service may not have are sent again
   * (it keeps the first of each seq).
   *
   * @returns nothing
   */
  resend(): void {
    for (const stream of this.#streams.values()) for (const message of stream.retained) this.#send(message);
  }
}
