import { parseBearer } from '../auth/parseBearer.js';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorCode } from '../../protocol/errorCodes.js';
import { ApiError } from '../ApiError.js';
import { OPEN_ROUTES, type ServiceCore } from './ServiceCore.js';

/** Longer request targets are answered 414 before routing. */
const MAX_URL_LENGTH = 4096;

/**
 * Authentication for every route but the open ones: `Authorization: Bearer <token>` names the
 * user (`request.userId`, `request.operator`); no token or an unknown one is 401 code 1.
 *
 * @param core - the accounts that know tokens
 * @returns the plugin (not encapsulated: its hook guards every route)
 * @example
 * ```ts
 * await app.register(authPlugin(core));
 * ```
 */
export function authPlugin(core: ServiceCore): FastifyPluginAsync {
  return fp(async (app) => {
    app.decorateRequest('userId', '');
    app.decorateRequest('operator', false);
    app.addHook('onRequest', async (request) => {
      if (request.url.length > MAX_URL_LENGTH) throw new ApiError(ErrorCode.URI_TOO_LONG, `The request target is longer than ${MAX_URL_LENGTH} characters`, [request.url.length]);
      if (OPEN_ROUTES.has(request.url.split('?')[0]!)) return;
      const header = request.headers.authorization;
      const token = parseBearer(header);
      const holder = token === undefined ? undefined : await core.accounts.holderOf(token);
      if (holder === undefined) {
        throw new ApiError(ErrorCode.USER_UNAUTHENTICATED, header ? 'The bearer token is not valid' : 'An Authorization: Bearer <token> header is required');
      }
      request.userId = holder.userId;
      request.operator = holder.operator;
    });
  });
}
