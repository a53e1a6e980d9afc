import { setTimeout as sleep } from 'node:timers/promises';
import { HttpApi } from '../client/HttpApi.js';
import type { ServiceStatsSnapshot } from '../service/ServiceStats.js';

/** The options `funcx-rx status` takes. */
export interface StatusCommandOptions {
  readonly service?: string;
  readonly token?: string;
  /** Milliseconds between the two samples that rates are measured over. */
  readonly interval: number;
  readonly json?: boolean;
}

/** One endpoint as `GET /v2/endpoints` answers it. */
interface EndpointRow {
  readonly endpoint_id: string;
  readonly name: string;
  readonly status: string;
  readonly tasks_held: number;
  readonly workers: { total: number; free: number } | null;
}

const ENDED = ['success', 'failed', 'cancelled'] as const;

/**
 * `funcx-rx status`: what an operator (or a user) wants at a glance: the token's endpoints with
 * their status, workers and the tasks they hold; tasks by status; and the submit and completion
 * rates, measured between two samples of `GET /v2/stats` taken `--interval` apart. An operator's
 * token sees the whole service's counters, a user's its own.
 *
 * @param options - service URL and token (default `$FUNCX_SERVICE_URL`, `$FUNCX_TOKEN`), interval, `--json`
 * @returns when printed
 * @example
 * ```sh
 * FUNCX_SERVICE_URL=http://127.0.0.1:8080 FUNCX_TOKEN=... funcx-rx status --interval 2000
 * ```
 */
export async function statusCommand(options: StatusCommandOptions): Promise<void> {
  const service = options.service ?? process.env.FUNCX_SERVICE_URL;
  const token = options.token ?? process.env.FUNCX_TOKEN;
  if (!service || !token) throw new Error(`give the ${!service ? 'service URL (--service or $FUNCX_SERVICE_URL)' : 'token (--token or $FUNCX_TOKEN)'}`);
  const api = new HttpApi(`${service.replace(/\/+$/, '')}/v2`, token);
  const first = (await api.request<ServiceStatsSnapshot>('GET', '/stats')).body;
  const started = Date.now();
  await sleep(options.interval);
  const [{ body: last }, { body: listed }] = await Promise.all([api.request<ServiceStatsSnapshot>('GET', '/stats'), api.request<{ endpoints: EndpointRow[] }>('GET', '/endpoints')]);
  const seconds = (Date.now() - started) / 1000;
  const ended = (s: ServiceStatsSnapshot) => ENDED.reduce((n, status) => n + s.tasks_by_status[status], 0);
  const rates = {
    submitted_per_s: round((last.tasks_submitted - first.tasks_submitted) / seconds),
    ended_per_s: round(Math.max(0, ended(last) - ended(first)) / seconds),
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ endpoints: listed.endpoints, tasks_by_status: last.tasks_by_status, tasks_outstanding: last.tasks_outstanding, result_websockets_open: last.result_websockets_open, ...rates })}\n`);
    return;
  }
  const lines = [`service ${service}`, '', 'ENDPOINT                              NAME                STATUS   WORKERS(busy/total)  HELD'];
  for (const e of listed.endpoints) {
    const workers = e.workers === null ? '-' : `${e.workers.total - e.workers.free}/${e.workers.total}`;
    lines.push(`${e.endpoint_id}  ${e.name.slice(0, 18).padEnd(18)}  ${e.status.padEnd(7)}  ${workers.padEnd(19)}  ${e.tasks_held}`);
  }
  if (listed.endpoints.length === 0) lines.push('(no endpoints)');
  const byStatus = Object.entries(last.tasks_by_status).map(([status, n]) => `${status} ${n}`).join(', ');
  lines.push('', `tasks: ${byStatus}`, `outstanding ${last.tasks_outstanding}; submitted ${rates.submitted_per_s}/s, ended ${rates.ended_per_s}/s (over ${seconds.toFixed(1)} s)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
