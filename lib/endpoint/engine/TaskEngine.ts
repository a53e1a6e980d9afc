import type { EndpointEngineReport, EndpointLanguages, PartialCredit } from '../../protocol/endpointChannel.js';
import type { WorkerPartial } from '../partialChannel.js';
import type { Language } from '../../serialize/codeLanguage.js';
import type { WorkerOutcome, WorkerTask } from '../worker.js';
import type { BatchRun } from '../BatchRun.js';
import type { BatchTask, OnBatchOutcome } from '../WorkerBatchRun.js';

/** A task as an engine runs it: a worker task, with the service's task id when there is one. */
export interface EngineTask extends WorkerTask {
  readonly taskId?: string;
}

/** How one task runs: `signal` to cancel, `timeoutMs` for its time limit. */
export interface EngineRunOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** What an engine may ask of the endpoint it serves. */
export interface EngineHost {
  /** Tasks at the endpoint that have not ended: queued there, waiting for code, or running. */
  outstanding(): number;
  /** Workers came (a block started): start queued tasks. */
  wake(): void;
  /** Blocks or managers changed: report the endpoint's status to the service soon. */
  changed(): void;
}

/**
 * Where an endpoint runs its tasks. The `local` engine ({@link TaskRunner}) is the endpoint's
 * own pool of worker threads and Python processes; the `cluster` engine ({@link ClusterEngine})
 * runs them on blocks of worker managers that a provider starts and the strategy scales.
 * The endpoint keeps the queue and reports statuses; the engine says when it has room.
 */
export interface TaskEngine {
  /** Which languages it runs, as the endpoint tells the service. */
  readonly languages: EndpointLanguages;
  /** Its largest number of tasks running at once (for the endpoint's default credit). */
  readonly size: number;
  /**
   * Workers of a language it has now.
   *
   * @param language - the language
   * @returns the count
   */
  capacity(language: Language): number;
  /**
   * Tasks of a language it holds now.
   *
   * @param language - the language
   * @returns the count
   */
  running(language: Language): number;
  /**
   * Whether a task of a language would start at once.
   *
   * @param language - the language
   * @returns true when it has a free worker of it
   */
  hasRoom(language: Language): boolean;
  /**
   * Runs one task.
   *
   * @param task - the task
   * @param options - cancellation and time limit
   * @returns the serialized result or exception
   * @throws the signal's reason when the caller aborted
   */
  run(task: EngineTask, options?: EngineRunOptions): Promise<WorkerOutcome>;
  /**
   * Where generators' partials go as the tasks stream them (§11): each names its task, in each
   * task's order, before that task's outcome's `partials` count is reached.
   */
  onPartial?(handler: (partial: WorkerPartial) => void): void;
  /** Gives a streaming task more credit (the service's `credit` message). */
  credit?(taskId: string, credit: PartialCredit): void;
  /** Runs a micro-batch of one language on one worker, when the engine can (the local one). */
  runBatch?(tasks: readonly BatchTask[], options: { onOutcome: OnBatchOutcome; maxResultBytes?: number }): BatchRun;
  /**
   * Starts the engine for an endpoint (the cluster engine listens and asks for its first blocks).
   *
   * @param host - the endpoint's side
   * @returns when it is ready
   */
  start?(host: EngineHost): Promise<void>;
  /** Tasks are waiting with no free worker: an engine that scales may look at once. */
  demand?(): void;
  /** Its state, as the endpoint reports it to the service. */
  report(): EndpointEngineReport;
  /**
   * Stops every worker (and gives every block back).
   *
   * @returns when they are gone
   */
  close(): Promise<void>;
}
