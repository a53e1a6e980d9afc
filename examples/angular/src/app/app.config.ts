import type { ApplicationConfig } from '@angular/core';
import { changeDetection } from './change-detection';
import { FUNCX_CONFIG, type FuncXConfig } from './funcx.config';

/**
 * The service URL and endpoint come from the page's query (`?service=...&endpoint=...`), the
 * token from sessionStorage, read again for every request, so a login flow can refresh it.
 */
function configFromPage(): FuncXConfig {
  const query = new URLSearchParams(location.search);
  return {
    serviceUrl: query.get('service') ?? 'http://127.0.0.1:8080',
    endpointId: query.get('endpoint') ?? '',
    token: () => sessionStorage.getItem('funcx-token') ?? '',
  };
}

export const appConfig: ApplicationConfig = {
  providers: [changeDetection.providers, { provide: FUNCX_CONFIG, useFactory: configFromPage }],
};
