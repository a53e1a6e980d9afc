import { readdirSync, readFileSync } from 'node:fs';
import { luaRankTable } from '../../../protocol/lifecycle.js';

/**
 * A task's fields in a fixed order, so that a script answers a task as a row of values rather
 * than field/value pairs (half the strings to send and decode). An absent field is false (null).
 */
export const TASK_FIELDS = ['id', 'ownerId', 'groupId', 'functionId', 'endpointId', 'payload', 'payloadDigest', 'status', 'result', 'exception', 'queuedAt', 'completedAt', 'inputs', 'partials'] as const;

/**
 * The fields a script's row holds: the task's, then the scripts' own marks, which no task record
 * shows: `dependants` is set once a task waits on this one (lua/submit.lua), so that the end of a
 * task nobody waits on reads no set of dependants (lua/includes/deps.lua).
 */
const ROW_FIELDS = [...TASK_FIELDS, 'dependants'] as const;

/** The scripts the backend runs, one file each in `lua/` (`<name>-<numberOfKeys>.lua`, or `<name>.lua` for a batch whose keys vary). */
export const SCRIPT_NAMES = ['ack', 'claimGroup', 'count', 'deleteGroup', 'deleteMany', 'drain', 'giveBack', 'report', 'rows', 'submit', 'takeAndClaim', 'touch', 'partialAppend', 'partialAck', 'partialRead', 'partialRemove'] as const;

/** The name of one script. */
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** One loaded script: its source with every include in place, and its key count when fixed. */
export interface LuaScript {
  readonly lua: string;
  readonly numberOfKeys?: number;
}

const DIR = new URL('./lua/', import.meta.url);

/**
 * What `--- @include "name"` puts in place: generated pieces (from lib/protocol/lifecycle.ts and
 * TASK_FIELDS, so no script holds a copy of a rule) and the files of `lua/includes/`.
 */
function includeOf(name: string): string {
  if (name === 'rank') return luaRankTable();
  const file = readFileSync(new URL(`includes/${name}.lua`, DIR), 'utf8');
  if (name !== 'row') return file;
  const at = (field: (typeof ROW_FIELDS)[number]): number => ROW_FIELDS.indexOf(field) + 1;
  return [
    `local FIELDS = { ${ROW_FIELDS.map((f) => `'${f}'`).join(', ')} }`,
    `local DEPENDANTS = ${at('dependants')}`,
    `local ID, OWNER, GROUP, FUNCTION, ENDPOINT, PAYLOAD, STATUS, RESULT, EXCEPTION, QUEUED_AT, INPUTS = ${at('id')}, ${at('ownerId')}, ${at('groupId')}, ${at('functionId')}, ${at('endpointId')}, ${at('payload')}, ${at('status')}, ${at('result')}, ${at('exception')}, ${at('queuedAt')}, ${at('inputs')}`,
    file,
  ].join('\n');
}

function resolve(source: string, seen: Set<string>): string {
  return source.replace(/^--- @include "([\w-]+)"$/gm, (_, name: string) => {
    // Each piece once per script, however many includes name it.
    if (seen.has(name)) return '';
    seen.add(name);
    return resolve(includeOf(name), seen);
  });
}

/**
 * Reads the backend's Lua scripts from `lua/` once, with their includes resolved, as BullMQ keeps
 * its commands: one file per operation, named with its key count.
 *
 * @returns every script by name
 * @throws Error when a file of {@link SCRIPT_NAMES} is missing, or a file is not in it
 * @example
 * ```ts
 * const scripts = loadScripts();
 * redis.defineCommand('submit', scripts.submit);
 * ```
 */
export function loadScripts(): Readonly<Record<ScriptName, LuaScript>> {
  const out: Partial<Record<ScriptName, LuaScript>> = {};
  for (const file of readdirSync(DIR)) {
    const match = /^(\w+?)(?:-(\d+))?\.lua$/.exec(file);
    if (!match) continue;
    const name = match[1] as ScriptName;
    if (!SCRIPT_NAMES.includes(name)) throw new Error(`lua/${file} is not one of the backend's scripts (SCRIPT_NAMES in luaScripts.ts)`);
    const lua = resolve(readFileSync(new URL(file, DIR), 'utf8'), new Set());
    out[name] = match[2] === undefined ? { lua } : { lua, numberOfKeys: Number(match[2]) };
  }
  const missing = SCRIPT_NAMES.filter((name) => out[name] === undefined);
  if (missing.length > 0) throw new Error(`The Redis backend's scripts ${missing.join(', ')} are missing from ${DIR.pathname}`);
  return out as Record<ScriptName, LuaScript>;
}
