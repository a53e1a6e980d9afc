/** The dashboard's HTML: the numbers, a table of tasks by status, the chart, and the bundled script. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>funcx-rx dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/uPlot.css">
<style>
  body { font: 14px system-ui, sans-serif; margin: 24px; color: #111; }
  .numbers { display: flex; gap: 24px; margin: 16px 0; }
  .numbers div { border: 1px solid #ddd; border-radius: 6px; padding: 12px 16px; min-width: 120px; }
  .numbers b { display: block; font-size: 24px; }
  table { border-collapse: collapse; } td { padding: 2px 12px 2px 0; }
</style>
</head>
<body>
<h1>funcx-rx</h1>
<p id="state">connecting…</p>
<div class="numbers">
  <div>endpoints online<b id="endpoints-online">–</b></div>
  <div>workers busy<b id="workers-busy">–</b></div>
  <div>tasks outstanding<b id="tasks-outstanding">–</b></div>
  <div>tasks ended (this page)<b id="tasks-ended">–</b></div>
</div>
<div id="chart"></div>
<h2>Tasks by status</h2>
<table id="statuses"></table>
<h2>Endpoints</h2>
<ul id="endpoint-list"></ul>
<script src="/dashboard/app.js"></script>
</body>
</html>
`;
