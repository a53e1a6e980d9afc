/**
 * Options of the AMQP result transport ({@link FuncXServiceOptions.amqp}): a RabbitMQ the service
 * publishes Globus Compute `Executor` results to (docs/protocol-extensions.md §10).
 *
 * @example
 * ```ts
 * await FuncXService.start({
 *   amqp: { url: 'amqp://funcx:secret@127.0.0.1:5672/', managementUrl: 'http://127.0.0.1:15672', credentialSecret: process.env.FUNCX_AMQP_SECRET },
 * });
 * ```
 */
export interface AmqpResultsOptions {
  /**
   * The service's own connection: an administrator's `amqp://user:password@host:port/vhost`. It
   * declares each task group's queue and publishes to it.
   */
  readonly url: string;
  /**
   * RabbitMQ's management API (its `rabbitmq_management` plugin), where the service makes each
   * user's own RabbitMQ user, allowed to read that user's queues only. The credentials are
   * those of `url`.
   */
  readonly managementUrl: string;
  /**
   * Where clients connect, as they see RabbitMQ (`amqp://host:port/vhost`; credentials are each
   * user's own).
   * @default `url`'s host, port and vhost
   */
  readonly clientUrl?: string;
  /**
   * The secret each user's RabbitMQ password derives from (HMAC-SHA256 of the user id). Replicas
   * sharing a RabbitMQ must share it, or each would reset the others' passwords.
   * @default random, for this process only
   */
  readonly credentialSecret?: string;
  /**
   * How long a task group's queue lives with no consumer, in milliseconds (RabbitMQ's
   * `x-expires`).
   * @default the service's `retentionMs`
   */
  readonly queueExpiresMs?: number;
}
