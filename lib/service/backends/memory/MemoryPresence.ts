import type { Presence } from '../../core/TaskBus.js';

/** Endpoint connections in one process: consumer ids with the time their heartbeat expires. */
export class MemoryPresence implements Presence {
  readonly #endpoints = new Map<string, Map<string, number>>();

  async heartbeat(endpointId: string, consumerId: string, ttlMs: number): Promise<void> {
    let consumers = this.#endpoints.get(endpointId);
    if (!consumers) this.#endpoints.set(endpointId, (consumers = new Map()));
    consumers.set(consumerId, Date.now() + ttlMs);
  }

  async leave(endpointId: string, consumerId: string): Promise<void> {
    const consumers = this.#endpoints.get(endpointId);
    consumers?.delete(consumerId);
    if (consumers?.size === 0) this.#endpoints.delete(endpointId);
  }

  async isOnline(endpointId: string): Promise<boolean> {
    return (await this.consumers(endpointId)).size > 0;
  }

  async consumers(endpointId: string): Promise<Set<string>> {
    const now = Date.now();
    return new Set([...(this.#endpoints.get(endpointId) ?? [])].filter(([, expires]) => expires > now).map(([id]) => id));
  }
}
