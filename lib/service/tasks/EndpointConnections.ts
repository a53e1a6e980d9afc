import type { Observable } from 'rxjs';
import type { Backend } from '../core/Backend.js';
import type { ControlEvent, EndpointQueue } from '../core/TaskBus.js';
import type { TaskBroker } from '../TaskBroker.js';

/**
 * The use cases of endpoint connections, beside dispatch and report (the broker's): a
 * connection's queue and control messages, its presence, what its close gives back, what a dead
 * one held, and the code of the functions sent to it. The endpoint hub calls these; it never
 * touches a store itself.
 *
 * @example
 * ```ts
 * const connections = new EndpointConnections(backend, broker);
 * await connections.renew(endpointId, consumerId, 2000);
 * ```
 */
export class EndpointConnections {
  readonly #backend: Backend;
  readonly #broker: TaskBroker;

  /**
   * @param backend - the bus, presence, registrations and counters
   * @param broker - the task use cases (give-back and reclaim count the moves)
   */
  constructor(backend: Backend, broker: TaskBroker) {
    this.#backend = backend;
    this.#broker = broker;
  }

  /**
   * The work queue one connection consumes.
   *
   * @param ownerId - the endpoint's owner
   * @param endpointId - the endpoint
   * @param consumerId - the connection
   * @returns its queue
   */
  queue(ownerId: string, endpointId: string, consumerId: string): EndpointQueue {
    return this.#backend.bus.queue(ownerId, endpointId, consumerId);
  }

  /**
   * Control messages for the endpoint's connections (cancels).
   *
   * @param endpointId - the endpoint
   * @returns the events, hot
   */
  controlEvents(endpointId: string): Observable<ControlEvent> {
    return this.#backend.bus.controlEvents(endpointId);
  }

  /**
   * A connection opened: counted, and the endpoint marked seen.
   *
   * @param endpointId - the endpoint
   * @param ownerId - its owner, whose counters it shows in
   * @returns when the endpoint is marked seen
   */
  connected(endpointId: string, ownerId: string): Promise<void> {
    this.#backend.counters.add(ownerId, 'endpointConnectionsOpen', 1);
    return this.#backend.endpoints.touch(endpointId, Date.now());
  }

  /**
   * A connection closed: counted, the endpoint marked seen, its presence left, and what it had
   * not finished given back and requeued (one atomic step). Each part is tried on its own.
   *
   * @param endpointId - the endpoint
   * @param consumerId - the connection
   * @param ownerId - the endpoint's owner
   * @param queue - the connection's queue
   * @returns each part's failure, if any, by name
   */
  async disconnected(endpointId: string, consumerId: string, ownerId: string, queue: EndpointQueue): Promise<{ part: string; error: unknown }[]> {
    this.#backend.counters.add(ownerId, 'endpointConnectionsOpen', -1);
    const parts: [string, Promise<unknown>][] = [
      ['touch', this.#backend.endpoints.touch(endpointId, Date.now())],
      ['leave', this.#backend.presence.leave(endpointId, consumerId)],
      ['giveBack', this.#broker.giveBack(queue)],
    ];
    const settled = await Promise.allSettled(parts.map(([, p]) => p));
    return settled.flatMap((s, i) => (s.status === 'rejected' ? [{ part: parts[i]![0], error: s.reason as unknown }] : []));
  }

  /**
   * Renews a connection's presence.
   *
   * @param endpointId - the endpoint
   * @param consumerId - the connection
   * @param ttlMs - how long it stays present without another renewal
   * @returns when stored
   */
  renew(endpointId: string, consumerId: string, ttlMs: number): Promise<void> {
    return this.#backend.presence.heartbeat(endpointId, consumerId, ttlMs);
  }

  /**
   * Gives back what the endpoint's connections that are no longer present held (their replica
   * died), requeued.
   *
   * @param ownerId - the endpoint's owner
   * @param endpointId - the endpoint
   * @returns how many tasks were requeued
   */
  async reclaimDead(ownerId: string, endpointId: string): Promise<number> {
    const alive = await this.#backend.presence.consumers(endpointId);
    return this.#broker.reclaim(ownerId, endpointId, (consumerId) => alive.has(consumerId));
  }

  /**
   * Which of these functions exist.
   *
   * @param functionIds - the functions
   * @returns the ids that exist
   */
  async existing(functionIds: readonly string[]): Promise<Set<string>> {
    const found = await Promise.all(functionIds.map((id) => this.#backend.functions.get(id)));
    return new Set(functionIds.filter((_, i) => found[i] !== undefined));
  }

  /**
   * A function's serialized code.
   *
   * @param functionId - the function
   * @returns its code, or undefined when there is no such function
   */
  async code(functionId: string): Promise<string | undefined> {
    return (await this.#backend.functions.get(functionId))?.code;
  }
}
