import { logFailure, type Logger } from '../../service/log.js';
import { randomBytes } from 'node:crypto';
import { availableParallelism, homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import type { EndpointEngineReport, EndpointLanguages } from '../../protocol/endpointChannel.js';
import type { Language } from '../../serialize/codeLanguage.js';
import { Interchange, type ManagerEvent } from '../interchange/Interchange.js';
import { MANAGER_SECRET_ENV } from '../interchange/managerChannel.js';
import type { PythonSearch } from '../python/findPython.js';
import type { ExecutionProvider } from '../providers/ExecutionProvider.js';
import { jobEnded } from '../providers/ExecutionProvider.js';
import { LocalProvider } from '../providers/LocalProvider.js';
import { SlurmProvider } from '../providers/SlurmProvider.js';
import { DEFAULT_SLURM_WALLTIME_MS } from '../providers/slurmScript.js';
import { HtexAutoScale, type ScalingBlock } from '../strategy/htexAutoScale.js';
import type { WorkerOutcome } from '../worker.js';
import { BlocksUnavailable } from './BlocksUnavailable.js';
import type { BlockOptions, ClusterOptions } from './ClusterOptions.js';
import { defaultManagerCommand } from './managerCommand.js';
import type { EngineHost, EngineRunOptions, EngineTask, TaskEngine } from './TaskEngine.js';
import { drainMs } from './drainMs.js';
import type { PartialCredit } from '../../protocol/endpointChannel.js';
import type { WorkerPartial } from '../partialChannel.js';

/** What the engine is given beside its {@link ClusterOptions}. */
export interface ClusterEngineContext {
  readonly endpointId: string;
  /** Where scheduler commands that failed are told. */
  readonly log: Logger;
  /** The Python found on the endpoint's machine: what it reports before any block runs. */
  readonly python: PythonSearch;
  /** The interpreter managers use, as configured for the endpoint. */
  readonly pythonPath?: string;
  readonly maxResultBytes?: number;
  readonly pythonMemoryMb?: number;
  readonly maxOldGenerationSizeMb?: number;
}

/** A block's state as the engine tracks it. */
export type BlockState = 'submitting' | 'pending' | 'running' | 'draining' | 'cancelling';

/** One block, as {@link ClusterEngine.blocks} lists it. */
export interface BlockInfo {
  readonly blockId: string;
  /** The provider's job id (null while being submitted). */
  readonly jobId: string | null;
  readonly state: BlockState;
  /** Managers connected. */
  readonly managers: number;
  /** Tasks running on it. */
  readonly busy: number;
  /** The scheduler's words for it (a pending reason). */
  readonly message: string | null;
}

/** What happens to blocks and their tasks, as it happens. */
export type ClusterEvent =
  | {
      readonly type: 'block';
      readonly blockId: string;
      readonly jobId: string | null;
      readonly state: 'pending' | 'running' | 'draining' | 'ended' | 'failed';
      readonly message?: string;
      /** With `running`: where its (first) manager runs. */
      readonly manager?: { readonly host: string; readonly pid: number };
    }
  | { readonly type: 'requeued'; readonly blockId: string; readonly taskIds: readonly string[] }
  | { readonly type: 'lost'; readonly blockId: string; readonly taskIds: readonly string[] }
  | { readonly type: 'unavailable'; readonly reason: string };

interface Block {
  readonly id: string;
  jobId: string | null;
  state: BlockState;
  readonly submittedAtMs: number;
  /** Whether a manager of it ever connected. */
  started: boolean;
  message: string | null;
}


/** The nearest the strategy looks twice, when tasks keep arriving with no free worker. */
const MIN_EARLY_TICK_MS = 100;

/**
 * The `cluster` engine: an endpoint's tasks run on blocks of worker managers that a provider
 * starts (child processes here, Slurm jobs) and that connect back to its {@link Interchange}.
 * Every `strategyPeriodMs` it polls the provider's jobs and lets {@link HtexAutoScale} decide
 * to ask for blocks or give idle ones back. A block that fails to start is counted; after
 * `blockErrorThreshold` in a row with none running, tasks fail with {@link BlocksUnavailable}
 * rather than wait forever. `close()` gives every block back and waits for them to end.
 *
 * @example
 * ```ts
 * await Endpoint.start({ serviceUrl, endpointId, secret, cluster: { provider: { type: 'local', maxBlocks: 2 }, workersPerNode: 2 } });
 * ```
 */
export class ClusterEngine implements TaskEngine {
  readonly languages: EndpointLanguages;
  readonly size: number;
  readonly #options: ClusterOptions;
  readonly #context: ClusterEngineContext;
  readonly #blockOptions: BlockOptions;
  readonly #provider: ExecutionProvider;
  readonly #strategy: HtexAutoScale;
  readonly #secret = randomBytes(32).toString('base64url');
  readonly #workersPerNode: number;
  readonly #pythonWorkersPerNode: number;
  readonly #maxBlocks: number;
  readonly #events = new Subject<ClusterEvent>();
  /** Blocks asked for and not yet ended (deleted when a block ends or fails). */
  readonly #blocks = new Map<string, Block>();
  /** Submissions under way, awaited by close(). */
  readonly #submissions = new Set<Promise<void>>();
  #interchange: Interchange | null = null;
  #onPartial: ((partial: WorkerPartial) => void) | null = null;
  #host: EngineHost | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;
  #lastTickMs = 0;
  #earlyTick: NodeJS.Timeout | null = null;
  #nextBlock = 0;
  #failedBlocks = 0;
  #failuresInARow = 0;
  #lastFailure: string | null = null;
  #unavailable = false;
  #closed = false;

  /**
   * @param options - provider, block sizes, strategy, faults
   * @param context - the endpoint's id, Python and limits
   */
  constructor(options: ClusterOptions, context: ClusterEngineContext) {
    this.#options = options;
    this.#context = context;
    const provider = options.provider;
    this.#blockOptions = provider.type === 'custom' ? (provider.options ?? {}) : provider;
    this.#workersPerNode = options.workersPerNode ?? availableParallelism();
    this.#pythonWorkersPerNode = options.pythonWorkersPerNode ?? this.#workersPerNode;
    const runDir = options.runDir ?? join(homedir(), '.funcx-rx', 'endpoints', context.endpointId);
    const walltimeMs = this.#walltimeMs();
    if (provider.type === 'local') {
      this.#provider = new LocalProvider({ runDir, ...(provider.workerInit === undefined ? {} : { workerInit: provider.workerInit }), ...(walltimeMs === undefined ? {} : { walltimeMs }) });
    } else if (provider.type === 'slurm') {
      const { type: _type, initBlocks: _i, minBlocks: _n, maxBlocks: _m, parallelism: _p, ...script } = provider;
      this.#provider = new SlurmProvider({ ...script, runDir, walltimeMs: walltimeMs! });
    } else {
      this.#provider = provider.instance;
    }
    const knobs = {
      initBlocks: this.#blockOptions.initBlocks ?? 0,
      minBlocks: this.#blockOptions.minBlocks ?? 0,
      maxBlocks: this.#blockOptions.maxBlocks ?? 1,
      parallelism: this.#blockOptions.parallelism ?? 1,
      maxIdleTimeMs: options.maxIdleTimeMs ?? 120_000,
      slotsPerBlock: this.#workersPerNode * this.#provider.nodesPerBlock,
    };
    if (knobs.minBlocks > knobs.maxBlocks || knobs.initBlocks > knobs.maxBlocks) {
      throw new TypeError(`Expected \`minBlocks\` and \`initBlocks\` to be at most \`maxBlocks\` (${knobs.maxBlocks}), got ${knobs.minBlocks} and ${knobs.initBlocks}`);
    }
    this.#maxBlocks = knobs.maxBlocks;
    this.#strategy = new HtexAutoScale(knobs);
    this.size = knobs.maxBlocks * knobs.slotsPerBlock;
    const runtime = context.python.runtime;
    // What the nodes run is only known once a manager registers; until then, what this machine has.
    this.languages = {
      javascript: { version: process.version, workers: this.size },
      python:
        runtime === null
          ? { available: false, reason: `no CPython 3 found (${context.python.tried.join('; ')})` }
          : { available: true, version: runtime.version, executable: runtime.executable, dill: runtime.dill, workers: knobs.maxBlocks * this.#pythonWorkersPerNode * this.#provider.nodesPerBlock },
    };
  }

  /**
   * What happens to blocks and their tasks: hot, as it happens, nothing replayed. Completes when
   * the engine closes.
   */
  get events$(): Observable<ClusterEvent> {
    return this.#events.asObservable();
  }

  /** The provider's type: `local`, `slurm`, or a custom provider's label. */
  get provider(): string {
    return this.#provider.label;
  }

  /**
   * The blocks now, oldest first.
   *
   * @returns each block's id, job id, state, managers, running tasks and scheduler message
   */
  blocks(): BlockInfo[] {
    return [...this.#blocks.values()].map((block) => {
      const load = this.#interchange?.blockLoad(block.id) ?? { managers: 0, busy: 0 };
      return { blockId: block.id, jobId: block.jobId, state: block.state, managers: load.managers, busy: load.busy, message: block.message };
    });
  }

  capacity(language: Language): number {
    return this.#interchange?.capacity(language) ?? 0;
  }

  running(language: Language): number {
    return this.#interchange?.running(language) ?? 0;
  }

  hasRoom(language: Language): boolean {
    return this.#interchange?.hasRoom(language) ?? false;
  }

  run(task: EngineTask, options: EngineRunOptions = {}): Promise<WorkerOutcome> {
    if (this.#interchange === null) return Promise.reject(new Error('The cluster engine has not started'));
    return this.#interchange.run(task, options);
  }

  /**
   * Where generators' partials go, from the blocks' managers (§11).
   *
   * @param handler - told of each partial
   * @returns nothing
   */
  onPartial(handler: (partial: WorkerPartial) => void): void {
    this.#onPartial = handler;
    this.#interchange?.onPartial(handler);
  }

  /**
   * Gives a streaming task more credit, on the manager that runs it.
   *
   * @param taskId - the task
   * @param credit - its new cumulative credit
   * @returns nothing
   */
  credit(taskId: string, credit: PartialCredit): void {
    this.#interchange?.credit(taskId, credit);
  }

  /**
   * Tasks arrived with no free worker: the strategy looks at once rather than at its next period
   * (at most every 100 ms), so a cold endpoint asks for its first block without delay.
   */
  demand(): void {
    if (this.#closed || this.#earlyTick !== null || this.#ticking !== null) return;
    const wait = Math.max(0, this.#lastTickMs + MIN_EARLY_TICK_MS - Date.now());
    this.#earlyTick = setTimeout(() => {
      this.#earlyTick = null;
      void this.#tick();
    }, wait);
    this.#earlyTick.unref();
  }

  async start(host: EngineHost): Promise<void> {
    this.#host = host;
    const local = this.#provider.label === 'local';
    const listen = this.#options.interchange?.host ?? (local ? '127.0.0.1' : '0.0.0.0');
    this.#interchange = await Interchange.listen({
      host: listen,
      port: this.#options.interchange?.port ?? 0,
      advertise: this.#options.interchange?.address ?? (listen === '0.0.0.0' || listen === '::' ? hostname() : listen),
      secret: this.#secret,
      maxRetries: this.#options.maxRetriesOnSystemFailure ?? 1,
      heartbeatMs: this.#options.heartbeatMs ?? 10_000,
      admit: (blockId) => {
        const state = this.#blocks.get(blockId)?.state;
        return state !== undefined && state !== 'cancelling';
      },
      onManager: (event) => this.#onManager(event),
    });
    // The endpoint says where partials go when it is made, before the interchange listens.
    if (this.#onPartial !== null) this.#interchange.onPartial(this.#onPartial);
    for (let i = 0; i < (this.#blockOptions.initBlocks ?? 0); i++) this.#submit();
    this.#timer = setInterval(() => void this.#tick(), this.#options.strategyPeriodMs ?? 5000);
    this.#timer.unref();
  }

  report(): EndpointEngineReport {
    const count = { pending: 0, running: 0, draining: 0 };
    for (const block of this.#blocks.values()) {
      if (block.state === 'submitting' || block.state === 'pending') count.pending++;
      else if (block.state === 'running') count.running++;
      else count.draining++;
    }
    return {
      engine: 'cluster',
      provider: this.#provider.label,
      blocks: { ...count, failed: this.#failedBlocks },
      managers: this.#interchange?.managers ?? 0,
      workers: { total: this.#interchange?.workers ?? 0, free: this.#interchange?.freeWorkers ?? 0 },
      state: this.#unavailable ? 'failed' : 'ok',
      last_failure: this.#lastFailure,
    };
  }

  /**
   * Gives every block back (managers told to exit, jobs cancelled), waits for them to end, and
   * stops listening.
   *
   * @returns when every block has ended (for Slurm: left the queue, or a bounded wait passed)
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#earlyTick) clearTimeout(this.#earlyTick);
    await this.#ticking;
    await Promise.all(this.#submissions);
    for (const block of this.#blocks.values()) {
      block.state = 'cancelling';
      this.#interchange?.release(block.id);
    }
    // Cancels every job it still knows of and waits for them to end.
    await this.#provider.close().catch(logFailure(this.#context.log, 'cancelling the jobs left at close failed; check the scheduler for them'));
    await this.#interchange?.close();
    this.#blocks.clear();
    this.#events.complete();
  }

  #walltimeMs(): number | undefined {
    const provider = this.#options.provider;
    return this.#blockOptions.walltimeMs ?? (provider.type === 'slurm' ? DEFAULT_SLURM_WALLTIME_MS : undefined);
  }

  #managerCommand(blockId: string): string[] {
    const walltimeMs = this.#walltimeMs();
    const ctx = this.#context;
    return [
      ...(this.#options.managerCommand ?? defaultManagerCommand()),
      'worker-manager',
      '--interchange', this.#interchange!.url,
      '--block-id', blockId,
      '--workers', String(this.#workersPerNode),
      '--python-workers', String(this.#pythonWorkersPerNode),
      ...(walltimeMs === undefined ? [] : ['--walltime-ms', String(walltimeMs), '--drain-ms', String(drainMs(walltimeMs))]),
      ...(ctx.pythonPath === undefined ? [] : ['--python', ctx.pythonPath]),
      ...(ctx.maxResultBytes === undefined ? [] : ['--max-result-bytes', String(ctx.maxResultBytes)]),
      ...(ctx.pythonMemoryMb === undefined ? [] : ['--python-memory-mb', String(ctx.pythonMemoryMb)]),
      ...(ctx.maxOldGenerationSizeMb === undefined ? [] : ['--max-old-generation-mb', String(ctx.maxOldGenerationSizeMb)]),
    ];
  }

  /** Asks the provider for one block; a refusal counts as a failed block. */
  #submit(): void {
    if (this.#closed || this.#blocks.size >= this.#maxBlocks) return;
    const block: Block = { id: String(this.#nextBlock++), jobId: null, state: 'submitting', submittedAtMs: Date.now(), started: false, message: null };
    this.#blocks.set(block.id, block);
    this.#host?.changed();
    const submission = this.#provider
      .submit({ blockId: block.id, command: this.#managerCommand(block.id), env: { [MANAGER_SECRET_ENV]: this.#secret } })
      .then(
        (jobId) => {
          block.jobId = jobId;
          if (block.state === 'cancelling') return void this.#provider.cancel([jobId]).catch(logFailure(this.#context.log, 'cancelling a block given back while it was submitted failed', { jobId }));
          if (block.state === 'submitting') block.state = 'pending';
          this.#emit({ type: 'block', blockId: block.id, jobId, state: 'pending' });
        },
        (error: unknown) => this.#failBlock(block, error instanceof Error ? error.message : String(error)),
      )
      .finally(() => this.#submissions.delete(submission));
    this.#submissions.add(submission);
  }

  /** A block that never got a manager running ended: counted, and the endpoint gives up after too many in a row. */
  #failBlock(block: Block, reason: string): void {
    if (!this.#blocks.delete(block.id)) return;
    const message = `block ${block.id}${block.jobId === null ? '' : ` (${this.#provider.label} job ${block.jobId})`}: ${reason}`;
    this.#failedBlocks++;
    this.#failuresInARow++;
    this.#lastFailure = message;
    this.#emit({ type: 'block', blockId: block.id, jobId: block.jobId, state: 'failed', message });
    const threshold = this.#options.blockErrorThreshold ?? 3;
    const running = [...this.#blocks.values()].some((b) => b.started);
    if (!this.#unavailable && !running && this.#failuresInARow >= threshold) {
      this.#unavailable = true;
      this.#interchange?.fail(new BlocksUnavailable(this.#failuresInARow, message));
      this.#emit({ type: 'unavailable', reason: message });
      // Its queued tasks now fail at once rather than wait.
      this.#host?.wake();
    }
  }

  #onManager(event: ManagerEvent): void {
    const block = this.#blocks.get(event.blockId);
    if (event.type === 'up') {
      if (block === undefined) return;
      block.started = true;
      this.#failuresInARow = 0;
      if (block.state === 'submitting' || block.state === 'pending') {
        block.state = 'running';
        block.message = null;
        this.#emit({ type: 'block', blockId: block.id, jobId: block.jobId, state: 'running', manager: { host: event.host, pid: event.pid } });
      }
      this.#host?.wake();
      return;
    }
    if (event.type === 'draining') {
      if (block !== undefined && block.state === 'running') {
        block.state = 'draining';
        this.#emit({ type: 'block', blockId: block.id, jobId: block.jobId, state: 'draining', message: event.reason });
      }
      return;
    }
    if (event.requeued.length > 0) this.#emit({ type: 'requeued', blockId: event.blockId, taskIds: event.requeued });
    if (event.failed.length > 0) this.#emit({ type: 'lost', blockId: event.blockId, taskIds: event.failed });
    if (block === undefined || this.#interchange!.blockLoad(block.id).managers > 0) return;
    // Its last manager went: the block has ended. Its job goes too, whatever is left of it.
    this.#blocks.delete(block.id);
    if (block.jobId !== null && block.state !== 'cancelling') void this.#provider.cancel([block.jobId]).catch(logFailure(this.#context.log, 'cancelling an ended block\'s job failed', { jobId: block.jobId }));
    this.#emit({ type: 'block', blockId: block.id, jobId: block.jobId, state: 'ended', message: block.state === 'cancelling' ? 'given back' : block.state === 'draining' ? 'drained before its walltime' : event.reason });
    // Its tasks, requeued, may need a block in its place.
    if (event.requeued.length > 0) this.demand();
  }

  #emit(event: ClusterEvent): void {
    this.#host?.changed();
    this.#events.next(event);
  }

  /** One strategy step: poll the provider's jobs, then scale. One at a time. */
  #tick(): Promise<void> {
    if (this.#closed || this.#ticking !== null) return this.#ticking ?? Promise.resolve();
    this.#ticking = (async () => {
      try {
        await this.#poll();
        if (this.#closed || this.#unavailable || this.#host === null || (this.#options.strategy ?? 'htex_auto_scale') === 'none') return;
        const nowMs = Date.now();
        const view: ScalingBlock[] = [];
        for (const block of this.#blocks.values()) {
          if (block.state === 'submitting' || block.state === 'pending') view.push({ id: block.id, state: 'pending', busy: 0, idleSinceMs: block.submittedAtMs });
          else if (block.state === 'running') {
            const load = this.#interchange!.blockLoad(block.id);
            view.push({ id: block.id, state: 'running', busy: load.busy, idleSinceMs: load.idleSinceMs });
          }
        }
        const decision = this.#strategy.decide({ outstanding: this.#host.outstanding(), blocks: view, nowMs });
        for (let i = 0; i < decision.out; i++) this.#submit();
        for (const id of decision.in) this.#giveBack(id);
      } finally {
        this.#lastTickMs = Date.now();
        this.#ticking = null;
      }
    })();
    return this.#ticking;
  }

  /** Scale-in of one idle block: its managers exit, its job is cancelled. */
  #giveBack(blockId: string): void {
    const block = this.#blocks.get(blockId);
    if (block === undefined || block.state === 'cancelling') return;
    const started = this.#interchange!.blockLoad(blockId).managers > 0;
    block.state = 'cancelling';
    this.#interchange!.release(blockId);
    this.#emit({ type: 'block', blockId, jobId: block.jobId, state: 'draining', message: 'given back: idle' });
    if (block.jobId !== null) void this.#provider.cancel([block.jobId]).catch(logFailure(this.#context.log, 'cancelling an idle block failed; it ends at its walltime', { jobId: block.jobId }));
    // Pending, or still being submitted: no manager will say it ended.
    if (!started) {
      this.#blocks.delete(blockId);
      this.#emit({ type: 'block', blockId, jobId: block.jobId, state: 'ended', message: 'given back before it started' });
    }
  }

  /** Reads the provider's jobs: pending reasons, and blocks that ended without their manager saying so. */
  async #poll(): Promise<void> {
    const blocks = [...this.#blocks.values()].filter((b) => b.jobId !== null);
    if (blocks.length === 0) return;
    let statuses;
    try {
      statuses = await this.#provider.status(blocks.map((b) => b.jobId!));
    } catch (error) {
      // The scheduler did not answer: the next tick asks again.
      this.#lastFailure = `polling ${this.#provider.label} jobs: ${(error as Error).message}`;
      return;
    }
    for (const block of blocks) {
      const status = statuses.get(block.jobId!);
      if (status === undefined || this.#blocks.get(block.id) !== block) continue;
      if (!jobEnded(status.state)) {
        if (block.state === 'pending') block.message = status.message ?? null;
        continue;
      }
      // Ended with a manager still connected: its connection's end will say so.
      if (this.#interchange!.blockLoad(block.id).managers > 0) continue;
      if (block.state === 'cancelling' || block.started) {
        this.#blocks.delete(block.id);
        this.#emit({ type: 'block', blockId: block.id, jobId: block.jobId, state: 'ended', message: status.message ?? status.state });
      } else {
        this.#failBlock(block, `the job ended (${status.state}${status.message ? `: ${status.message}` : ''}) before its worker manager connected`);
      }
    }
  }
}
