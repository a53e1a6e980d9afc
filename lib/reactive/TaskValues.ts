/**
 * What a task of a function gives its Observable: for a generator (`function*`, `async
 * function*`), each value it yields (docs/protocol-extensions.md §11); for a plain function, its
 * result.
 *
 * @example
 * ```ts
 * type A = Yields<Generator<number, string>>; // number
 * type B = Yields<Promise<boolean>>;          // boolean
 * ```
 */
export type Yields<V> = V extends Generator<infer Y, unknown, never> ? Y : V extends AsyncGenerator<infer Y, unknown, never> ? Y : Awaited<V>;

/**
 * What a task of a function gives `await`, `getResult` and the executor's future: a generator's
 * return value, a plain function's result.
 *
 * @example
 * ```ts
 * type A = Returns<Generator<number, string>>; // string
 * ```
 */
export type Returns<V> = V extends Generator<unknown, infer R, never> ? R : V extends AsyncGenerator<unknown, infer R, never> ? R : Awaited<V>;
