import { FuncXError } from '../../errors/FuncXError.js';

/**
 * The AMQP result transport cannot do what was asked: the service has none configured, or
 * RabbitMQ (its AMQP port or its management API) did not answer or refused.
 *
 * @example
 * ```ts
 * try { await amqp.connectionInfo(userId); } catch (e) { if (e instanceof AmqpUnavailable) console.error(e.code, e.message); }
 * ```
 */
export class AmqpUnavailable extends FuncXError {
  /** A stable code for this error. */
  override readonly code = 'FX_AMQP_UNAVAILABLE';

  /**
   * @param message - what failed
   * @param options - `cause`: the underlying error
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AmqpUnavailable';
  }
}
