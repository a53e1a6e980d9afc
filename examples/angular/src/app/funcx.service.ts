import { DestroyRef, Injectable, Injector, inject, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FuncXClient, type AnyFunction, type ClientTaskStatus, type FunctionId, type WithTaskReferences, type Yields } from 'funcx-rx';
import { catchError, map, of, scan, type Observable } from 'rxjs';
import { FUNCX_CONFIG } from './funcx.config';

/** A task as Observables. `result$`'s last unsubscribe cancels the task if it has not ended. */
export interface TaskView<R> {
  readonly taskId: string;
  readonly result$: Observable<R>;
  readonly status$: Observable<ClientTaskStatus>;
  cancel(reason?: unknown): void;
}

/** Where a task ended up, as a value a template can read without a try/catch. */
export type Outcome<R> = { readonly state: 'pending' } | { readonly state: 'value'; readonly value: R } | { readonly state: 'error'; readonly error: unknown };

/** A task as signals (through `toSignal`), alive as long as the injector they were made in. */
export interface TaskSignals<R> {
  readonly taskId: string;
  /** The latest status. */
  readonly status: Signal<ClientTaskStatus>;
  /** Every status seen, in order. */
  readonly statuses: Signal<readonly ClientTaskStatus[]>;
  readonly outcome: Signal<Outcome<R>>;
  cancel(reason?: unknown): void;
}

/**
 * The app's one funcX client, provided in root and configured by {@link FUNCX_CONFIG}. The
 * client is closed (outstanding tasks cancelled) when the root injector is destroyed.
 */
@Injectable({ providedIn: 'root' })
export class FuncXService {
  readonly #config = inject(FUNCX_CONFIG);
  readonly #injector = inject(Injector);
  /** The underlying client, for anything this wrapper does not cover. */
  readonly client = new FuncXClient({
    serviceUrl: this.#config.serviceUrl,
    token: this.#config.token,
    asynchronous: true,
    batchInterval: this.#config.batchInterval ?? 10,
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => void this.client.close({ cancel: true }));
  }

  /**
   * Registers a function from its source text, which no build rewrites (a function object's
   * `toString()` would show what the build made of it: with zone.js, async functions become
   * calls of a bundle helper).
   */
  register<F extends AnyFunction>(name: string, source: string): Promise<FunctionId<F>> {
    return this.client.registerFunction<F>({ name, source });
  }

  /** Runs a task on the configured endpoint, as Observables. */
  run<F extends AnyFunction>(functionId: FunctionId<F>, ...args: WithTaskReferences<Parameters<F>>): TaskView<Yields<ReturnType<F>>> {
    const task = this.client.run<F>({ functionId, endpointId: this.#config.endpointId }, ...args);
    // asObservable(): a plain Observable, so the async pipe and toSignal subscribe (and unsubscribe) to it.
    return { taskId: task.taskId, result$: task.asObservable(), status$: task.status$, cancel: (reason?: unknown) => task.cancel(reason) };
  }

  /**
   * Runs a task on the configured endpoint, as signals. They unsubscribe when `injector` is
   * destroyed, which cancels the task if it is still running: pass a component's injector to tie
   * the task to the component.
   */
  runSignals<F extends AnyFunction>(functionId: FunctionId<F>, args: WithTaskReferences<Parameters<F>>, injector: Injector = this.#injector): TaskSignals<Yields<ReturnType<F>>> {
    type R = Yields<ReturnType<F>>;
    const view = this.run(functionId, ...args);
    const statuses = toSignal(view.status$.pipe(scan((seen: ClientTaskStatus[], status) => [...seen, status], [])), { initialValue: [] as ClientTaskStatus[], injector });
    const status = toSignal(view.status$, { initialValue: 'queued' as ClientTaskStatus, injector });
    const outcome = toSignal(
      view.result$.pipe(
        map((value): Outcome<R> => ({ state: 'value', value })),
        catchError((error: unknown) => of<Outcome<R>>({ state: 'error', error })),
      ),
      { initialValue: { state: 'pending' } as Outcome<R>, injector },
    );
    return { taskId: view.taskId, status, statuses, outcome, cancel: view.cancel };
  }
}
