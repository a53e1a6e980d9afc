import { FuncXError } from './FuncXError.js';

/**
 * A generator task's partial results could not all be read (docs/protocol-extensions.md §11):
 * the ones from `fromSeq` on are no longer held by the service (past its `partialHistory`, or
 * expired with the task), or never came. The task's Observable errors with it instead of
 * completing with a hole in its values; its return value is still what `getResult` gives.
 *
 * @example
 * ```ts
 * task.subscribe({ error: (e) => { if (e instanceof PartialsMissing) console.log(`lost from ${e.fromSeq}`); } });
 * ```
 */
export class PartialsMissing extends FuncXError {
  override readonly code = 'FX_PARTIALS_MISSING';
  /** The task. */
  readonly taskId: string;
  /** The first partial that could not be read. */
  readonly fromSeq: number;

  /**
   * @param taskId - the task
   * @param fromSeq - the first partial that could not be read
   * @param why - what the service answered
   */
  constructor(taskId: string, fromSeq: number, why: string) {
    super(`Task ${taskId}'s partial results from ${fromSeq} on could not be read: ${why}`);
    this.name = 'PartialsMissing';
    this.taskId = taskId;
    this.fromSeq = fromSeq;
  }
}
