/**
 * The one place that imports rxjs-websockets. It is CommonJS with `exports.default`: Node's ESM
 * loader hands the whole `module.exports` over as the default import, while bundlers use its ESM
 * build, where the default is the function itself. This module gives both the same function.
 */
import * as rxjsWebsockets from 'rxjs-websockets';
import type { GetWebSocketResponses, WebSocketFactory, WebSocketLike, WebSocketOptions } from 'rxjs-websockets';
import type { Observable } from 'rxjs';

type MakeWebSocketObservable = <T extends string | ArrayBuffer | Blob = string | ArrayBuffer | Blob>(
  url: string,
  options?: WebSocketOptions,
) => Observable<GetWebSocketResponses<T>>;

const namespace = rxjsWebsockets as unknown as { default: MakeWebSocketObservable | { default: MakeWebSocketObservable } };

/**
 * rxjs-websockets' `makeWebSocketObservable`: an Observable that opens a socket on subscribe,
 * emits a function that connects an input stream to the socket's messages once open, errors when
 * the socket closes abnormally (or with 1000, as "Normal closure"), and closes it on unsubscribe.
 */
export const makeWebSocketObservable: MakeWebSocketObservable =
  typeof namespace.default === 'function' ? namespace.default : namespace.default.default;

export type { GetWebSocketResponses, WebSocketFactory, WebSocketLike };
