import { Observable, Subject } from 'rxjs';

/**
 * Subjects by key, made on the first subscriber and dropped after the last, so the map holds only
 * keys somebody listens to.
 */
export class KeyedSubjects<T> {
  readonly #subjects = new Map<string, Subject<T>>();

  /** Whether anybody listens to `key`. */
  has(key: string): boolean {
    return this.#subjects.has(key);
  }

  next(key: string, value: T): void {
    this.#subjects.get(key)?.next(value);
  }

  observe(key: string): Observable<T> {
    return new Observable<T>((subscriber) => {
      let subject = this.#subjects.get(key);
      if (!subject) this.#subjects.set(key, (subject = new Subject<T>()));
      const subscription = subject.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        if (!subject!.observed) this.#subjects.delete(key);
      };
    });
  }
}
