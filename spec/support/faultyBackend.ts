import type { Backend } from '../../lib/service/core/Backend.js';

/** Where a fault strikes: before the call reaches the store (nothing written), or after it (written, the answer lost). */
export type FaultMode = 'before' | 'after';

/** One armed fault: the `nth` call of `method` (from arming) fails. */
export interface Fault {
  readonly method: string;
  readonly nth: number;
  readonly mode: FaultMode;
}

/** The error an injected fault throws, as a store that went away would. */
export class InjectedFault extends Error {
  constructor(method: string, mode: FaultMode) {
    super(`injected fault: ${method} (${mode} the write)`);
    this.name = 'InjectedFault';
  }
}

/**
 * A backend that fails one chosen call: every asynchronous method of the backend and of its
 * parts (`submit`, `tasks.completeMany`, `bus.reclaim`, `queue.takeAndClaim` on the queues the
 * bus makes, ...) is counted by its dotted name, and the armed one throws on its nth call, before
 * or after it ran. The contract of the use cases: after any one such failure, no task is stranded.
 */
export class FaultyBackend {
  readonly backend: Backend;
  #fault: Fault | null = null;
  #calls = 0;
  /** Whether the armed fault has struck. */
  fired = false;

  constructor(inner: Backend) {
    this.backend = this.#wrap(inner, '') as Backend;
  }

  /** Arms a fault; calls are counted from here. */
  arm(fault: Fault): void {
    this.#fault = fault;
    this.#calls = 0;
    this.fired = false;
  }

  disarm(): void {
    this.#fault = null;
  }

  #wrap(target: object, path: string): object {
    return new Proxy(target, {
      get: (obj, key) => {
        const value = Reflect.get(obj, key) as unknown;
        if (typeof key !== 'string') return value;
        const name = path === '' ? key : `${path}.${key}`;
        if (typeof value === 'function') {
          return (...args: unknown[]) => {
            const run = (): unknown => (value as (...a: unknown[]) => unknown).apply(obj, args);
            // The queues the bus makes are wrapped too, under the name `queue`.
            if (name === 'bus.queue') return this.#wrap(run() as object, 'queue');
            const strike = this.#due(name);
            // Before: the store never sees the call. After: it ran, and its answer is lost.
            if (strike === 'before') return Promise.reject(new InjectedFault(name, 'before'));
            if (strike === 'after') return Promise.resolve(run()).then(() => Promise.reject(new InjectedFault(name, 'after')));
            return run();
          };
        }
        if (value !== null && typeof value === 'object' && path === '' && ['tasks', 'groups', 'functions', 'endpoints', 'bus', 'presence', 'counters', 'identity'].includes(key)) return this.#wrap(value, name);
        return value;
      },
    });
  }

  /** Whether this call of `name` is the armed one; the fault strikes once. */
  #due(name: string): FaultMode | null {
    const fault = this.#fault;
    if (fault === null || fault.method !== name || ++this.#calls !== fault.nth) return null;
    this.#fault = null;
    this.fired = true;
    return fault.mode;
  }
}
