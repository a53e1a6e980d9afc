/**
 * An error made by the service itself (a cancel, an expiry, a failed input): its stack would only
 * tell the client about the service, so it is its name and message alone.
 *
 * @example
 * ```ts
 * serializeErrorAs(form, new ServiceMadeError('TaskCancelled', `Task ${id} was cancelled`));
 * ```
 */
export class ServiceMadeError extends Error {
  /**
   * @param name - the error's name, as the client reads it
   * @param message - what happened
   */
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
    this.stack = `${name}: ${message}`;
  }
}
