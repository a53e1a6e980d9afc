import { createRequire } from 'node:module';
import { Command, InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS } from './cliLogger.js';
import { addServiceLimitOptions } from './serviceLimitOptions.js';
import { serveCommand } from './serveCommand.js';
import { endpointCommand } from './endpointCommand.js';
import { registerEndpointCommand } from './registerEndpointCommand.js';
import { tokenCommand } from './tokenCommand.js';
import { registerFunctionCommand } from './registerFunctionCommand.js';
import { statusCommand } from './statusCommand.js';

/** The forms `--redis` takes (RedisBackend.connect reads both). */
const REDIS_URLS = 'redis://host:port[/db], or redis-cluster://host:port,host:port,... for a Redis Cluster';

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`Expected a whole number from ${min} and up, got \`${value}\``);
    return n;
  };
}

function originList(value: string): string[] {
  return value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '');
}

/** `--log-level`, on every command that runs for a while. */
function logLevelOption(fallback: string): Option {
  return new Option('--log-level <level>', `log level; logs go to stderr, JSON lines (readable in a terminal) (default: $FUNCX_LOG_LEVEL, else ${fallback})`).choices(LOG_LEVELS);
}

// The same relative path from lib/cli (sources) and dist/cli (built).
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command()
  .name('funcx-rx')
  .version(version)
  .description('funcx-rx: a funcX-compatible service and endpoint, for local use and tests');

const serve = program
  .command('serve')
  .description('start the service with a local endpoint; serve until SIGINT or SIGTERM')
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--port <n>', 'port to listen on (0 picks a free one)', integer(0), 0)
  .option('--workers <n>', 'worker threads of the local endpoint', integer(1))
  .option('--task-timeout <ms>', 'per-task time limit of the local endpoint, in milliseconds', integer(1))
  .option('--max-result-bytes <n>', 'largest serialized result of a task; a larger one fails its task (default 10000000)', integer(1))
  .option('--json', 'print one JSON line {"url","token","endpoint_id"} instead of text')
  .option('--ping-interval <ms>', 'how often endpoint and result sockets are pinged, in ms (default 10000); one that answered no ping since the last is closed (a dead replica\'s tasks move on after --failover)', integer(10))
  .option('--redis <url>', `run as one replica of a service whose state is in this Redis (${REDIS_URLS}; no local endpoint; issue credentials with \`token create\` and \`endpoint-register\`)`)
  .option('--cors <origins>', 'comma-separated origins of web pages allowed to call the service (or * for any; never with cookies)', originList)
  .addOption(logLevelOption('info'))
  .option('--metrics-port <n>', 'serve Prometheus metrics at http://<metrics-host>:<n>/metrics, without a token (0 picks a free one)', integer(0))
  .option('--metrics-host <host>', 'interface of the metrics port', '127.0.0.1')
  .option('--amqp-url <url>', "publish results to RabbitMQ for Globus Compute's Executor: its AMQP URL, as amqp://user:password@host:port/vhost (the service's own user)")
  .option('--amqp-management-url <url>', "RabbitMQ's management API (http://host:15672), where the service makes each user's own RabbitMQ user with --amqp-url's credentials; replicas sharing a RabbitMQ share $FUNCX_AMQP_SECRET")
  .option('--amqp-client-url <url>', 'the AMQP URL users are given, when they reach RabbitMQ at another address (default: --amqp-url without its credentials)')
  .option('--python-path <dirs>', "directories (colon-separated) the local endpoint's Python workers import from, such as a Globus Compute SDK's", (value: string) => value.split(':').filter(Boolean))
  .option('--sandbox-dir <dir>', "where the local endpoint makes each Python task's sandbox directory (Globus Compute's ShellFunction)");
addServiceLimitOptions(serve, integer(1)).action(serveCommand);

program
  .command('token')
  .description('bearer tokens in a shared store')
  .command('create')
  .description('make a user and a token that every replica knows; print the token once')
  .requiredOption('--redis <url>', `the Redis the replicas share (${REDIS_URLS})`)
  .option('--operator', 'the token may read service-wide statistics')
  .option('--json', 'print one JSON line {"user_id","token"}')
  .action(tokenCommand);

program
  .command('endpoint-register')
  .description('register an endpoint owned by the user of $FUNCX_TOKEN; print its id and secret once')
  .option('--service <url>', 'register through this service (default: $FUNCX_SERVICE_URL, unless --redis)')
  .option('--redis <url>', `register straight into the Redis the replicas share (${REDIS_URLS})`)
  .option('--name <name>', 'the endpoint\'s name', 'endpoint')
  .option('--json', 'print one JSON line {"endpoint_id","secret"}')
  .action(registerEndpointCommand);

program
  .command('endpoint')
  .description('run an endpoint for a service elsewhere; serve until SIGINT or SIGTERM')
  .option('--config <file>', 'the endpoint\'s configuration (YAML or JSON): service, id, engine and provider; the options below override it')
  .option('--service <url>', 'the service URL, such as http://127.0.0.1:8080 (required unless the config file gives it)')
  .option('--endpoint-id <uuid>', 'the endpoint id (required unless the config file gives it)')
  .option('--secret-file <path>', 'a file holding the endpoint secret (default: $FUNCX_ENDPOINT_SECRET)')
  .option('--secret <secret>', 'deprecated: visible to every user in `ps`; use $FUNCX_ENDPOINT_SECRET or --secret-file')
  .option('--workers <n>', 'worker threads', integer(1))
  .option('--task-timeout <ms>', 'per-task time limit, in milliseconds', integer(1))
  .option('--max-result-bytes <n>', 'largest serialized result of a task; a larger one fails its task (default 10000000)', integer(1))
  .option('--python <path>', 'the Python interpreter for Python tasks (default: $FUNCX_PYTHON, else python3 or /usr/bin/python3 with dill)')
  .option('--python-workers <n>', 'Python worker processes (default: as many as worker threads)', integer(1))
  .option('--prefetch <n>', 'how many tasks the service may send ahead of free workers (default max(64, 4 × workers))', integer(1))
  .option('--python-path <dirs>', 'directories (colon-separated) its Python workers import from, such as a Globus Compute SDK\'s', (value: string) => value.split(':').filter(Boolean))
  .option('--sandbox-dir <dir>', "where it makes each Python task's sandbox directory (Globus Compute's ShellFunction)")
  .option('--metrics-port <n>', "serve the endpoint's Prometheus metrics at http://<metrics-host>:<n>/metrics (0 picks a free one)", integer(0))
  .option('--metrics-host <host>', 'interface of the metrics port', '127.0.0.1')
  .addOption(logLevelOption('info'))
  .action(endpointCommand);

program
  .command('worker-manager')
  .description("a block's worker manager: started by an endpoint's provider on each node, it connects back to the endpoint's interchange (secret in $FUNCX_MANAGER_SECRET)")
  .requiredOption('--interchange <url>', "the endpoint's interchange, such as ws://login1:50123/")
  .requiredOption('--block-id <id>', 'the block it belongs to')
  .requiredOption('--workers <n>', 'worker threads', integer(1))
  .option('--python-workers <n>', 'Python worker processes (default: as many as worker threads)', integer(1))
  .option('--python <path>', 'the Python interpreter for Python tasks')
  .option('--walltime-ms <ms>', "the block's walltime from now: it exits by then", integer(1))
  .option('--drain-ms <ms>', 'how long before its walltime it takes no new task', integer(0))
  .option('--max-result-bytes <n>', 'largest serialized result of a Python task', integer(1))
  .option('--python-memory-mb <n>', 'address-space limit of each Python worker, in MB (0: none)', integer(0))
  .option('--max-old-generation-mb <n>', 'heap limit of each worker thread, in MB', integer(1))
  // Loaded only here: a block's manager need not load the service.
  .action(async (options) => (await import('./workerManagerCommand.js')).workerManagerCommand(options));

program
  .command('status')
  .description("print the token's endpoints (status, workers, tasks held), tasks by status, and submit and completion rates")
  .option('--service <url>', 'the service URL (default: $FUNCX_SERVICE_URL)')
  .option('--token <token>', 'the bearer token (default: $FUNCX_TOKEN; an operator token sees the whole service)')
  .option('--interval <ms>', 'how long rates are measured over', integer(1), 1000)
  .option('--json', 'print one JSON line')
  .action(statusCommand);

program
  .command('function')
  .description('manage registered functions')
  .command('register')
  .description('register the function whose source is in <file> (one function expression) and print its id')
  .argument('<file>', 'a file holding one self-contained function expression, such as `async (x) => x * 2`')
  .option('--service <url>', 'the service URL (default: $FUNCX_SERVICE_URL)')
  .option('--token <token>', 'the bearer token (default: $FUNCX_TOKEN)')
  .option('--name <name>', "the function's name (default: the file name without extension)")
  .option('--description <text>', 'stored with the function')
  .option('--json', 'print {"function_id","name"} instead of the bare id')
  .action(registerFunctionCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A port in use, an unreachable service, refused credentials: one clear line, exit code 1.
  process.stderr.write(`funcx-rx: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
