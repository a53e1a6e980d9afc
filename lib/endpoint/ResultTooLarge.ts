/**
 * A task's result was larger than the limit the endpoint (or the service's endpoint channel)
 * accepts; the task fails with this error and the endpoint goes on. Reported to the client as the
 * remote error's name in a `TaskExecutionFailed`.
 *
 * @example
 * ```ts
 * new ResultTooLarge(70_000_000, 10_000_000).message;
 * // "The task's result is 70000000 bytes serialized, over the result limit of 10000000 bytes"
 * ```
 */
export class ResultTooLarge extends Error {
  /** The serialized result's size in bytes, when known. */
  readonly sizeBytes: number | undefined;
  /** The limit it went over, in bytes. */
  readonly limitBytes: number;

  /**
   * @param sizeBytes - the serialized result's size, or undefined when only the limit is known
   * @param limitBytes - the limit
   * @param detail - why the size is unknown, when it is
   */
  constructor(sizeBytes: number | undefined, limitBytes: number, detail?: string) {
    super(
      sizeBytes === undefined
        ? `The task's result is over the limit of ${limitBytes} bytes${detail ? `: ${detail}` : ''}`
        : `The task's result is ${sizeBytes} bytes serialized, over the result limit of ${limitBytes} bytes`,
    );
    this.name = 'ResultTooLarge';
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}
