import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * Checks and normalizes a CORS allow-list: each entry an origin as browsers send it
 * (`scheme://host[:port]`, no path, no trailing slash), or `'*'` alone for any origin.
 *
 * @param origins - the allow-list, as given to `serve --cors` or `FuncXService.start({ cors })`
 * @returns the same origins, checked
 * @throws TypeError for an entry that is not an origin, or `'*'` beside other entries
 * @example
 * ```ts
 * parseCorsOrigins(['http://localhost:4200']); // ['http://localhost:4200']
 * ```
 */
export function parseCorsOrigins(origins: readonly string[]): string[] {
  const list = origins.map((origin) => origin.trim()).filter((origin) => origin !== '');
  if (list.includes('*')) {
    if (list.length > 1) throw new TypeError(`Expected \`cors\` to be '*' alone or a list of origins, got \`${list.join(',')}\``);
    return list;
  }
  for (const origin of list) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin) {
      throw new TypeError(`Expected each \`cors\` entry to be an origin such as \`http://localhost:4200\` (scheme, host, port; no path or trailing slash), got \`${origin}\``);
    }
  }
  return list;
}

/**
 * Answers CORS for an allow-list of origins, with @fastify/cors. Registered before the bearer
 * check, so preflights (which browsers send without the `Authorization` header) get their answer
 * without authentication, and error answers (a 401 envelope) still carry
 * `Access-Control-Allow-Origin`, so a page can read them. Credentials (cookies) are never
 * allowed: the API authenticates with a bearer header, and `'*'` with credentials would let any
 * page act as the user.
 *
 * @param app - the fastify instance
 * @param origins - the checked allow-list (see {@link parseCorsOrigins}); empty answers no CORS at all
 * @returns nothing
 * @example
 * ```ts
 * registerCors(app, ['http://localhost:4200']);
 * ```
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  void app.register(cors, {
    origin: origins.includes('*') ? '*' : [...origins],
    credentials: false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'accept'],
    maxAge: 600,
  });
}
