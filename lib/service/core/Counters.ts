import type { TaskStatus } from '../../protocol/task.js';
import type { ServiceStatsSnapshot } from '../ServiceStats.js';

/** A counter kept per user and in total. */
export type Counter =
  | 'resultSocketsOpen' | 'resultSocketsTotal' | 'endpointConnectionsOpen' | 'submitRequests' | 'tasksSubmitted'
  | 'invocations' | 'outstanding' | 'bytesHeld' | 'functions' | 'endpoints';

/**
 * The service's statistics and the per-user figures its quotas read. Writes are fire-and-forget
 * (a Redis backend pipelines them); reads are exact up to writes still in flight. With several
 * replicas the figures are totals across all of them.
 */
export interface Counters {
  add(userId: string, counter: Counter, delta: number): void;
  /** A task left one status for another (`from` null: new; `to` null: deleted). */
  moveTask(userId: string, from: TaskStatus | null, to: TaskStatus | null): void;
  of(userId: string, counter: Counter): Promise<number>;
  snapshot(): Promise<ServiceStatsSnapshot>;
  userSnapshot(userId: string): Promise<ServiceStatsSnapshot>;
}
