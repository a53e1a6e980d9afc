import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Language } from '../serialize/codeLanguage.js';

/** What an endpoint's metrics read at each scrape. */
export interface EndpointMetricSources {
  /** Workers of each language: how many, and how many run a task now. */
  readonly workers: () => Record<Language, { readonly total: number; readonly busy: number }>;
  /** Tasks here waiting for a worker of each language (and for their code). */
  readonly queued: () => Record<Language, number>;
}

/** From 1 ms to 5 minutes: a task's run time on its worker. */
const RUN_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 300];

/**
 * An endpoint process's Prometheus metrics (prom-client), in its own registry, served on its own
 * port (`funcx-rx endpoint --metrics-port`): workers busy and idle and tasks queued by language
 * (read at each scrape), task run time by language and outcome, and worker crashes (each crashed
 * worker is replaced, so it counts restarts too). Names in docs/operations.md.
 *
 * @example
 * ```ts
 * const metrics = new EndpointMetrics({ workers: () => ..., queued: () => ... });
 * metrics.ran('javascript', 0.012, 'success');
 * ```
 */
export class EndpointMetrics {
  /** The registry to expose. */
  readonly registry = new Registry();
  readonly #runs: Histogram<'language' | 'outcome'>;
  readonly #crashes: Counter<'language'>;

  /** @param sources - the live figures read at each scrape */
  constructor(sources: EndpointMetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#runs = new Histogram({ name: 'funcx_endpoint_task_run_seconds', help: 'A task\'s run time on its worker, by language and outcome.', labelNames: ['language', 'outcome'], buckets: RUN_BUCKETS, registers });
    this.#crashes = new Counter({ name: 'funcx_endpoint_worker_crashes_total', help: 'Workers that died under a task (and were replaced), by language.', labelNames: ['language'], registers });
    new Gauge({
      name: 'funcx_endpoint_workers',
      help: 'Workers of this endpoint, by language and state (busy, idle).',
      labelNames: ['language', 'state'],
      registers,
      collect() {
        for (const [language, { total, busy }] of Object.entries(sources.workers())) {
          this.set({ language, state: 'busy' }, busy);
          this.set({ language, state: 'idle' }, Math.max(0, total - busy));
        }
      },
    });
    new Gauge({
      name: 'funcx_endpoint_tasks_queued',
      help: 'Tasks at this endpoint waiting for a worker, by language.',
      labelNames: ['language'],
      registers,
      collect() {
        for (const [language, n] of Object.entries(sources.queued())) this.set({ language }, n);
      },
    });
  }

  /**
   * Records a task that ran.
   *
   * @param language - its function's language
   * @param seconds - its run time
   * @param outcome - `success`, `failed`, or `crashed` (its worker died)
   * @returns nothing
   */
  ran(language: Language, seconds: number, outcome: 'success' | 'failed' | 'crashed'): void {
    this.#runs.observe({ language, outcome }, seconds);
    if (outcome === 'crashed') this.#crashes.inc({ language });
  }
}
