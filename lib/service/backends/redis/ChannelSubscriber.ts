import type { Redis } from 'ioredis';
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
  readonly #redis: Redis;
  readonly #channels = new Map<string, Channel>();

  /** @param redis - a connection used for nothing but subscriptions */
  constructor(redis: Redis) {
    this.#redis = redis;
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
          void this.#redis.unsubscribe(channel).catch(() => {});
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
      const ready = this.#redis.subscribe(channel).then(() => undefined, () => undefined);
      this.#channels.set(channel, (entry = { subject: new Subject<string>(), ready }));
    }
    return entry;
  }
}
