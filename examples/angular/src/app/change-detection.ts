import { provideZonelessChangeDetection } from '@angular/core';

/**
 * How this build detects changes. The default build is zoneless (signals and the async pipe
 * schedule rendering); the `zone` configuration replaces this file with change-detection.zone.ts
 * and loads zone.js.
 */
export const changeDetection = { mode: 'zoneless', providers: provideZonelessChangeDetection() } as const;
