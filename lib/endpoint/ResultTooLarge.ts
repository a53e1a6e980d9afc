import { FuncXError } from '../errors/FuncXError.js';
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
export class ResultTooLarge extends FuncXError {
  override readonly code = 'FX_RESULT_TOO_LARGE';
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

  /**
   * The one result-size check (worker threads, the endpoint, the service): UTF-8 bytes, counted
   * only when the length in characters could be over the limit.
   *
   * @param text - the serialized result or exception
   * @param limitBytes - the limit
   * @returns the error to fail the task with, or undefined when within the limit
   * @example
   * ```ts
   * const tooLarge = ResultTooLarge.check(result, 10 * 1024 * 1024);
   * if (tooLarge) return { exception: serializeError(tooLarge) };
   * ```
   */
  static check(text: string, limitBytes: number): ResultTooLarge | undefined {
    // A character is 1 to 3 UTF-8 bytes (4 for a surrogate pair, 2 characters): within the limit in bytes if within it in characters / 3.
    if (text.length <= limitBytes / 3) return undefined;
    const bytes = Buffer.byteLength(text);
    return bytes > limitBytes ? new ResultTooLarge(bytes, limitBytes) : undefined;
  }
}
