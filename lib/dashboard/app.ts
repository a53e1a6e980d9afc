/**
 * The live dashboard's page script (bundled with esbuild into dashboard/app.js, served at
 * /dashboard/app.js): it reads the stream of snapshots of GET /v2/dashboard/stream with the
 * user's token (from the page's `#token=` fragment, which never reaches the server's logs),
 * shows endpoints, workers and tasks by status, and charts throughput and latency with uPlot.
 */
import uPlot from 'uplot';

interface Snapshot {
  readonly at: number;
  readonly tasks_by_status: Record<string, number>;
  readonly tasks_outstanding: number;
  readonly endpoints: { name: string; status: string; workers: { total: number; free: number } | null }[];
  readonly ended: number;
  readonly latency_sum_ms: number;
}

/** Five minutes of one-second points. */
const WINDOW = 300;

const $ = (id: string): HTMLElement => document.getElementById(id)!;

function token(): string | null {
  const match = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  return match ? decodeURIComponent(match[1]!) : null;
}

function render(snapshot: Snapshot): void {
  const online = snapshot.endpoints.filter((e) => e.status === 'online').length;
  const total = snapshot.endpoints.reduce((n, e) => n + (e.workers?.total ?? 0), 0);
  const free = snapshot.endpoints.reduce((n, e) => n + (e.workers?.free ?? 0), 0);
  $('endpoints-online').textContent = `${online} / ${snapshot.endpoints.length}`;
  $('workers-busy').textContent = `${total - free} / ${total}`;
  $('tasks-outstanding').textContent = String(snapshot.tasks_outstanding);
  $('tasks-ended').textContent = String(snapshot.ended);
  const rows = Object.entries(snapshot.tasks_by_status).map(([status, n]) => `<tr><td>${status}</td><td data-status="${status}">${n}</td></tr>`);
  $('statuses').innerHTML = rows.join('');
  $('endpoint-list').innerHTML = snapshot.endpoints.map((e) => `<li>${e.name.replace(/[<>&]/g, '')}: ${e.status}${e.workers ? `, ${e.workers.total - e.workers.free}/${e.workers.total} busy` : ''}</li>`).join('');
}

async function main(): Promise<void> {
  const bearer = token();
  if (bearer === null) {
    $('state').textContent = 'Open this page as /dashboard#token=<your token>.';
    return;
  }
  const times: number[] = [];
  const throughput: number[] = [];
  const latency: number[] = [];
  const chart = new uPlot(
    {
      width: 720,
      height: 260,
      // The last minute, however few points there are yet.
      scales: { x: { time: true, range: (_u, _min, max) => [max - 60, max] } },
      series: [{}, { label: 'tasks/s', stroke: '#2563eb', width: 2 }, { label: 'mean latency (ms)', stroke: '#dc2626', scale: 'ms', width: 2 }],
      axes: [{}, { label: 'tasks/s' }, { side: 1, scale: 'ms', label: 'ms', grid: { show: false } }],
    },
    [times, throughput, latency],
    $('chart'),
  );
  let last: Snapshot | null = null;
  const response = await fetch('/v2/dashboard/stream', { headers: { authorization: `Bearer ${bearer}` } });
  if (!response.ok || response.body === null) {
    $('state').textContent = `The service refused the stream (HTTP ${response.status}).`;
    return;
  }
  $('state').textContent = 'live';
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data === '') continue;
      const snapshot = JSON.parse(data) as Snapshot;
      render(snapshot);
      if (last !== null) {
        const seconds = Math.max(0.001, (snapshot.at - last.at) / 1000);
        const ended = snapshot.ended - last.ended;
        times.push(snapshot.at / 1000);
        throughput.push(ended / seconds);
        latency.push(ended === 0 ? 0 : (snapshot.latency_sum_ms - last.latency_sum_ms) / ended);
        if (times.length > WINDOW) [times, throughput, latency].forEach((series) => series.shift());
        chart.setData([times, throughput, latency]);
        $('chart').dataset.points = String(times.length);
      }
      last = snapshot;
    }
  }
  $('state').textContent = 'the stream ended; reload to reconnect';
}

void main().catch((error: unknown) => {
  $('state').textContent = `error: ${String(error)}`;
});
