import { provideZoneChangeDetection } from '@angular/core';

/** The zone.js build (`ng build --configuration zone`): zone.js triggers change detection. */
export const changeDetection = { mode: 'zone.js', providers: provideZoneChangeDetection({ eventCoalescing: true }) } as const;
