declare const functionType: unique symbol;

/** Any function that can be registered. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

/**
 * A registered function's id. It is a plain UUID string at run time; in the type system it
 * remembers the function it names, so `run` can check the arguments and type the result. A
 * plain string from elsewhere is accepted too, and then nothing is known about it.
 *
 * @example
 * ```ts
 * const id: FunctionId<(x: number) => number> = await fxc.registerFunction((x: number) => x * 2);
 * const doubled: number = await asyncClient.run({ functionId: id, endpointId }, 21);
 * ```
 */
export type FunctionId<F extends AnyFunction = AnyFunction> = string & { readonly [functionType]?: F };

/** The arguments of the function a {@link FunctionId} names. */
export type ArgsOf<Id> = Id extends FunctionId<infer F> ? Parameters<F> : unknown[];

/** What the function a {@link FunctionId} names resolves to. */
export type ResultOf<Id> = Id extends FunctionId<infer F> ? Awaited<ReturnType<F>> : unknown;
