import type { RedisConnection } from './openRedis.js';
import type { Logger } from '../../log.js';
import { Observable, Subject } from 'rxjs';

interface Channel {
  readonly subject: Subject<string>;
  readonly ready: Promise<void>;
}

/**
 * Pub/sub channels over one subscriber connection, ref-counted: a channel is subscribed on its
 * first observer and unsubscribed after its last, so the connection follows only what some
 * socket here needs.
 */
export class ChannelSubscriber {
  readonly #redis: RedisConnection;
  readonly #channels = new Map<string, Channel>();
  readonly #log: Logger;

  /**
   * @param redis - a connection used for nothing but subscriptions
   * @param log - where failed subscribe and unsubscribe calls are told
   */
  constructor(redis: RedisConnection, log: Logger) {
    this.#redis = redis;
    this.#log = log.child({ component: 'redis-channels' });
    redis.on('message', (channel: string, message: string) => this.#channels.get(channel)?.subject.next(message));
  }

  /** Messages on a channel, while observed. */
  observe(channel: string): Observable<string> {
    return new Observable<string>((subscriber) => {
      const subscription = this.#channel(channel).subject.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        const entry = this.#channels.get(channel);
        if (entry && !entry.subject.observed) {
          this.#channels.delete(channel);
          // A channel left subscribed only costs messages nobody reads, until the connection resubscribes.
          void this.#redis.unsubscribe(channel).catch((error: unknown) => this.#log.warn({ err: error, channel }, 'unsubscribing failed'));
        }
      };
    });
  }

  /** Resolves once the server acknowledged the subscription (at once if nobody observes it). */
  ready(channel: string): Promise<void> {
    return this.#channels.get(channel)?.ready ?? Promise.resolve();
  }

  #channel(channel: string): Channel {
    let entry = this.#channels.get(channel);
    if (!entry) {
      // ioredis resubscribes on reconnect; a subscribe refused now is told, and ready() does not wait on it.
      const ready = this.#redis.subscribe(channel).then(() => undefined, (error: unknown) => this.#log.warn({ err: error, channel }, 'subscribing failed'));
      this.#channels.set(channel, (entry = { subject: new Subject<string>(), ready }));
    }
    return entry;
  }
}
