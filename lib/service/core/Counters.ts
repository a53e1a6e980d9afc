import type { ServiceStatsSnapshot } from '../ServiceStats.js';

/** A counter kept per user and in total. */
export type Counter =
  | 'resultSocketsOpen' | 'resultSocketsTotal' | 'endpointConnectionsOpen' | 'submitRequests' | 'tasksSubmitted'
  | 'invocations' | 'outstanding' | 'bytesHeld' | 'functions' | 'endpoints';

/**
 * The service's statistics and the per-user figures its quotas read. The task figures (submitted,
 * invocations, by status, outstanding, bytes held) are kept by the store itself, in the same
 * atomic write that changes a task (MemoryTaskRepo, lua/includes/tally.lua): a failed call, a lost
 * answer or a retry never skews them. The rest (sockets, requests, registrations) are added here,
 * fire-and-forget (a Redis backend pipelines them); reads are exact up to writes still in flight.
 * With several replicas the figures are totals across all of them.
 */
export interface Counters {
  /** Adds to a counter that no task write keeps (sockets, requests, registrations). */
  add(userId: string, counter: Counter, delta: number): void;
  of(userId: string, counter: Counter): Promise<number>;
  snapshot(): Promise<ServiceStatsSnapshot>;
  userSnapshot(userId: string): Promise<ServiceStatsSnapshot>;
}
