import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TASK_STATUSES } from '../../protocol/task.js';
import type { Counters } from '../core/Counters.js';
import type { TaskEnd, TaskEntry } from '../core/records.js';
import type { TaskObserver } from '../TaskBroker.js';
import { observeRedisCommands } from './observeRedisCommands.js';

/** What {@link ServiceMetrics} reads when Prometheus scrapes: the live figures it does not count itself. */
export interface MetricSources {
  /** The service's counters (tasks by status: totals across replicas). */
  readonly counters: Counters;
  /** Result sockets open on this replica. */
  readonly resultSockets: () => number;
  /** This replica's endpoint connections: the endpoint, tasks sent and not ended, its engine's workers. */
  readonly endpointConnections: () => readonly { endpointId: string; inflight: number; workers: { total: number; free: number } | null }[];
}

/** Latency buckets, in seconds: from a fast task's round trip to a long-running one. */
const TASK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const REDIS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2];

/**
 * The service's Prometheus metrics, in a registry of its own (several services may share a
 * process, as specs do). Counters are this replica's (sum them across replicas in PromQL);
 * `funcx_tasks` is read from the shared counters, so every replica reports the same totals.
 * docs/operations.md lists every name, type and label.
 *
 * Label bounds: `endpoint_id` series exist for endpoints that ran tasks here and are removed
 * when the sweep deletes the endpoint; `route` is a route pattern (or `unmatched`), never a raw
 * URL; `command` is a Redis command name.
 *
 * @example
 * ```ts
 * const metrics = new ServiceMetrics({ counters, resultSockets: () => 0, endpointConnections: () => [] });
 * const broker = new TaskBroker(backend, limits, log, metrics.tasks);
 * await metrics.registry.metrics(); // the exposition text
 * metrics.close();
 * ```
 */
export class ServiceMetrics {
  /** The registry to expose (`registry.metrics()`, `registry.contentType`). */
  readonly registry = new Registry();
  /** Told by the broker of every accepted submit and every end. */
  readonly tasks: TaskObserver;
  readonly #http: Histogram<'method' | 'route' | 'status_code'>;
  readonly #stopRedis: () => void;

  /**
   * @param sources - the live figures read at each scrape
   */
  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const submitted = new Counter({ name: 'funcx_tasks_submitted_total', help: 'Tasks accepted by submits on this replica, by endpoint.', labelNames: ['endpoint_id'], registers });
    const completed = new Counter({ name: 'funcx_tasks_completed_total', help: 'Tasks that ended with a result, recorded on this replica, by endpoint.', labelNames: ['endpoint_id'], registers });
    const failed = new Counter({ name: 'funcx_tasks_failed_total', help: 'Tasks that ended with an exception (or waited too long for their endpoint), by endpoint.', labelNames: ['endpoint_id'], registers });
    const cancelled = new Counter({ name: 'funcx_tasks_cancelled_total', help: 'Tasks cancelled before they ended, by endpoint.', labelNames: ['endpoint_id'], registers });
    const latency = new Histogram({ name: 'funcx_task_latency_seconds', help: 'From submit (or the last requeue after a lost endpoint connection) to the end, of tasks ended on this replica.', labelNames: ['status'], buckets: TASK_BUCKETS, registers });
    this.tasks = {
      submitted: (tasks: readonly TaskEntry[]) => {
        for (const task of tasks) submitted.inc({ endpoint_id: task.endpointId });
      },
      ended: (before: TaskEntry, end: TaskEnd) => {
        const counter = end.status === 'success' ? completed : end.status === 'cancelled' ? cancelled : failed;
        counter.inc({ endpoint_id: before.endpointId });
        latency.observe({ status: end.status }, Math.max(0, end.completedAt - before.queuedAt) / 1000);
      },
      endpointDeleted: (endpointId: string) => {
        for (const counter of [submitted, completed, failed, cancelled]) counter.remove({ endpoint_id: endpointId });
      },
    };
    new Gauge({
      name: 'funcx_tasks', help: 'Tasks held by the service, by status (totals across replicas).', labelNames: ['status'], registers,
      async collect() {
        const snapshot = await sources.counters.snapshot();
        for (const status of TASK_STATUSES) this.set({ status }, snapshot.tasks_by_status[status]);
      },
    });
    new Gauge({ name: 'funcx_result_sockets_open', help: 'Result WebSockets open on this replica.', registers, collect() { this.set(sources.resultSockets()); } });
    new Gauge({ name: 'funcx_endpoint_sockets_open', help: 'Endpoint connections open on this replica.', registers, collect() { this.set(sources.endpointConnections().length); } });
    // Per endpoint, from the connections this replica holds; reset at each scrape so an endpoint that went away leaves no series.
    new Gauge({
      name: 'funcx_endpoint_workers', help: 'Workers of the endpoints connected to this replica, as their engines last reported, busy or idle.', labelNames: ['endpoint_id', 'state'], registers,
      collect() {
        this.reset();
        for (const { endpointId, workers } of sources.endpointConnections()) {
          if (workers === null) continue;
          this.inc({ endpoint_id: endpointId, state: 'busy' }, workers.total - workers.free);
          this.inc({ endpoint_id: endpointId, state: 'idle' }, workers.free);
        }
      },
    });
    new Gauge({
      name: 'funcx_endpoint_queue_depth', help: 'Tasks sent to the endpoints connected to this replica and not ended (queued at the endpoint or running).', labelNames: ['endpoint_id'], registers,
      collect() {
        this.reset();
        for (const { endpointId, inflight } of sources.endpointConnections()) this.inc({ endpoint_id: endpointId }, inflight);
      },
    });
    this.#http = new Histogram({ name: 'funcx_http_request_duration_seconds', help: 'HTTP requests answered, by method, route pattern and status code.', labelNames: ['method', 'route', 'status_code'], buckets: HTTP_BUCKETS, registers });
    const redisErrors = new Counter({ name: 'funcx_redis_command_errors_total', help: 'Redis commands sent by this process that failed, by command.', labelNames: ['command'], registers });
    const redisDuration = new Histogram({ name: 'funcx_redis_command_duration_seconds', help: 'Redis commands sent by this process, from write to reply, by command.', labelNames: ['command'], buckets: REDIS_BUCKETS, registers });
    this.#stopRedis = observeRedisCommands({
      done: (command, seconds) => redisDuration.observe({ command }, seconds),
      failed: (command) => redisErrors.inc({ command }),
    });
  }

  /**
   * Counts an answered HTTP request.
   *
   * @param method - the request's method
   * @param route - the route's pattern (such as `/v2/tasks/:id`), or undefined when none matched
   * @param statusCode - the answer's status
   * @param seconds - how long it took
   * @returns nothing
   */
  httpAnswered(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.#http.observe({ method, route: route ?? 'unmatched', status_code: String(statusCode) }, seconds);
  }

  /**
   * Stops observing Redis commands and empties the registry.
   *
   * @returns nothing
   */
  close(): void {
    this.#stopRedis();
    this.registry.clear();
  }
}
