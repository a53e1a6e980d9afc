import { defer, from, map, of, type Observable } from 'rxjs';
import { FuncXError } from '../errors/FuncXError.js';

/**
 * A bearer token, or a function that gives the current one. A function is called before every
 * HTTP request and every result-socket open, so an app can refresh short-lived tokens (an
 * OAuth access token, say) without making a new client.
 *
 * @example
 * ```ts
 * const fxc = new FuncXClient({ serviceUrl, token: async () => (await auth.session()).accessToken });
 * ```
 */
export type TokenProvider = string | (() => string | PromiseLike<string>);

/**
 * Reads the current token from a {@link TokenProvider}.
 *
 * @param provider - a token, or a function giving one
 * @returns the token
 * @throws {@link FuncXError} when the function throws, rejects, or gives something that is not a non-empty string
 * @example
 * ```ts
 * await readToken(() => 'abc'); // "abc"
 * ```
 */
export async function readToken(provider: TokenProvider): Promise<string> {
  if (typeof provider === 'string') return provider;
  let token: unknown;
  try {
    token = await provider();
  } catch (error) {
    throw failed(error);
  }
  return checked(token);
}

/**
 * The current token from a {@link TokenProvider}, as an Observable that reads it on subscribe:
 * synchronously for a string or a function that returns one (so virtual-time schedulers see no
 * extra microtask), asynchronously only when the function returns a promise.
 *
 * @param provider - a token, or a function giving one
 * @returns one token, then complete; or a {@link FuncXError}
 * @example
 * ```ts
 * token$(() => 'abc').subscribe(console.log); // "abc"
 * ```
 */
export function token$(provider: TokenProvider): Observable<string> {
  if (typeof provider === 'string') return of(provider);
  return defer(() => {
    let token: string | PromiseLike<string>;
    try {
      token = provider();
    } catch (error) {
      throw failed(error);
    }
    if (typeof token === 'string') return of(checked(token));
    return from(Promise.resolve(token).catch((error: unknown) => Promise.reject(failed(error)))).pipe(map(checked));
  });
}

function failed(error: unknown): FuncXError {
  return new FuncXError(`The \`token\` function failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

function checked(token: unknown): string {
  if (typeof token !== 'string' || token === '') {
    throw new FuncXError(`Expected the \`token\` function to give a non-empty string, got \`${String(token)}\` (${typeof token})`);
  }
  return token;
}
