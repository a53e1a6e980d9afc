import { InjectionToken } from '@angular/core';
import type { TokenProvider } from 'funcx-rx';

/** Where the funcX service is, who the user is, and which endpoint runs the tasks. */
export interface FuncXConfig {
  /** The service's URL; it must list this app's origin in `funcx-rx serve --cors`. */
  readonly serviceUrl: string;
  /** The bearer token, or a function giving the current one (called per request and socket open). */
  readonly token: TokenProvider;
  /** The endpoint tasks run on. */
  readonly endpointId: string;
  /** Milliseconds the client gathers submissions into one post. @default 10 */
  readonly batchInterval?: number;
}

/** Configures the root {@link FuncXService}: provide it in `app.config.ts`. */
export const FUNCX_CONFIG = new InjectionToken<FuncXConfig>('FUNCX_CONFIG');
