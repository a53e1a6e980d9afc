import { pathToFileURL } from 'node:url';

/** Whether the module at `url` is the one Node was asked to run (not imported by the demo). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && url === pathToFileURL(entry).href;
}
