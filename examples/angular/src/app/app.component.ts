import { ChangeDetectionStrategy, Component, DestroyRef, Injector, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { SerializationError, TaskExecutionFailed, type FunctionId } from 'funcx-rx';
import { interval } from 'rxjs';
import { changeDetection } from './change-detection';
import { NAP, SQUARE, type Nap, type Square } from './functions';
import { FuncXService, type TaskSignals } from './funcx.service';
import { TaskWatcherComponent } from './task-watcher.component';
import { ThroughputChartComponent, type Sample } from './throughput-chart.component';

interface Row extends TaskSignals<number> {
  readonly index: number;
}

/**
 * The demo page: a batch of tasks with a live table of statuses and results and a throughput
 * chart, a task that throws remotely, a long task to cancel, and a component whose `async` pipe
 * cancels its task when it is destroyed.
 */
@Component({
  selector: 'app-root',
  imports: [ThroughputChartComponent, TaskWatcherComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>funcx-rx · Angular</h1>
    <p>change detection: <b id="mode">{{ mode }}</b> (<span id="zone">{{ zoneLoaded ? 'zone.js loaded' : 'no zone.js' }}</span>)</p>
    @if (error()) { <p id="error" class="error">{{ error() }}</p> }
    @if (ready()) {
      <p id="ready">functions registered by source: square, nap</p>
      <p id="rewrite-check">a function object: {{ rewriteCheck() }}</p>

      <div class="panel">
        <button id="run-batch" (click)="runBatch()">Run {{ size }} tasks</button>
        <span id="completed">{{ done() }} of {{ rows().length }} done</span>
        @if (sum() !== null) { · <span id="sum">sum of squares: {{ sum() }}</span> }
      </div>
      @if (rows().length > 0) {
        <p>task {{ rows().length - 1 }}: <span id="statuses">{{ rows().at(-1)!.statuses().join(' → ') }}</span></p>
        <div class="table-wrap">
          <table id="tasks">
            <thead><tr><th>#</th><th>task</th><th>status</th><th>result</th></tr></thead>
            <tbody>
              @for (row of rows(); track row.taskId) {
                <tr>
                  <td>{{ row.index }}</td>
                  <td><code>{{ row.taskId.slice(0, 8) }}</code></td>
                  <td class="status" [class]="row.status()">{{ row.status() }}</td>
                  <td class="result">
                    @switch (row.outcome().state) {
                      @case ('value') { {{ valueOf(row) }} }
                      @case ('error') { <span class="error">error</span> }
                      @default { … }
                    }
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
        <div class="chart"><app-throughput-chart [samples]="samples()" /></div>
      }

      <div class="panel">
        <button id="run-failing" (click)="runFailing()">Run a task that throws</button>
        <span id="remote-error" class="error">{{ remoteError() }}</span>
      </div>

      <div class="panel">
        <button id="run-long" (click)="runLong()">Run a one-minute task</button>
        <button id="cancel-long" (click)="long()?.cancel()" [disabled]="!long()">Cancel it</button>
        @if (long(); as task) { <span>task <code id="long-task">{{ task.taskId }}</code>: <b id="long-status">{{ task.status() }}</b></span> }
      </div>

      <div class="panel">
        <button id="toggle-watcher" (click)="watching.set(!watching())">{{ watching() ? 'Destroy' : 'Show' }} a component that awaits a task with the async pipe</button>
        @if (watching()) { <app-task-watcher [functionId]="nap!" /> }
      </div>
    }
  `,
})
export class AppComponent {
  readonly #funcx = inject(FuncXService);
  readonly #injector = inject(Injector);
  readonly #destroyRef = inject(DestroyRef);
  readonly mode = changeDetection.mode;
  readonly zoneLoaded = typeof (globalThis as { Zone?: unknown }).Zone !== 'undefined';
  readonly size = Number(new URLSearchParams(location.search).get('n') ?? 100);
  readonly ready = signal(false);
  readonly error = signal('');
  readonly rewriteCheck = signal('');
  readonly rows = signal<readonly Row[]>([]);
  readonly samples = signal<readonly Sample[]>([]);
  readonly failing = signal<TaskSignals<number> | null>(null);
  readonly long = signal<TaskSignals<number> | null>(null);
  readonly watching = signal(false);
  square: FunctionId<Square> | null = null;
  nap: FunctionId<Nap> | null = null;

  readonly done = computed(() => this.rows().filter((row) => row.outcome().state !== 'pending').length);
  readonly sum = computed(() => {
    const rows = this.rows();
    if (rows.length === 0 || this.done() < rows.length) return null;
    return rows.reduce((total, row) => total + this.valueOf(row), 0);
  });
  readonly remoteError = computed(() => {
    const outcome = this.failing()?.outcome();
    if (outcome?.state !== 'error') return '';
    return outcome.error instanceof TaskExecutionFailed ? `remote ${outcome.error.remoteName}: ${outcome.error.remoteMessage}` : String(outcome.error);
  });

  constructor() {
    void this.#start();
  }

  valueOf(row: Row): number {
    const outcome = row.outcome();
    return outcome.state === 'value' ? outcome.value : 0;
  }

  runBatch(): void {
    const square = this.square!;
    const started = performance.now();
    // The component's injector: leaving the page unsubscribes the signals, which cancels what still runs.
    const rows = Array.from({ length: this.size }, (_, index): Row => ({ index, ...this.#funcx.runSignals(square, [index], this.#injector) }));
    this.rows.set(rows);
    this.samples.set([{ t: 0, done: 0 }]);
    const sampler = interval(100)
      .pipe(takeUntilDestroyed(this.#destroyRef))
      .subscribe(() => {
        const done = this.done();
        this.samples.update((samples) => [...samples, { t: performance.now() - started, done }]);
        if (done === rows.length) sampler.unsubscribe();
      });
  }

  runFailing(): void {
    this.failing.set(this.#funcx.runSignals(this.square!, [-1], this.#injector));
  }

  runLong(): void {
    this.long.set(this.#funcx.runSignals(this.nap!, [60_000], this.#injector));
  }

  async #start(): Promise<void> {
    try {
      [this.square, this.nap] = await Promise.all([this.#funcx.register<Square>(SQUARE.name, SQUARE.source), this.#funcx.register<Nap>(NAP.name, NAP.source)]);
      this.rewriteCheck.set(await this.#tryFunctionObject());
      this.ready.set(true);
    } catch (error) {
      this.error.set(`could not register the functions: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** What registering a function object does in this build: zone.js builds rewrite async functions. */
  async #tryFunctionObject(): Promise<string> {
    try {
      await this.#funcx.client.registerFunction(async (x: number) => x + 1);
      return 'registered as it is';
    } catch (error) {
      if (error instanceof SerializationError) return `refused: ${error.message}`;
      throw error;
    }
  }
}
