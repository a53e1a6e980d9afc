import type { FastifyPluginAsync } from 'fastify';
import { parseBody, registerFunctionBody } from '../schemas.js';
import type { ServiceCore } from '../ServiceCore.js';

/**
 * `POST /v2/functions`.
 *
 * @param core - the broker
 * @returns the plugin
 * @example
 * ```ts
 * await app.register(functionsRoutes(core));
 * ```
 */
export function functionsRoutes(core: ServiceCore): FastifyPluginAsync {
  return async (app) => {
    app.post('/v2/functions', async (request) => {
      const body = parseBody(registerFunctionBody, request.body);
      const id = await core.broker.registerFunction(request.userId, {
        name: body.function_name,
        entryPoint: body.entry_point ?? body.function_name,
        code: body.function_code,
        source: body.function_source ?? '',
        description: body.description ?? '',
      });
      return { function_uuid: id };
    });
  };
}
