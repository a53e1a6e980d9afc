import { createHmac, randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import type { Subscription } from 'rxjs';
import type { ResultFrame } from '../../protocol/task.js';
import type { TaskBus } from '../core/TaskBus.js';
import { AmqpUnavailable } from './AmqpUnavailable.js';
import type { AmqpResultsOptions } from './AmqpResultsOptions.js';
import { resultMessage } from './resultMessage.js';

/** What `GET /v2/get_amqp_result_connection_url` answers: where a user's results are. */
export interface AmqpConnectionInfo {
  /** `amqp://<user's RabbitMQ user>:<its password>@host:port/vhost`. */
  readonly connection_url: string;
  /** The user's queues are `<queue_prefix><task_group_id>`. */
  readonly queue_prefix: string;
}

/** A group whose results go to its queue, while any of its tasks may still end. */
interface Followed {
  readonly queue: string;
  /** Its events on the bus, followed while it has tasks that may end. */
  subscription: Subscription | null;
  /** Tasks accepted and not yet ended (it may dip below 0 while a submit's answer is on its way). */
  outstanding: number;
  /** Submits whose tasks are being accepted now: the group is followed at least until they are counted. */
  inFlight: number;
}

/**
 * The AMQP result transport: RabbitMQ, the engine Globus Compute's own service uses for results.
 * A v3 submit with `create_queue` gets its task group a queue, `<prefix><task_group_id>`, and
 * every result of the group is published there as the `Result` message the Globus Compute
 * `Executor` consumes. Each user has a RabbitMQ user of their own (made through the management
 * API, its password derived from `credentialSecret`) that may read that user's queues and
 * nothing else, so no user can read another's results.
 *
 * Results are published by the replica that accepted the submit, from the group's events on the
 * bus; a result that ends while RabbitMQ is unreachable is not published (it stays on the
 * service, where `GET /v2/tasks/<id>` and the result socket still give it).
 *
 * @example
 * ```ts
 * const amqp = new AmqpResults(options, backend.bus, retentionMs);
 * const { connection_url, queue_prefix } = await amqp.connectionInfo(userId);
 * ```
 */
export class AmqpResults {
  readonly #options: AmqpResultsOptions;
  readonly #bus: TaskBus;
  readonly #secret: string;
  readonly #queueExpiresMs: number;
  readonly #admin: URL;
  readonly #client: URL;
  readonly #followed = new Map<string, Followed>();
  /** Users whose RabbitMQ user this process made or updated. */
  readonly #users = new Map<string, Promise<void>>();
  #connection: Promise<{ model: ChannelModel; channel: Channel }> | null = null;
  #closed = false;

  /**
   * @param options - RabbitMQ's URLs and the credential secret
   * @param bus - the task bus whose group events are published
   * @param retentionMs - the service's retention, the default queue lifetime
   */
  constructor(options: AmqpResultsOptions, bus: TaskBus, retentionMs: number) {
    this.#options = options;
    this.#bus = bus;
    this.#secret = options.credentialSecret ?? randomBytes(32).toString('hex');
    this.#queueExpiresMs = options.queueExpiresMs ?? retentionMs;
    this.#admin = new URL(options.url);
    this.#client = new URL(options.clientUrl ?? options.url);
  }

  /**
   * Where a user's results are: their RabbitMQ credentials (made or reset now) and queue prefix.
   *
   * @param userId - the user
   * @returns the connection URL and queue prefix
   * @throws {@link AmqpUnavailable} when the management API did not answer or refused
   */
  async connectionInfo(userId: string): Promise<AmqpConnectionInfo> {
    await this.#ensureUser(userId);
    const url = new URL(this.#client);
    url.username = encodeURIComponent(rabbitUser(userId));
    url.password = encodeURIComponent(this.#password(userId));
    return { connection_url: url.toString(), queue_prefix: queuePrefix(userId) };
  }

  /**
   * Starts publishing a group's results to its queue, declared now, before the submit that asks
   * for it dispatches anything: no result can end unseen.
   *
   * @param userId - the group's owner
   * @param groupId - the task group
   * @returns a call that counts the submit's accepted tasks (the group is followed until they end)
   * @throws {@link AmqpUnavailable} when RabbitMQ could not declare the queue
   */
  async follow(userId: string, groupId: string): Promise<(accepted: number) => void> {
    const queue = `${queuePrefix(userId)}${groupId}`;
    let followed = this.#followed.get(groupId);
    if (followed === undefined) {
      try {
        const { channel } = await this.#connect();
        await channel.assertQueue(queue, { durable: true, arguments: { 'x-expires': this.#queueExpiresMs } });
      } catch (error) {
        throw new AmqpUnavailable(`RabbitMQ could not declare the result queue ${queue}: ${describe(error)}`, { cause: error });
      }
      followed = this.#followed.get(groupId);
      if (followed === undefined) {
        const entry: Followed = { queue, outstanding: 0, inFlight: 0, subscription: null };
        entry.subscription = this.#bus.groupEvents(groupId).subscribe((event) => {
          if ('type' in event.frame || event.ownerId !== userId) return;
          this.#publish(entry, event.frame);
          entry.outstanding--;
          this.#maybeUnfollow(groupId, entry);
        });
        this.#followed.set(groupId, (followed = entry));
      }
      await this.#bus.groupReady(groupId);
    }
    const entry = followed;
    entry.inFlight++;
    return (accepted) => {
      entry.inFlight--;
      entry.outstanding += accepted;
      this.#maybeUnfollow(groupId, entry);
    };
  }

  /** How many groups are followed now (for specs: it returns to 0 once their tasks end). */
  get followedGroups(): number {
    return this.#followed.size;
  }

  /**
   * Stops following every group and closes the connection to RabbitMQ.
   *
   * @returns when closed
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const followed of this.#followed.values()) followed.subscription?.unsubscribe();
    this.#followed.clear();
    const connection = this.#connection;
    this.#connection = null;
    if (connection === null) return;
    try {
      await (await connection).model.close();
    } catch {
      // It never opened, or RabbitMQ went first: nothing is left to close.
    }
  }

  #maybeUnfollow(groupId: string, followed: Followed): void {
    if (followed.inFlight > 0 || followed.outstanding > 0) return;
    followed.subscription?.unsubscribe();
    if (this.#followed.get(groupId) === followed) this.#followed.delete(groupId);
  }

  #publish(followed: Followed, frame: ResultFrame): void {
    const body = resultMessage(frame);
    const timestamp = Math.floor(Number(frame.completion_t));
    this.#connect().then(
      ({ channel }) => channel.sendToQueue(followed.queue, body, { persistent: true, timestamp, contentType: 'application/json' }),
      () => {
        // RabbitMQ is unreachable: this result is not published; the service still holds it.
      },
    );
  }

  #connect(): Promise<{ model: ChannelModel; channel: Channel }> {
    if (this.#closed) return Promise.reject(new AmqpUnavailable('The AMQP result transport is closed'));
    if (this.#connection !== null) return this.#connection;
    const opening = (async () => {
      const model = await connect(this.#options.url);
      const channel = await model.createChannel();
      const forget = (): void => {
        if (this.#connection === opening) this.#connection = null;
      };
      // A lost connection or channel is opened again on next use; its errors are followed by close.
      model.on('error', () => {});
      model.on('close', forget);
      channel.on('error', () => {});
      channel.on('close', forget);
      return { model, channel };
    })();
    this.#connection = opening;
    opening.catch(() => {
      if (this.#connection === opening) this.#connection = null;
    });
    return opening;
  }

  #password(userId: string): string {
    return createHmac('sha256', this.#secret).update(userId).digest('base64url');
  }

  /** Makes (or resets) the user's RabbitMQ user, allowed to read the user's queues only. */
  #ensureUser(userId: string): Promise<void> {
    let made = this.#users.get(userId);
    if (made === undefined) {
      made = this.#putUser(userId);
      this.#users.set(userId, made);
      made.catch(() => this.#users.delete(userId));
    }
    return made;
  }

  async #putUser(userId: string): Promise<void> {
    const name = rabbitUser(userId);
    const vhost = decodeURIComponent(this.#admin.pathname.slice(1)) || '/';
    await this.#management('PUT', `/api/users/${encodeURIComponent(name)}`, { password: this.#password(userId), tags: '' });
    // Read only: it consumes and acknowledges; declaring, deleting and publishing are the service's.
    const read = `^${queuePrefix(userId).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*$`;
    await this.#management('PUT', `/api/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`, { configure: '^$', write: '^$', read });
  }

  async #management(method: string, path: string, body: unknown): Promise<void> {
    const base = new URL(this.#options.managementUrl);
    const auth = Buffer.from(`${decodeURIComponent(this.#admin.username)}:${decodeURIComponent(this.#admin.password)}`).toString('base64');
    let answer: Response;
    try {
      answer = await fetch(new URL(path, base), { method, headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new AmqpUnavailable(`RabbitMQ's management API at ${base.origin} did not answer: ${describe(error)}`, { cause: error });
    }
    if (!answer.ok) throw new AmqpUnavailable(`RabbitMQ's management API refused ${method} ${path}: ${answer.status} ${await answer.text()}`);
  }
}

/** A user's RabbitMQ user name. */
function rabbitUser(userId: string): string {
  return `funcx-rx-${userId}`;
}

/** A user's queue prefix: their queues are this and a task group id. */
function queuePrefix(userId: string): string {
  return `funcx-rx.${userId}.`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
