// `npx tsx bench/redis.ts`: the Redis scenario alone (it is also part of `npm run bench`).
import { availableParallelism } from 'node:os';
import { redisMode } from './scenarios/redisMode.js';
import { toMarkdown } from './support/report.js';

process.stdout.write(toMarkdown(await redisMode(1, availableParallelism()), 'Redis scenario; baselines from the same run.'));
