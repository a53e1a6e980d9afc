import { AsyncPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, input, type OnInit } from '@angular/core';
import type { FunctionId } from 'funcx-rx';
import type { Observable } from 'rxjs';
import type { Nap } from './functions';
import { FuncXService } from './funcx.service';
import { inject } from '@angular/core';

/**
 * Starts a long task and shows its result through the `async` pipe. Destroying the component
 * makes the pipe unsubscribe, which cancels the task on the service: the pipe gets the task's
 * `asObservable()` view, not the awaitable task, which it would treat as a Promise.
 */
@Component({
  selector: 'app-task-watcher',
  imports: [AsyncPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<p>watching task <code id="watcher-task">{{ taskId }}</code>: {{ (result$ | async) ?? 'running…' }}</p>`,
})
export class TaskWatcherComponent implements OnInit {
  readonly functionId = input.required<FunctionId<Nap>>();
  readonly #funcx = inject(FuncXService);
  taskId = '';
  result$: Observable<number> | null = null;

  ngOnInit(): void {
    const view = this.#funcx.run(this.functionId(), 60_000);
    this.taskId = view.taskId;
    this.result$ = view.result$;
  }
}
