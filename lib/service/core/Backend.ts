import type { Counters } from './Counters.js';
import type { ReportPort, Repositories, SubmitPort } from './repositories.js';
import type { Presence, TaskBus } from './TaskBus.js';

/**
 * Where a service keeps its state and how its replicas talk: repositories, counters, the event
 * bus and endpoint presence. `MemoryBackend` (one process) and `RedisBackend` (any number of
 * replicas) implement it; the broker, the hubs and the routes see only this.
 */
export interface Backend extends Repositories, SubmitPort, ReportPort {
  readonly counters: Counters;
  readonly bus: TaskBus;
  readonly presence: Presence;
  /** A Redis client for shared per-user rate limits, when the backend has one (else each replica counts its own). */
  readonly rateLimitRedis?: unknown;
  /**
   * Whether the store answers now, for readiness probes: null when it does, else why not. A
   * backend without a remote store leaves it out (always ready).
   */
  readiness?(timeoutMs: number): Promise<string | null>;
  /** Closes connections and timers. */
  close(): Promise<void>;
}
