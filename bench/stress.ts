// `npx tsx bench/stress.ts`: the hardening stress scenario alone (it is also part of `npm run bench`).
import { stress } from './scenarios/stress.js';
import { toMarkdown } from './support/report.js';

process.stdout.write(toMarkdown(await stress(), 'Stress scenario (hardening); baselines from the same run.'));
